package org.resfim.algorithms;

import org.resfim.config.ConfigKey;
import org.resfim.state.NetworkPart;

import java.util.List;
import java.util.Map;

/** FedPer (Arivazhagan et al. 2019): the segmentation head stays local; the body is averaged. */
public final class FedPer extends WholeTensorAlgorithm {
    public static final String NAME = "fedper";
    public static final List<ConfigKey> KEYS = List.of();

    public FedPer(String spec, Map<String, Object> params) {
        super(spec, NAME, params, KEYS, t -> t.part() == NetworkPart.HEAD);
    }
}
