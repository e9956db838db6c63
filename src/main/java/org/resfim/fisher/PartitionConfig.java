package org.resfim.fisher;

import java.util.Locale;
import java.util.Map;

/**
 * The partition options of METHOD.md steps 3–4 and the ablations (config keys {@code resfim.*}).
 *
 * @param variant  {@code resfim.variant}: {@code resfim}, {@code fim}, {@code random} or {@code layerwise} [resfim]
 * @param residual {@code resfim.residual}: {@code absolute}, {@code relative} or {@code max} [absolute]
 * @param scope    {@code resfim.scope}: {@code per-tensor} or {@code global} [per-tensor]
 * @param rho      {@code resfim.rho}: fraction of elements (tensors, for layerwise) made personal; in (0, 1) [0.2]
 * @param eps      {@code resfim.eps}: ε of the relative residual; finite, ≥ 0 [1e-12]
 */
public record PartitionConfig(Variant variant, Residual residual, Scope scope, double rho, double eps) {

    /** Which score decides the partition, and how. */
    public enum Variant {
        /** Top-ρ elements by ResFIM (the method). */
        RESFIM("resfim"),
        /** Top-ρ elements by the own Fisher F_k alone (no style simulation). */
        FIM("fim"),
        /** A seeded random mask with the same counts. */
        RANDOM("random"),
        /** Whole tensors ranked by mean score; the top ρ of tensors personal. */
        LAYERWISE("layerwise");

        private final String key;

        Variant(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        /** Whether this variant needs a Fisher estimate at all ({@code random} does not). */
        public boolean needsFisher() {
            return this != RANDOM;
        }

        /** Whether this variant needs the foreign (style-transferred) Fishers, i.e. ResFIM. */
        public boolean needsForeignFisher() {
            return this == RESFIM || this == LAYERWISE;
        }

        public static Variant parse(String value) {
            for (Variant v : values()) {
                if (v.key.equalsIgnoreCase(String.valueOf(value).trim())) {
                    return v;
                }
            }
            throw new IllegalArgumentException("resfim.variant must be resfim, fim, random or layerwise, got '" + value + "'");
        }
    }

    /** Where the top-ρ selection is made. */
    public enum Scope {
        /** In every trainable tensor separately. */
        PER_TENSOR("per-tensor"),
        /** Over all elements at once, after dividing each tensor's scores by its mean. */
        GLOBAL("global");

        private final String key;

        Scope(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        public static Scope parse(String value) {
            for (Scope s : values()) {
                if (s.key.equalsIgnoreCase(String.valueOf(value).trim())) {
                    return s;
                }
            }
            throw new IllegalArgumentException("resfim.scope must be per-tensor or global, got '" + value + "'");
        }
    }

    public PartitionConfig {
        if (variant == null) {
            throw new IllegalArgumentException("resfim.variant must be resfim, fim, random or layerwise, got null");
        }
        if (residual == null) {
            throw new IllegalArgumentException("resfim.residual must be absolute, relative or max, got null");
        }
        if (scope == null) {
            throw new IllegalArgumentException("resfim.scope must be per-tensor or global, got null");
        }
        if (!(rho > 0 && rho < 1)) {
            throw new IllegalArgumentException("resfim.rho must be in (0, 1), got " + rho);
        }
        if (!(eps >= 0 && Double.isFinite(eps))) {
            throw new IllegalArgumentException("resfim.eps must be a finite number >= 0, got " + eps);
        }
    }

    /** The METHOD.md defaults: resfim, absolute, per-tensor, ρ 0.2, ε 1e-12. */
    public static PartitionConfig defaults() {
        return new PartitionConfig(Variant.RESFIM, Residual.ABSOLUTE, Scope.PER_TENSOR, 0.2, 1e-12);
    }

    /**
     * The defaults overridden by {@code values}, keyed {@code variant, residual, scope, rho, eps} (a
     * {@code resfim.} prefix is accepted), e.g. from the method spec {@code pfl-resfim:variant=fim,rho=0.1}.
     * Unknown keys and unparsable values are refused with the key named.
     */
    public static PartitionConfig fromMap(Map<String, ?> values) {
        PartitionConfig d = defaults();
        Variant variant = d.variant;
        Residual residual = d.residual;
        Scope scope = d.scope;
        double rho = d.rho;
        double eps = d.eps;
        for (Map.Entry<String, ?> e : values.entrySet()) {
            String key = e.getKey().startsWith("resfim.") ? e.getKey().substring(7) : e.getKey();
            Object v = e.getValue();
            switch (key.toLowerCase(Locale.ROOT)) {
                case "variant" -> variant = Variant.parse(String.valueOf(v));
                case "residual" -> residual = Residual.parse(String.valueOf(v));
                case "scope" -> scope = Scope.parse(String.valueOf(v));
                case "rho" -> rho = number(key, v);
                case "eps" -> eps = number(key, v);
                default -> throw new IllegalArgumentException("unknown key 'resfim." + key
                        + "'; known: resfim.variant, resfim.residual, resfim.scope, resfim.rho, resfim.eps");
            }
        }
        return new PartitionConfig(variant, residual, scope, rho, eps);
    }

    private static double number(String key, Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(String.valueOf(v).trim());
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("resfim." + key + " must be a number, got '" + v + "'");
        }
    }
}
