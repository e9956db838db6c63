package org.resfim.fisher;

/**
 * How the own Fisher {@code F_k} and the foreign Fishers {@code F_{k→n}} combine into ResFIM (config key
 * {@code resfim.residual}), elementwise over the foreign sites n.
 */
public enum Residual implements org.resfim.config.Spelled {
    /** {@code mean_n |F_{k→n} − F_k|} (METHOD.md default). */
    ABSOLUTE("absolute"),
    /** {@code mean_n |F_{k→n} − F_k| / (F_k + F_{k→n} + ε)}, in [0, 1). */
    RELATIVE("relative"),
    /** {@code max_n |F_{k→n} − F_k|}. */
    MAX("max"),
    /**
     * Gain-free: {@code mean_n |d_n[p] − median_{q ∈ c(p)} d_n[q]|} with {@code d_n = log((F_{k→n} + τ_t) / (F_k + τ_t))},
     * c(p) the output channel of p (first dimension; the whole tensor for one-dimensional tensors, whose channels
     * hold one element each), τ_t the tensor's median F_k ({@link ResidualFisher#tau}). A common gain of a channel
     * (or of a 1-D tensor) adds about log c to its d_n (exactly where F ≫ τ_t) and cancels.
     */
    LOG_RATIO("log-ratio"),
    /**
     * Gradient direction: {@code mean_n Σ_i (g_i^{k→n} − g_i^k)² / Σ_i ((g_i^{k→n})² + (g_i^k)² + τ_t)} from paired
     * per-sample gradients (the same N·K passes), i.e. {@code D_n / (F_{k→n} + F_k + τ_t)} with
     * {@code D_n = (1/N) Σ_i (g_i^{k→n} − g_i^k)²}; in [0, 2]. Insensitive to gains: a common gain c of a tensor's
     * per-sample gradients gives every element the same (c − 1)² / (c² + 1) (up to τ_t), so the ranking within the tensor follows how each element's per-sample
     * gradients change, not how large F_k is; τ_t keeps elements with near-zero Fisher near 0.
     */
    DIRECTION("direction");

    private final String key;

    Residual(String key) {
        this.key = key;
    }

    /** The config spelling, e.g. {@code absolute}. */
    @Override
    public String key() {
        return key;
    }

    /** Parses the config spelling; the message names {@code resfim.residual} and the accepted values. */
    public static Residual parse(String value) {
        return org.resfim.config.Spelled.parse(Residual.class, "resfim.residual", value);
    }
}
