package org.resfim.algorithms;

import org.resfim.config.ConfigKey;

import java.util.List;
import java.util.Map;

/** Local: every site trains alone; nothing is uploaded (the lower bound of federation). */
public final class Local extends WholeTensorAlgorithm {
    public static final String NAME = "local";
    public static final List<ConfigKey> KEYS = List.of();

    public Local(String spec, Map<String, Object> params) {
        super(spec, NAME, params, KEYS, t -> true);
    }
}
