package org.resfim.state;

/**
 * Where a tensor sits in an encoder-decoder network; LG-FedAvg keeps the encoder local, FedPer/FedRep the head.
 * The ordinals are stored in RFIM files ({@link StateFile}): add new constants at the end only.
 */
public enum NetworkPart {
    ENCODER,
    DECODER,
    HEAD
}
