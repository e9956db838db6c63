package org.resfim.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where configuration values were written, so that an error names it: the configuration file (null for
 * values built in code) and the keys a command-line option replaced ({@code federation.rounds} →
 * {@code --rounds}).
 */
public record Origin(String file, Map<String, String> options) {
    /** Values of unknown origin: errors name the key only. */
    public static final Origin NONE = new Origin(null, Map.of());

    public Origin {
        options = Map.copyOf(options);
    }

    public static Origin file(String file) {
        return new Origin(file, Map.of());
    }

    /** A copy in which {@code option} gave the value of {@code fullKey} (section.key). */
    public Origin withOption(String fullKey, String option) {
        Map<String, String> m = new LinkedHashMap<>(options);
        m.put(fullKey, option);
        return new Origin(file, m);
    }

    /** "FILE: " to put before a message, or "" when the file is unknown. */
    public String prefix() {
        return file == null ? "" : file + ": ";
    }

    /** The option that gave {@code fullKey}'s value, or null when the file (or a default) did. */
    public String option(String fullKey) {
        return options.get(fullKey);
    }

    /** The key as the user wrote it: the option that set it, else {@code section.key}. */
    public String name(String fullKey) {
        String o = option(fullKey);
        return o != null ? o : fullKey;
    }

    /** How a message quotes a key and its value: {@code --rounds 1} or {@code federation.rounds = 1 (in FILE)}. */
    public String quote(String fullKey, Object value) {
        String o = option(fullKey);
        if (o != null) {
            return o + " " + value;
        }
        return fullKey + " = " + value + (file == null ? "" : " (" + file + ")");
    }

    /** A value {@code section.key} cannot take; {@code problem} follows the key's name ("must be at least 1, got 0"). */
    public RuntimeException badValue(String section, String key, String problem) {
        String o = option(section + "." + key);
        if (o != null) {
            return new OptionException(o + " " + problem);
        }
        return KeyException.value(this, section, key, problem);
    }
}
