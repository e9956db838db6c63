package org.resfim.data;

import org.resfim.config.ConfigException;
import org.resfim.config.Suggest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Typed, checked access to one mapping of a YAML configuration; errors name the file and the key path. */
final class ConfigNode {
    final String file;
    final String path;
    final Map<String, Object> map;
    /** Keys written elsewhere than {@link #path} (a site's keys inherited from data.defaults): key → the path they are written at. */
    private final Map<String, String> writtenAt;

    ConfigNode(String file, String path, Map<String, Object> map) {
        this(file, path, map, Map.of());
    }

    ConfigNode(String file, String path, Map<String, Object> map, Map<String, String> writtenAt) {
        this.file = file;
        this.path = path;
        this.map = map;
        this.writtenAt = writtenAt;
    }

    /** A node of {@code own}'s keys over {@code inherited}'s; a key only {@code inherited} has is reported at its path. */
    static ConfigNode merged(ConfigNode own, ConfigNode inherited) {
        Map<String, Object> m = new java.util.LinkedHashMap<>(inherited.map);
        m.putAll(own.map);
        Map<String, String> at = new java.util.LinkedHashMap<>();
        for (String k : inherited.map.keySet()) {
            if (!own.map.containsKey(k)) {
                at.put(k, inherited.path);
            }
        }
        return new ConfigNode(own.file, own.path, m, at);
    }

    /** The path {@code key} is written at: this node's, or where it was inherited from. */
    String keyPath(String key) {
        String parent = writtenAt.getOrDefault(key, path);
        return parent.isEmpty() ? key : parent + "." + key;
    }

    /** The path of the mapping {@code key} was inherited from, or null when it is written here (or absent). */
    String inheritedFrom(String key) {
        return writtenAt.get(key);
    }

    ConfigException error(String key, String problem) {
        return new ConfigException(file, "config." + (key == null ? "value" : "value of " + keyPath(key)), problem);
    }

    /** Fails on the first key that is not allowed, suggesting the nearest allowed one. */
    void allowOnly(Collection<String> allowed) {
        for (String k : map.keySet()) {
            if (!allowed.contains(k)) {
                throw unknownKey(file, path, k, allowed);
            }
        }
    }

    static ConfigException unknownKey(String file, String path, String key, Collection<String> allowed) {
        String where = path.isEmpty() ? "at the top level" : "in '" + path + "'";
        String near = Suggest.nearest(key, allowed);
        String hint = near != null ? " — did you mean '" + near + "'?" : "";
        return new ConfigException(file, "config.known-keys", "unknown key '" + key + "' " + where + hint
                + " (valid keys: " + String.join(", ", new TreeSet<>(allowed)) + ")");
    }

    boolean has(String key) {
        return map.containsKey(key) && map.get(key) != null;
    }

    Object get(String key) {
        return map.get(key);
    }

    String string(String key, String dflt) {
        Object v = map.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Map || v instanceof List) {
            throw error(key, "'" + keyPath(key) + "' must be a text value, got " + describe(v));
        }
        return v.toString();
    }

    long integer(String key, long dflt) {
        Object v = map.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Integer || v instanceof Long || v instanceof java.math.BigInteger) {
            return ((Number) v).longValue();
        }
        throw error(key, "'" + keyPath(key) + "' must be an integer, got " + describe(v));
    }

    double number(String key, double dflt) {
        Object v = map.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number) {
            return ((Number) v).doubleValue();
        }
        throw error(key, "'" + keyPath(key) + "' must be a number, got " + describe(v));
    }

    boolean bool(String key, boolean dflt) {
        Object v = map.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean) {
            return (Boolean) v;
        }
        throw error(key, "'" + keyPath(key) + "' must be true or false, got " + describe(v));
    }

    @SuppressWarnings("unchecked")
    ConfigNode node(String key) {
        Object v = map.get(key);
        if (v == null) {
            return new ConfigNode(file, keyPath(key), Map.of());
        }
        if (!(v instanceof Map)) {
            throw error(key, "'" + keyPath(key) + "' must be a mapping (key: value lines), got " + describe(v));
        }
        for (Object k : ((Map<Object, Object>) v).keySet()) {
            if (!(k instanceof String)) {
                throw error(key, "'" + keyPath(key) + "' has a non-text key " + k);
            }
        }
        return new ConfigNode(file, keyPath(key), (Map<String, Object>) v);
    }

    @SuppressWarnings("unchecked")
    List<Object> list(String key) {
        Object v = map.get(key);
        if (v == null) {
            return List.of();
        }
        if (v instanceof List) {
            return (List<Object>) v;
        }
        throw error(key, "'" + keyPath(key) + "' must be a list, got " + describe(v));
    }

    /**
     * A list of numbers, or a single number as a list of one; {@code form} says what the key takes, for the
     * message when it holds something else (e.g. "a number or a list [height, width]").
     */
    List<Double> numbers(String key, String form) {
        Object v = map.get(key);
        List<Double> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (v instanceof Number) {
            out.add(((Number) v).doubleValue());
            return out;
        }
        if (!(v instanceof List)) {
            throw error(key, "'" + keyPath(key) + "' must be " + form + ", got " + describe(v));
        }
        for (Object o : (List<?>) v) {
            if (!(o instanceof Number)) {
                throw error(key, "'" + keyPath(key) + "' must be " + form + ", got " + describe(v) + " holding " + describe(o));
            }
            out.add(((Number) o).doubleValue());
        }
        return out;
    }

    static String describe(Object v) {
        if (v instanceof Map) {
            return "a mapping";
        }
        if (v instanceof List) {
            return "a list";
        }
        return "'" + v + "'";
    }
}
