package org.resfim.state;

/** Where a tensor sits in an encoder-decoder network; LG-FedAvg keeps the encoder local, FedPer/FedRep the head. */
public enum NetworkPart {
    ENCODER,
    DECODER,
    HEAD
}
