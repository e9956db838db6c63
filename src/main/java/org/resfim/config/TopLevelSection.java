package org.resfim.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A top-level section of the configuration file that one algorithm owns and reads as its own parameters
 * (pFL-ResFIM's {@code style:}, {@code resfim:} and {@code bn:}, as METHOD.md writes them): its keys, declared once,
 * and the algorithm parameter each one sets ({@code style.beta} → {@code style.beta}, {@code bn.stats} →
 * {@code bn_stats}). An algorithm declares its sections when it is registered; the file accepts them because of that.
 *
 * @param name      the section, e.g. {@code style}
 * @param keys      its keys (section = {@code name}), for parsing and for {@code resfim config explain}
 * @param parameter the algorithm parameter a key of this section sets
 */
public record TopLevelSection(String name, List<ConfigKey> keys, UnaryOperator<String> parameter) {
    public TopLevelSection {
        keys = List.copyOf(keys);
    }

    /** A section whose key {@code k} is the parameter {@code name.k}. */
    public static TopLevelSection prefixed(String name, List<ConfigKey> keys) {
        return new TopLevelSection(name, keys, k -> name + "." + k);
    }

    public List<String> keyNames() {
        List<String> out = new ArrayList<>();
        keys.forEach(k -> out.add(k.name()));
        return out;
    }

    /**
     * The parameters {@code values} (this section as written) set, into {@code params}, and the key path each was
     * written at into {@code writtenAt}; an unknown key is refused naming {@code origin}'s file, with the nearest
     * known key suggested.
     */
    public void read(Map<String, Object> values, Origin origin, Map<String, Object> params, Map<String, String> writtenAt) {
        List<String> known = keyNames();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            if (!known.contains(e.getKey())) {
                throw KeyException.unknown(origin, name, e.getKey(), Suggest.nearest(e.getKey(), known));
            }
            String p = parameter.apply(e.getKey());
            params.put(p, e.getValue());
            writtenAt.put(p, name + "." + e.getKey());
        }
    }
}
