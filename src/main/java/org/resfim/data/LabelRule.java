package org.resfim.data;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How stored mask values become labels. Mask values are the stored grey levels (palette, 1-, 2- and 4-bit
 * images expanded to 0–255; 16-bit kept as stored; colour masks by luminance).
 *
 * <ul>
 *   <li>Threshold (the default): value ≥ {@code threshold} is foreground (1), else background (0).</li>
 *   <li>Mapping: {@code values} maps every allowed stored value to a class (a name or an integer); a value
 *       that is not declared is an error. With {@code foreground} (class names), the label is binary:
 *       1 for pixels whose class is listed. Without it, classes must be integers and the mask holds them.</li>
 *   <li>{@code invert} swaps 0 and 1 of a binary label.</li>
 * </ul>
 */
public final class LabelRule {
    public static final LabelRule DEFAULT = threshold(128, false);

    private final int threshold;
    private final boolean invert;
    private final Map<Integer, String> values;
    private final Set<String> foreground;

    private LabelRule(int threshold, boolean invert, Map<Integer, String> values, Set<String> foreground) {
        this.threshold = threshold;
        this.invert = invert;
        this.values = values;
        this.foreground = foreground;
    }

    public static LabelRule threshold(int threshold, boolean invert) {
        return new LabelRule(threshold, invert, null, null);
    }

    /**
     * A value→class mapping. {@code foreground} null: the classes must be integers ≥ 0 (multi-class label).
     *
     * @throws IllegalArgumentException when a foreground class is not among the values, or classes are names
     *                                  without a foreground list
     */
    public static LabelRule mapping(Map<Integer, String> values, Collection<String> foreground, boolean invert) {
        if (values == null || values.isEmpty()) {
            throw new IllegalArgumentException("label.values must declare at least one value");
        }
        Map<Integer, String> v = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        Set<String> fg = null;
        if (foreground != null) {
            fg = Collections.unmodifiableSet(new LinkedHashSet<>(foreground));
            for (String f : fg) {
                if (!v.containsValue(f)) {
                    throw new IllegalArgumentException("label.foreground class '" + f + "' is not one of the classes in"
                            + " label.values " + new TreeSet<>(v.values()));
                }
            }
        } else {
            for (String c : v.values()) {
                try {
                    if (Integer.parseInt(c) < 0) {
                        throw new IllegalArgumentException("label.values: class " + c + " is negative");
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("label.values maps to class names " + new TreeSet<>(v.values())
                            + ": list the foreground classes in label.foreground (or map values to integers)");
                }
            }
            if (invert) {
                throw new IllegalArgumentException("label.invert applies to binary labels only (set label.foreground)");
            }
        }
        return new LabelRule(0, invert, v, fg);
    }

    /** True when labels are 0/1. */
    public boolean binary() {
        return values == null || foreground != null;
    }

    /** 2 for binary labels, else the largest class + 1. */
    public int numClasses() {
        if (binary()) {
            return 2;
        }
        int max = 0;
        for (String c : values.values()) {
            max = Math.max(max, Integer.parseInt(c));
        }
        return max + 1;
    }

    public int threshold() {
        return threshold;
    }

    public boolean invert() {
        return invert;
    }

    /** The declared mapping (stored value → class), or null for a threshold rule. */
    public Map<Integer, String> values() {
        return values;
    }

    /** The foreground classes, or null. */
    public Set<String> foreground() {
        return foreground;
    }

    /**
     * Labels for stored mask values.
     *
     * @throws DataException naming {@code file} and rule {@code label.values} for a value outside the mapping
     */
    public float[] apply(int[] stored, String file) {
        float[] out = new float[stored.length];
        if (values == null) {
            for (int i = 0; i < stored.length; i++) {
                boolean fg = stored[i] >= threshold;
                out[i] = fg != invert ? 1f : 0f;
            }
            return out;
        }
        // a small lookup: most masks use a handful of values
        Map<Integer, Float> lut = new LinkedHashMap<>();
        for (Map.Entry<Integer, String> e : values.entrySet()) {
            float label;
            if (foreground != null) {
                boolean fg = foreground.contains(e.getValue());
                label = fg != invert ? 1f : 0f;
            } else {
                label = Integer.parseInt(e.getValue());
            }
            lut.put(e.getKey(), label);
        }
        int lastKey = Integer.MIN_VALUE;
        float lastLabel = 0f;
        for (int i = 0; i < stored.length; i++) {
            int s = stored[i];
            if (s != lastKey) {
                Float l = lut.get(s);
                if (l == null) {
                    throw new DataException(file, "label.values",
                            "mask value " + s + " is outside the declared mapping " + values.keySet()
                                    + " (found at pixel " + i + "; values in this mask: "
                                    + describeValues(distinct(stored)) + ")");
                }
                lastKey = s;
                lastLabel = l;
            }
            out[i] = lastLabel;
        }
        return out;
    }

    /** The sorted distinct values (at most 257 are collected). */
    static int[] distinct(int[] stored) {
        TreeSet<Integer> set = new TreeSet<>();
        for (int s : stored) {
            if (set.add(s) && set.size() > 256) {
                break;
            }
        }
        int[] out = new int[set.size()];
        int i = 0;
        for (int s : set) {
            out[i++] = s;
        }
        return out;
    }

    static String describeValues(int[] distinct) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < distinct.length && i < 12; i++) {
            parts.add(Integer.toString(distinct[i]));
        }
        if (distinct.length > 12) {
            parts.add("… " + (distinct.length > 256 ? "more than 256" : distinct.length) + " distinct");
        }
        return "{" + String.join(", ", parts) + "}";
    }

    /** Text that changes whenever the rule's output could. */
    public String signature() {
        return values == null ? "threshold=" + threshold + ",invert=" + invert
                : "values=" + values + ",fg=" + foreground + ",invert=" + invert;
    }

    @Override
    public String toString() {
        return signature();
    }
}
