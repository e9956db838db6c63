package org.resfim.fisher;

/**
 * How the own Fisher {@code F_k} and the foreign Fishers {@code F_{k→n}} combine into ResFIM (config key
 * {@code resfim.residual}), elementwise over the foreign sites n.
 */
public enum Residual {
    /** {@code mean_n |F_{k→n} − F_k|} (METHOD.md default). */
    ABSOLUTE("absolute"),
    /** {@code mean_n |F_{k→n} − F_k| / (F_k + F_{k→n} + ε)}, in [0, 1). */
    RELATIVE("relative"),
    /** {@code max_n |F_{k→n} − F_k|}. */
    MAX("max");

    private final String key;

    Residual(String key) {
        this.key = key;
    }

    /** The config spelling, e.g. {@code absolute}. */
    public String key() {
        return key;
    }

    /** Parses the config spelling; the message names {@code resfim.residual} and the accepted values. */
    public static Residual parse(String value) {
        for (Residual r : values()) {
            if (r.key.equalsIgnoreCase(String.valueOf(value).trim())) {
                return r;
            }
        }
        throw new IllegalArgumentException("resfim.residual must be absolute, relative or max, got '" + value + "'");
    }
}
