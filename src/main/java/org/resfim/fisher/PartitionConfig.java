package org.resfim.fisher;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.resfim.config.ConfigKey;
import org.resfim.config.Spelled;

/**
 * The partition options of METHOD.md steps 3–4 and the ablations (config keys {@code resfim.*}).
 *
 * @param variant  {@code resfim.variant}: {@code resfim}, {@code fim}, {@code random} or {@code layerwise} [fim]
 * @param residual {@code resfim.residual}: {@code absolute}, {@code relative}, {@code max}, {@code log-ratio} or {@code direction} [absolute]
 * @param scope    {@code resfim.scope}: {@code per-tensor} or {@code global} [per-tensor]
 * @param rho      {@code resfim.rho}: fraction of elements (tensors, for layerwise) made personal; in (0, 1) [0.2]
 * @param eps      {@code resfim.eps}: ε of the relative residual; finite, ≥ 0 [1e-12]
 * @param epsTau   {@code resfim.eps = tau}: ε of the relative residual is τ_t, the tensor's median own Fisher (its
 *                 mean where the median is 0; {@link ResidualFisher#tau}) instead of {@code eps} [false]
 * @param ties     {@code resfim.ties}: how equal scores at the top-ρ threshold are broken [lowest-index]
 * @param budget   {@code resfim.budget}: how many elements of each tensor are personal [uniform]
 * @param gate     {@code resfim.gate}: g; when &gt; 0, elements are chosen by score only among the top
 *                 {@code count(n, g·ρ_t)} of their tensor by own Fisher F_k (g = 1 gives the fim mask); 0 = no gate [0]
 */
