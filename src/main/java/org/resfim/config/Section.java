package org.resfim.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Typed, validated read access to one configuration section (a YAML map). Unknown keys are refused
 * with the nearest known key suggested; every value read must be declared as a {@link ConfigKey}.
 */
public final class Section {
    private final String name;
    private final Map<String, Object> values;
    private final Map<String, ConfigKey> keys = new LinkedHashMap<>();

    public Section(String name, Map<String, Object> values, List<ConfigKey> declared) {
        this.name = name;
        this.values = values == null ? Map.of() : values;
        for (ConfigKey k : declared) {
            keys.put(k.name(), k);
        }
        for (String k : this.values.keySet()) {
            if (!keys.containsKey(k)) {
                String near = nearest(k, new ArrayList<>(keys.keySet()));
                throw new ConfigException("unknown key '" + name + "." + k + "'"
                        + (near == null ? "" : " (did you mean '" + name + "." + near + "'?)"));
            }
        }
    }

    private Object raw(String key) {
        ConfigKey k = keys.get(key);
        if (k == null) {
            throw new IllegalStateException("key " + name + "." + key + " is read but not declared");
        }
        Object v = values.get(key);
        return v == null ? k.defaultValue() : v;
    }

    public int getInt(String key) {
        Object v = raw(key);
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return n.intValue();
        }
        try {
            return Integer.parseInt(String.valueOf(v).trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(name + "." + key + " must be an integer, got '" + v + "'");
        }
    }

    public double getDouble(String key) {
        Object v = raw(key);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(String.valueOf(v).trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(name + "." + key + " must be a number, got '" + v + "'");
        }
    }

    public boolean getBoolean(String key) {
        Object v = raw(key);
        if (v instanceof Boolean b) {
            return b;
        }
        String s = String.valueOf(v).trim().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("on") || s.equals("yes")) {
            return true;
        }
        if (s.equals("false") || s.equals("off") || s.equals("no")) {
            return false;
        }
        throw new ConfigException(name + "." + key + " must be true or false, got '" + v + "'");
    }

    public String getString(String key) {
        Object v = raw(key);
        return v == null ? null : String.valueOf(v);
    }

    /** A string that must be one of {@code allowed}. */
    public String getChoice(String key, List<String> allowed) {
        String v = getString(key);
        if (!allowed.contains(v)) {
            String near = nearest(v, allowed);
            throw new ConfigException(name + "." + key + " must be one of " + allowed + ", got '" + v + "'"
                    + (near == null ? "" : " (did you mean '" + near + "'?)"));
        }
        return v;
    }

    public double getDouble(String key, double min, double max, boolean minInclusive, boolean maxInclusive) {
        double v = getDouble(key);
        boolean ok = (minInclusive ? v >= min : v > min) && (maxInclusive ? v <= max : v < max);
        if (!ok) {
            throw new ConfigException(name + "." + key + " must be in " + (minInclusive ? "[" : "(") + min + ", " + max
                    + (maxInclusive ? "]" : ")") + ", got " + v);
        }
        return v;
    }

    public int getInt(String key, int min, int max) {
        int v = getInt(key);
        if (v < min || v > max) {
            throw new ConfigException(name + "." + key + " must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** The closest candidate by edit distance, or null when nothing is reasonably close. */
    public static String nearest(String word, List<String> candidates) {
        if (word == null) {
            return null;
        }
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = levenshtein(word.toLowerCase(Locale.ROOT), c.toLowerCase(Locale.ROOT));
            if (d < bestD) {
                bestD = d;
                best = c;
            }
        }
        return best != null && bestD <= Math.max(2, word.length() / 2) ? best : null;
    }

    static int levenshtein(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
