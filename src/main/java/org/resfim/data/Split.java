package org.resfim.data;

import java.util.Locale;

/** The three parts of a site's data. */
public enum Split {
    TRAIN, VAL, TEST;

    /** The lower-case name used in configs and manifests: {@code train}, {@code val}, {@code test}. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code train|val|test} (also {@code training}, {@code validation}, {@code testing}); null if none. */
    public static Split parse(String text) {
        if (text == null) {
            return null;
        }
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "train": case "training": return TRAIN;
            case "val": case "valid": case "validation": return VAL;
            case "test": case "testing": return TEST;
            default: return null;
        }
    }
}
