package org.resfim.fisher;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.resfim.fisher.PartitionConfig.Scope;
import org.resfim.fisher.PartitionConfig.Variant;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

/**
 * Splits a model into domain-sensitive (personal, mask bit 1) and domain-invariant (shared, bit 0) elements from
 * a score per element (METHOD.md step 4 and the ablations).
 *
 * <p><b>Which tensors.</b> The mask covers exactly the tensors of {@code layout}. Bits are set only in the
 * <em>candidates</em>: the tensors of {@code layout} with a trainable role that appear in {@code scores} (for
 * {@code random} without scores: every trainable tensor). Everything else — BatchNorm running statistics, tensors
 * the scores leave out — stays 0 (running statistics are handled by {@code bn.stats}).
 *
 * <p><b>Counts.</b> {@link #count}{@code (n, ρ) = floor(ρ·n + 0.5)}: round half up, so a tensor gets at least one
 * personal element exactly when {@code ρ·n ≥ 0.5} (a 1-element bias with ρ = 0.2 gets none).
 *
 * <p><b>Variants</b> ({@link Variant}):
 * <ul>
 *   <li>{@code resfim}, {@code fim}: the top-ρ elements by score ({@link TopK}: ties to the lower index, or a
 *       seeded draw among the tied elements with {@code resfim.ties = random}); the
 *       caller passes ResFIM or the own Fisher. Scope {@code per-tensor}: {@code count(n, ρ)} in every candidate
 *       tensor. Scope {@code global}: every tensor's scores are divided by that tensor's mean score (0 where the
 *       mean is 0), then the top {@code count(N, ρ)} of all N candidate elements, concatenated in layout order,
 *       so on ties the earlier tensor, then the lower index, wins.</li>
 *   <li>{@code random}: uniformly random elements with the same counts (per tensor, or over all N for global
 *       scope), from {@code new Random(seed)}, tensors in layout order (Floyd's sampling).</li>
 *   <li>{@code layerwise}: whole candidate tensors ranked by mean score (raw, scope ignored); the top
 *       {@code max(1, round(ρ·T))} of the T candidates are fully personal; ties to the earlier tensor (or drawn,
 *       with {@code resfim.ties = random}).</li>
 * </ul>
 *
 * <p><b>Options of {@link PartitionConfig}</b> (per-tensor scope, variants resfim and fim):
 * <ul>
 *   <li>{@code resfim.budget = gain}: tensor t keeps k_t elements from {@link GainBudget#counts} over the candidate
 *       tensors' gains s_t (instead of {@code count(n_t, ρ)}).</li>
 *   <li>{@code resfim.gate = g > 0}: the k_t elements are the top k_t by score among the top
 *       {@code G_t = min(n_t, floor(g·k_t + 0.5))} of the tensor by own Fisher F_k (so g = 1 gives the fim mask).</li>
 * </ul>
 * With {@code resfim.ties = random} one {@code new Random(seed)} breaks every tie, tensors in layout order (the gate's
 * selection by F_k first, then the selection by score, in each tensor).
 */
public final class SensitivityPartition {
    private SensitivityPartition() {
    }

    /** {@link #partition(ModelState, ModelState, Map, ModelState, PartitionConfig, long)} without own Fisher or gains. */
    public static Mask partition(ModelState scores, ModelState layout, PartitionConfig config, long seed) {
        return partition(scores, null, null, layout, config, seed);
    }

    /** The METHOD.md partition (ties to the lower index, uniform budget, no gate) for the given variant, scope and ρ. */
    public static Mask partition(ModelState scores, ModelState layout, Variant variant, Scope scope, double rho, long seed) {
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(scope, "scope");
        if (!(rho > 0 && rho < 1)) {
            throw new IllegalArgumentException("resfim.rho must be in (0, 1), got " + rho);
        }
        return partition(scores, layout, new PartitionConfig(variant, Residual.ABSOLUTE, scope, rho, 1e-12), seed);
    }