public record PartitionConfig(Variant variant, Residual residual, Scope scope, double rho, double eps, boolean epsTau,
                              Ties ties, Budget budget, double gate) {

    /** The first five options; {@code eps} a number, ties to the lowest index, uniform budget, no gate. */
    public PartitionConfig(Variant variant, Residual residual, Scope scope, double rho, double eps) {
        this(variant, residual, scope, rho, eps, false, Ties.LOWEST_INDEX, Budget.UNIFORM, 0.0);
    }

    /** How equal scores at the top-ρ threshold are broken ({@link TopK}). */
    public enum Ties implements Spelled {
        /** The lower index wins (deterministic, the default: the README's tables were made with it). */
        LOWEST_INDEX("lowest-index"),
        /** A seeded uniform draw among the tied elements (seeded per estimate). */
        RANDOM("random");

        private final String key;

        Ties(String key) {
            this.key = key;
        }

        @Override
        public String key() {
            return key;
        }

        public static Ties parse(String value) {
            return Spelled.parse(Ties.class, "resfim.ties", value);
        }
    }

    /** How many elements of each tensor are personal. */
    public enum Budget implements Spelled {
        /** {@code count(n_t, ρ)} in every tensor (METHOD.md). */
        UNIFORM("uniform"),
        /**
         * Each tensor's personal fraction ∝ its domain gain s_t ({@link GainBudget}), the total kept at
         * {@code count(Σ n_t, ρ)}; needs the foreign Fishers (also for {@code variant = fim}, which then ranks the
         * elements within a tensor by F_k).
         */
        GAIN("gain");

        private final String key;

        Budget(String key) {
            this.key = key;
        }

        @Override
        public String key() {
            return key;
        }

        public static Budget parse(String value) {
            return Spelled.parse(Budget.class, "resfim.budget", value);
        }
    }

    /** Which score decides the partition, and how. */
    public enum Variant implements Spelled {
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

        @Override
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
            return Spelled.parse(Variant.class, "resfim.variant", value);
        }
    }

    /** Where the top-ρ selection is made. */
    public enum Scope implements Spelled {
        /** In every trainable tensor separately. */
        PER_TENSOR("per-tensor"),
        /** Over all elements at once, after dividing each tensor's scores by its mean. */
        GLOBAL("global");

        private final String key;

        Scope(String key) {
            this.key = key;
        }

        @Override
        public String key() {
            return key;
        }

        public static Scope parse(String value) {
            return Spelled.parse(Scope.class, "resfim.scope", value);
        }
    }

    /** The keys of the {@code resfim} section, each declared once: name, default and meaning (parsed by {@link #fromMap}). */
    public static final List<ConfigKey> KEYS = List.of(
            new ConfigKey("resfim", "variant", "fim", "fim (own Fisher only; METHOD.md: resfim — the default since the 5-fold vessel study, "
                    + "where no residual's masks beat own Fisher's and fim needs no style bank, README), resfim (the residual: the paper's "
                    + "method), random (same ρ), layerwise (whole tensors)"),
            new ConfigKey("resfim", "residual", "absolute", "absolute |F_{k→n} − F_k|, relative (÷ (F_k + F_{k→n} + ε)), max over n, "
                    + "log-ratio (gain-free: |log((F_{k→n}+τ_t)/(F_k+τ_t)) − its median over the output channel|, τ_t the tensor's median F_k), "
                    + "or direction (Σ_i (g_i^{k→n} − g_i^k)² / Σ_i ((g_i^{k→n})² + (g_i^k)² + τ_t) from paired per-sample gradients, same N·K passes)"),
            new ConfigKey("resfim", "scope", "per-tensor", "per-tensor top ρ, or global after per-tensor normalisation"),
            new ConfigKey("resfim", "rho", 0.2, "fraction ρ of elements that are domain-sensitive (personal), in (0, 1)"),
            new ConfigKey("resfim", "eps", 1e-12, "ε of the relative residual: a number >= 0, or tau for τ_t, the tensor's median F_k "
                    + "(its mean where the median is 0)"),
            new ConfigKey("resfim", "ties", "lowest-index", "equal scores at the top-ρ threshold: lowest-index (the lower index wins) or random "
                    + "(a draw seeded per estimate; dead elements with F = 0 then do not pile up in the first channels)"),
            new ConfigKey("resfim", "budget", "uniform", "personal elements per tensor: uniform (ρ of every tensor) or gain (a tensor's "
                    + "fraction ∝ its domain gain s_t, total ρ kept; elements within it by the variant's score: ResFIM, or F_k for variant = fim)"),
            new ConfigKey("resfim", "gate", 0.0, "importance gate g: choose a tensor's personal elements by score only among its top "
                    + "g·(its count) by F_k (g >= 1; 1 gives the fim mask; 1.5, 2, 4 let the residual choose among the important); 0 = no gate"));

    private static final PartitionConfig DEFAULTS = fromMap(Map.of());

    public PartitionConfig {
        if (variant == null) {
            throw new IllegalArgumentException("resfim.variant must be resfim, fim, random or layerwise, got null");
        }
        if (residual == null) {
            throw new IllegalArgumentException("resfim.residual must be absolute, relative, max, log-ratio or direction, got null");
        }
        if (scope == null) {
            throw new IllegalArgumentException("resfim.scope must be per-tensor or global, got null");
        }
        if (!(rho > 0 && rho < 1)) {
            throw new IllegalArgumentException("resfim.rho must be in (0, 1), got " + rho);
        }
        if (!(eps >= 0 && Double.isFinite(eps))) {
            throw new IllegalArgumentException("resfim.eps must be a finite number >= 0 or tau, got " + eps);
        }
        if (ties == null) {
            throw new IllegalArgumentException("resfim.ties must be lowest-index or random, got null");
        }
        if (budget == null) {
            throw new IllegalArgumentException("resfim.budget must be uniform or gain, got null");
        }
        if (!(gate == 0 || (gate >= 1 && Double.isFinite(gate)))) {
            throw new IllegalArgumentException("resfim.gate must be 0 (no gate) or a number >= 1, got " + gate);
        }
        if (budget == Budget.GAIN && (scope != Scope.PER_TENSOR || variant == Variant.RANDOM || variant == Variant.LAYERWISE)) {
            throw new IllegalArgumentException("resfim.budget = gain needs resfim.scope = per-tensor and resfim.variant resfim or fim, got "
                    + scope.key() + " and " + variant.key());
        }
        if (gate > 0 && (scope != Scope.PER_TENSOR || variant != Variant.RESFIM)) {
            throw new IllegalArgumentException("resfim.gate needs resfim.scope = per-tensor and resfim.variant = resfim (the residual chooses "
                    + "among the important elements; the default variant is fim), got " + scope.key() + " and " + variant.key());
        }
        if (residual != Residual.ABSOLUTE && !variant.needsForeignFisher()) {
            throw new IllegalArgumentException("resfim.residual = " + residual.key() + " needs a residual: resfim.variant = resfim (or layerwise);"
                    + " resfim.variant = " + variant.key() + " (the default is fim) ranks no residual, so the option would be ignored");
        }
    }

    /**
     * The partition {@code variant = fim} makes with these options (scope, ρ, ties) and the METHOD.md budget, no
     * gate: what the diagnostics compare a mask with.
     */
    public PartitionConfig plainFim() {
        return new PartitionConfig(Variant.FIM, Residual.ABSOLUTE, scope, rho, eps, epsTau, ties, Budget.UNIFORM, 0.0); // fim reads no residual
    }

    /** Whether the estimate needs the foreign (style-transferred) Fishers: ResFIM, layerwise, or a gain budget. */
    public boolean needsForeignFisher() {
        return variant.needsForeignFisher() || budget == Budget.GAIN;
    }

    /** The defaults: fim (METHOD.md: resfim; see the variant key), absolute, per-tensor, ρ 0.2, ε 1e-12. */
    public static PartitionConfig defaults() {
        return DEFAULTS;
    }

    /**
     * The defaults overridden by {@code values}, keyed {@code variant, residual, scope, rho, eps, ties, budget, gate} (a
     * {@code resfim.} prefix is accepted), e.g. from the method spec {@code pfl-resfim:variant=fim,rho=0.1}.
     * Unknown keys and unparsable values are refused with the key named.
     */
    public static PartitionConfig fromMap(Map<String, ?> values) {
        Map<String, Object> v = new LinkedHashMap<>();
        KEYS.forEach(k -> v.put(k.name(), k.defaultValue()));
        for (Map.Entry<String, ?> e : values.entrySet()) {
            String key = e.getKey().startsWith("resfim.") ? e.getKey().substring(7) : e.getKey();
            if (!v.containsKey(key.toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("unknown key 'resfim." + key + "'; known: "
                        + String.join(", ", KEYS.stream().map(ConfigKey::fullName).toList()));
            }
            v.put(key.toLowerCase(Locale.ROOT), e.getValue());
        }
        Object eps = v.get("eps");
        boolean epsTau = "tau".equalsIgnoreCase(String.valueOf(eps).trim());
        return new PartitionConfig(Variant.parse(String.valueOf(v.get("variant"))), Residual.parse(String.valueOf(v.get("residual"))),
                Scope.parse(String.valueOf(v.get("scope"))), number("rho", v.get("rho")), number("eps", epsTau ? KEYS.stream().filter(k -> k.name().equals("eps")).findFirst().orElseThrow().defaultValue() : eps), epsTau,
                Ties.parse(String.valueOf(v.get("ties"))), Budget.parse(String.valueOf(v.get("budget"))), number("gate", v.get("gate")));
    }

    private static double number(String key, Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(String.valueOf(v).trim());
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("resfim." + key + " must be a number" + (key.equals("eps") ? " or tau" : "")
                    + ", got '" + v + "'");
        }
    }
}
