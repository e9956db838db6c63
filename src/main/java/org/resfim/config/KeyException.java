package org.resfim.config;

/**
 * A configuration error about one key of a section: unknown (with the nearest known key, if any) or with a
 * value it cannot take. It keeps the parts of its message so that a caller who knows better where the key
 * was written (a file, a method spec on the command line) can say so: {@link #problem()} is the message
 * without the key's name and file.
 */
public final class KeyException extends ConfigException {
    private final String section;
    private final String key;
    private final String problem;
    private final String suggestion;

    KeyException(String message, String section, String key, String problem, String suggestion) {
        super(message);
        this.section = section;
        this.key = key;
        this.problem = problem;
        this.suggestion = suggestion;
    }

    /** An unknown key, refused as {@code origin} names it. */
    public static KeyException unknown(Origin origin, String section, String key, String suggestion) {
        String full = section + "." + key;
        return new KeyException(origin.prefix() + "unknown key '" + full + "'" + (suggestion == null ? "" : " (did you mean '" + section + "."
                + suggestion + "'?)"), section, key, null, suggestion);
    }

    /** A value the key cannot take: {@code problem} is what follows the key's name, e.g. "must be at least 1, got 0". */
    public static KeyException value(Origin origin, String section, String key, String problem) {
        return new KeyException(origin.prefix() + section + "." + key + " " + problem, section, key, problem, null);
    }

    /** The section's name as the message gives it, e.g. {@code training} or {@code fedprox}. */
    public String section() {
        return section;
    }

    /** The key within its section. */
    public String key() {
        return key;
    }

    /** True for an unknown key. */
    public boolean unknown() {
        return problem == null;
    }

    /** What is wrong with the value (null for an unknown key). */
    public String problem() {
        return problem;
    }

    /** The known key meant, within the section, or null. */
    public String suggestion() {
        return suggestion;
    }
}
