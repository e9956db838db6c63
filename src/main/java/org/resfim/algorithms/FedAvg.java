package org.resfim.algorithms;

import org.resfim.config.ConfigKey;

import java.util.List;
import java.util.Map;

/** FedAvg (McMahan et al. 2017): every tensor, BatchNorm statistics included, averaged with weights ∝ training samples. */
public final class FedAvg extends WholeTensorAlgorithm {
    public static final String NAME = "fedavg";
    public static final List<ConfigKey> KEYS = List.of();

    public FedAvg(String spec, Map<String, Object> params) {
        super(spec, NAME, params, KEYS, t -> false);
    }
}