    /**
     * The mask over {@code layout}'s tensors.
     *
     * @param scores per-element scores (ResFIM or Fisher): each tensor must be in {@code layout} with its shape,
     *               values finite and ≥ 0; may be null for {@code random}
     * @param own    the own Fisher F_k, needed with {@code resfim.gate > 0} (may be null otherwise)
     * @param gains  s_t by tensor name, needed with {@code resfim.budget = gain} (a missing tensor counts as 0)
     * @param seed   used by {@code random} and by {@code resfim.ties = random}
     * @throws IllegalArgumentException naming the tensor or the key at fault
     */
    public static Mask partition(ModelState scores, ModelState own, Map<String, Double> gains, ModelState layout,
                                 PartitionConfig config, long seed) {
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(config, "config");
        Variant variant = config.variant();
        Scope scope = config.scope();
        double rho = config.rho();
        if (scores == null && variant != Variant.RANDOM) {
            throw new IllegalArgumentException("resfim.variant " + variant.key() + " needs scores");
        }
        if (config.gate() > 0 && own == null) {
            throw new IllegalArgumentException("resfim.gate needs the own Fisher F_k");
        }
        if (config.budget() == PartitionConfig.Budget.GAIN && gains == null) {
            throw new IllegalArgumentException("resfim.budget = gain needs the tensors' gains (the foreign Fishers)");
        }
        Random ties = config.ties() == PartitionConfig.Ties.RANDOM ? new Random(seed) : null;
        List<Tensor> candidates = candidates(scores, layout);
        Mask mask = Mask.allInvariant(layout);
        switch (variant) {
            case RESFIM, FIM -> {
                if (scope == Scope.PER_TENSOR) {
                    int[] k = counts(candidates, config, gains);
                    for (int i = 0; i < k.length; i++) {
                        Tensor t = candidates.get(i);
                        float[] score = t.data();
                        if (config.gate() > 0) {
                            score = gated(score, own, t, k[i], config.gate(), ties);
                        }
                        mask.setBits(t.name(), TopK.select(score, k[i], ties));
                    }
                } else {
                    float[] all = concatNormalised(candidates);
                    scatter(mask, candidates, TopK.select(all, count(all.length, rho), ties));
                }
            }
            case RANDOM -> {
                Random rng = new Random(seed);
                if (scope == Scope.PER_TENSOR) {
                    for (Tensor t : candidates) {
                        mask.setBits(t.name(), sample(t.size(), count(t.size(), rho), rng));
                    }
                } else {
                    int total = totalSize(candidates);
                    scatter(mask, candidates, sample(total, count(total, rho), rng));
                }
            }
            case LAYERWISE -> {
                float[] means = new float[candidates.size()];
                for (int i = 0; i < means.length; i++) {
                    means[i] = (float) mean(candidates.get(i).data());
                }
                int k = means.length == 0 ? 0 : Math.max(1, count(means.length, rho));
                BitSet chosen = TopK.select(means, k, ties);
                for (int i = chosen.nextSetBit(0); i >= 0; i = chosen.nextSetBit(i + 1)) {
                    mask.setAll(candidates.get(i).name(), true);
                }
            }
            default -> throw new AssertionError(variant);
        }
        return mask;
    }

    /** k_t per candidate tensor: {@code count(n_t, ρ)}, or the gain budget. */
    private static int[] counts(List<Tensor> candidates, PartitionConfig config, Map<String, Double> gains) {
        int[] sizes = new int[candidates.size()];
        double[] g = new double[candidates.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = candidates.get(i).size();
            g[i] = gains == null ? 0 : gains.getOrDefault(candidates.get(i).name(), 0.0);
        }
        if (config.budget() == PartitionConfig.Budget.GAIN) {
            return GainBudget.counts(sizes, g, config.rho());
        }
        int[] k = new int[sizes.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = count(sizes[i], config.rho());
        }
        return k;
    }

