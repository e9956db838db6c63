package org.resfim.algorithms;

import org.resfim.config.ConfigException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A method as written on the command line: a registered name and optional parameters,
 * {@code name} or {@code name:key=value,key=value} (e.g. {@code pfl-resfim:variant=fim,rho=0.1}).
 */
public record AlgorithmSpec(String text, String name, Map<String, Object> params) {

    public static AlgorithmSpec parse(String text) {
        String t = text.trim();
        int colon = t.indexOf(':');
        String name = (colon < 0 ? t : t.substring(0, colon)).trim().toLowerCase(java.util.Locale.ROOT);
        Map<String, Object> params = new LinkedHashMap<>();
        if (colon >= 0) {
            for (String kv : t.substring(colon + 1).split(",")) {
                if (kv.isBlank()) {
                    continue;
                }
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new ConfigException("method '" + text + "': parameter '" + kv + "' must be key=value");
                }
                params.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            }
        }
        if (name.isEmpty()) {
            throw new ConfigException("empty method name in '" + text + "'");
        }
        return new AlgorithmSpec(t, name, params);
    }

    /**
     * The methods of a comma-separated list such as {@code --methods fedavg,pfl-resfim:variant=fim,rho=0.1,local},
     * given whole or already split at every comma (as picocli does): an item with {@code =} and no {@code :} is a
     * further parameter of the method before it, so the example is three methods, not four.
     */
    public static List<String> joinList(List<String> items) {
        List<String> methods = new ArrayList<>();
        for (String item : items) {
            for (String part : item.split(",", -1)) {
                String t = part.trim();
                if (t.isEmpty()) {
                    continue;
                }
                int last = methods.size() - 1;
                if (t.indexOf('=') > 0 && t.indexOf(':') < 0 && last >= 0 && methods.get(last).indexOf(':') >= 0) {
                    methods.set(last, methods.get(last) + "," + t);
                } else {
                    methods.add(t);
                }
            }
        }
        return methods;
    }

    /** Parameters from the config file's section for this method, overridden by the spec's own. */
    public AlgorithmSpec withDefaults(Map<String, Object> fromConfig) {
        Map<String, Object> p = new LinkedHashMap<>(fromConfig == null ? Map.of() : fromConfig);
        p.putAll(params);
        return new AlgorithmSpec(text, name, p);
    }
}
