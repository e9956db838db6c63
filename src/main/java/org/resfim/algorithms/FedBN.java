package org.resfim.algorithms;

import org.resfim.config.ConfigKey;

import java.util.List;
import java.util.Map;

/** FedBN (Li et al. 2021): BatchNorm affine parameters and running statistics stay local; everything else is averaged. */
public final class FedBN extends WholeTensorAlgorithm {
    public static final String NAME = "fedbn";
    public static final List<ConfigKey> KEYS = List.of();

    public FedBN(String spec, Map<String, Object> params) {
        super(spec, NAME, params, KEYS, t -> t.role().isNorm());
    }
}