    /** The scores with every element outside the tensor's top G = min(n, floor(g·k + 0.5)) by F_k set to −1. */
    private static float[] gated(float[] score, ModelState own, Tensor t, int k, double g, Random ties) {
        if (!own.contains(t.name()) || !own.get(t.name()).sameLayout(t)) {
            throw new IllegalArgumentException("resfim.gate: the own Fisher has no tensor '" + t.name() + "' of the score's shape");
        }
        int gate = (int) Math.min(t.size(), Math.floor(g * k + 0.5));
        BitSet in = TopK.select(own.get(t.name()).data(), gate, ties);
        float[] out = new float[score.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = in.get(i) ? score[i] : -1f;
        }
        return out;
    }

    /** Personal elements in a set of n at ratio ρ: {@code floor(ρ·n + 0.5)}, clipped to [0, n]. */
    public static int count(int n, double rho) {
        long k = (long) Math.floor(rho * n + 0.5);
        return (int) Math.max(0, Math.min(n, k));
    }

    /** The candidate tensors, in layout order, carrying the score data (layout's own tensors for random without scores). */
    private static List<Tensor> candidates(ModelState scores, ModelState layout) {
        List<Tensor> out = new ArrayList<>();
        if (scores != null) {
            for (Tensor s : scores.tensors()) {
                if (!layout.contains(s.name())) {
                    throw new IllegalArgumentException("partition: score tensor '" + s.name() + "' "
                            + Arrays.toString(s.shape()) + " is not part of the model");
                }
                Tensor l = layout.get(s.name());
                if (!l.sameLayout(s)) {
                    throw new IllegalArgumentException("partition: score tensor '" + s.name() + "' has shape "
                            + Arrays.toString(s.shape()) + ", model expects " + Arrays.toString(l.shape()));
                }
            }
        }
        for (Tensor l : layout.tensors()) {
            if (!l.role().trainable()) {
                continue;
            }
            if (scores == null) {
                out.add(l);
            } else if (scores.contains(l.name())) {
                Tensor s = scores.get(l.name());
                checkScores(s);
                out.add(s);
            }
        }
        return out;
    }

    private static void checkScores(Tensor t) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            if (!(d[i] >= 0) || d[i] == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("partition: score tensor '" + t.name() + "' element " + i + " is " + d[i]
                        + "; scores must be finite and >= 0");
            }
        }
    }

    private static double mean(float[] d) {
        if (d.length == 0) {
            return 0.0;
        }
        double s = 0;
        for (float v : d) {
            s += v;
        }
        return s / d.length;
    }

    private static int totalSize(List<Tensor> ts) {
        long n = 0;
        for (Tensor t : ts) {
            n += t.size();
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("partition: " + n + " elements is too many for the global scope");
        }
        return (int) n;
    }

    /** Scores divided by their tensor's mean (0 where the mean is 0), concatenated in layout order. */
    private static float[] concatNormalised(List<Tensor> ts) {
        float[] all = new float[totalSize(ts)];
        int off = 0;
        for (Tensor t : ts) {
            float[] d = t.data();
            double m = mean(d);
            for (int i = 0; i < d.length; i++) {
                all[off + i] = m > 0 ? (float) (d[i] / m) : 0f;
            }
            off += d.length;
        }
        return all;
    }

    /** Sets the bits of {@code global} (indices into the concatenation of {@code ts}) in their tensors. */
    private static void scatter(Mask mask, List<Tensor> ts, BitSet global) {
        int off = 0;
        for (Tensor t : ts) {
            mask.setBits(t.name(), global.get(off, off + t.size()));
            off += t.size();
        }
    }

    /** k distinct uniform indices in [0, n): Floyd's algorithm, O(k). */
    private static BitSet sample(int n, int k, Random rng) {
        BitSet b = new BitSet(n);
        for (int j = n - k; j < n; j++) {
            int t = rng.nextInt(j + 1);
            b.set(b.get(t) ? j : t);
        }
        return b;
    }
}
