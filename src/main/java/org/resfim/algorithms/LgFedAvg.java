package org.resfim.algorithms;

import org.resfim.config.ConfigKey;
import org.resfim.state.NetworkPart;

import java.util.List;
import java.util.Map;

/** LG-FedAvg (Liang et al. 2020): the encoder (local representation) stays local; decoder and head are averaged. */
public final class LgFedAvg extends WholeTensorAlgorithm {
    public static final String NAME = "lg-fedavg";
    public static final List<ConfigKey> KEYS = List.of();

    public LgFedAvg(String spec, Map<String, Object> params) {
        super(spec, NAME, params, KEYS, t -> t.part() == NetworkPart.ENCODER);
    }
}
