package org.resfim.config;

import java.util.ArrayList;
import java.util.List;

/**
 * An enum whose constants are written in the configuration as {@link #key()} ({@code site-mean}, {@code trimmed_mean}):
 * the one way to declare an enum-valued key. {@link #parse} reads a spelling and refuses any other with the accepted
 * ones listed; {@link Section#getChoice(String, Class)} reads one from a section.
 */
public interface Spelled {
    /** The configuration spelling of this constant. */
    String key();

    /**
     * The constant of {@code type} spelt {@code value} (case and surrounding blanks ignored); otherwise an
     * IllegalArgumentException "{@code name} must be a, b or c, got 'value'".
     */
    static <E extends Enum<E> & Spelled> E parse(Class<E> type, String name, Object value) {
        String v = String.valueOf(value).trim();
        for (E e : type.getEnumConstants()) {
            if (e.key().equalsIgnoreCase(v)) {
                return e;
            }
        }
        throw new IllegalArgumentException(name + " must be " + spellings(type) + ", got '" + value + "'");
    }

    /** The spellings of {@code type}'s constants, in declaration order. */
    static <E extends Enum<E> & Spelled> List<String> keys(Class<E> type) {
        List<String> out = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            out.add(e.key());
        }
        return out;
    }

    /** The spellings as a message lists them: "a, b or c". */
    static <E extends Enum<E> & Spelled> String spellings(Class<E> type) {
        List<String> k = keys(type);
        return k.size() == 1 ? k.get(0) : String.join(", ", k.subList(0, k.size() - 1)) + " or " + k.get(k.size() - 1);
    }
}
