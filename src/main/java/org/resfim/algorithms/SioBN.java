package org.resfim.algorithms;

import org.resfim.config.ConfigKey;

import java.util.List;
import java.util.Map;

/** SiloBN (Andreux et al. 2020): BatchNorm running statistics stay local; BatchNorm affine parameters are shared with the rest. */
public final class SioBN extends WholeTensorAlgorithm {
    public static final String NAME = "siobn";
    public static final List<ConfigKey> KEYS = List.of();

    public SioBN(String spec, Map<String, Object> params) {
        super(spec, NAME, params, KEYS, t -> t.role().isNormStatistic());
    }
}
