package org.resfim.config;

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
    private final Origin origin;

    public Section(String name, Map<String, Object> values, List<ConfigKey> declared) {
        this(name, values, declared, Origin.NONE);
    }

    /** A section whose errors name {@code origin}'s file, or the option that replaced a key. */
    public Section(String name, Map<String, Object> values, List<ConfigKey> declared, Origin origin) {
        this.name = name;
        this.values = values == null ? Map.of() : values;
        this.origin = origin;
        for (ConfigKey k : declared) {
            keys.put(k.name(), k);
        }
        for (String k : this.values.keySet()) {
            if (!keys.containsKey(k)) {
                throw KeyException.unknown(origin, name, k, Suggest.nearest(k, keys.keySet()));
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
            throw origin.badValue(name, key, "must be an integer, got '" + v + "'");
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
            throw origin.badValue(name, key, "must be a number, got '" + v + "'");
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
        throw origin.badValue(name, key, "must be true or false, got '" + v + "'");
    }

    /** An error naming this section's key (and the file or option that set it). */
    public RuntimeException badValue(String key, String problem) {
        return origin.badValue(name, key, problem);
    }

    public String getString(String key) {
        Object v = raw(key);
        return v == null ? null : String.valueOf(v);
    }

    /** A string that must be one of {@code allowed}. */
    public String getChoice(String key, List<String> allowed) {
        String v = getString(key);
        if (!allowed.contains(v)) {
            String near = Suggest.nearest(v, allowed);
            throw origin.badValue(name, key, "must be one of " + String.join(", ", allowed) + ", got '" + v + "'"
                    + (near == null ? "" : " (did you mean '" + near + "'?)"));
        }
        return v;
    }

    /** An enum-valued key: one of {@code type}'s spellings ({@link Spelled}), refused with them listed. */
    public <E extends Enum<E> & Spelled> E getChoice(String key, Class<E> type) {
        return Spelled.parse(type, name + "." + key, getChoice(key, Spelled.keys(type)));
    }

    public double getDouble(String key, double min, double max, boolean minInclusive, boolean maxInclusive) {
        double v = getDouble(key);
        String problem = outside(v, min, max, minInclusive, maxInclusive);
        if (problem != null) {
            throw origin.badValue(name, key, problem);
        }
        return v;
    }

    public int getInt(String key, int min, int max) {
        int v = getInt(key);
        String problem = outside(v, min, max);
        if (problem != null) {
            throw origin.badValue(name, key, problem);
        }
        return v;
    }

    /** Bounds at or beyond this are "no practical limit": a message about a value below the minimum does not quote them. */
    private static final double UNBOUNDED = 100_000;

    /**
     * Null when {@code min <= v <= max}, else what a message says after the key or option's name:
     * "must be at least 1, got 0", "must be between 1 and 100, got 0", "must be at most 100, got 200".
     */
    public static String outside(long v, long min, long max) {
        if (v >= min && v <= max) {
            return null;
        }
        if (max < UNBOUNDED) {
            return "must be between " + min + " and " + max + ", got " + v;
        }
        return (v < min ? "must be at least " + min : "must be at most " + max) + ", got " + v;
    }

    /**
     * As {@link #outside(long, long, long)} for a real number, the range written as an interval with open or
     * closed ends ("must be in (0, 1), got 1.5"), or "must be greater than 0, got 0" when the upper bound is no
     * practical limit.
     */
    public static String outside(double v, double min, double max, boolean minInclusive, boolean maxInclusive) {
        boolean ok = (minInclusive ? v >= min : v > min) && (maxInclusive ? v <= max : v < max);
        if (ok) {
            return null;
        }
        if (max >= UNBOUNDED && !Double.isNaN(v) && (minInclusive ? v < min : v <= min)) {
            return "must be " + (minInclusive ? "at least " : "greater than ") + num(min) + ", got " + num(v);
        }
        return "must be in " + (minInclusive ? "[" : "(") + num(min) + ", " + num(max) + (maxInclusive ? "]" : ")") + ", got " + num(v);
    }

    /** A number as a person writes it: 0.001, 1000000, 0.5 (not 1.0E-3 or 1000000.0). */
    public static String num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.toString(v);
        }
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }
}
