package org.resfim.fisher;

import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

/**
 * Whether the residual finds other elements than the own Fisher does (issue #15): per trainable tensor t,
 * <ul>
 *   <li>{@code gain.t} = s_t = mean_p mean_n |F_{k→n}[p] − F_k[p]| / mean_p F_k[p], the tensor's domain gain (how
 *       much a style change moves its Fisher, relative to its size; absent where mean F_k = 0);</li>
 *   <li>{@code jaccard_fim.t}: |A ∩ B| / |A ∪ B| of the elements the partition made personal (A) and those
 *       {@code variant = fim} would make personal on the same model and samples (B); 1 when both are empty;</li>
 *   <li>{@code spearman_fim.t}: the Spearman rank correlation of log score with log F_k (log is monotone, so this
 *       is the rank correlation of the scores themselves; zeros tie at the bottom; average ranks for ties; absent
 *       where either is constant).</li>
 * </ul>
 * and over all trainable elements: {@code gain} (Σ_t Σ_p mean_n |F_{k→n} − F_k| / Σ_t Σ_p F_k), {@code jaccard_fim}
 * (of the whole masks) and {@code spearman_fim} (the mean over the tensors where it is defined). If F_{k→n} ≈ c·F_k
 * in a tensor, then s_t ≈ |c − 1| and the absolute residual ranks the tensor like F_k: Jaccard and Spearman near 1.
 */
public final class ResidualDiagnostics {
    private ResidualDiagnostics() {
    }

    /** s_t for every trainable tensor of {@code own}, in its order (NaN where mean F_k = 0). */
    public static Map<String, Double> gains(ModelState own, List<ModelState> foreign) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Tensor t : own.tensors()) {
            if (!t.role().trainable()) {
                continue;
            }
            double[] sums = residualAndOwnSums(t, foreign);
            out.put(t.name(), sums[1] > 0 ? sums[0] / sums[1] : Double.NaN);
        }
        return out;
    }

    /** The overall gain: Σ_t Σ_p mean_n |F_{k→n} − F_k| / Σ_t Σ_p F_k over trainable tensors (NaN when F_k is all 0). */
    public static double overallGain(ModelState own, List<ModelState> foreign) {
        double num = 0;
        double den = 0;
        for (Tensor t : own.tensors()) {
            if (t.role().trainable()) {
                double[] sums = residualAndOwnSums(t, foreign);
                num += sums[0];
                den += sums[1];
            }
        }
        return den > 0 ? num / den : Double.NaN;
    }

    /** {Σ_p mean_n |F_{k→n}[p] − F_k[p]|, Σ_p F_k[p]} of one tensor. */
    private static double[] residualAndOwnSums(Tensor t, List<ModelState> foreign) {
        float[] fk = t.data();
        double res = 0;
        double own = 0;
        for (float v : fk) {
            own += v;
        }
        for (ModelState f : foreign) {
            float[] fn = f.get(t.name()).data();
            for (int i = 0; i < fk.length; i++) {
                res += Math.abs((double) fn[i] - fk[i]);
            }
        }
        return new double[] {foreign.isEmpty() ? 0 : res / foreign.size(), own};
    }

    /**
     * The statistics named in the class comment, keyed {@code gain.<tensor>}, {@code jaccard_fim.<tensor>},
     * {@code spearman_fim.<tensor>} and the three overall ones; undefined values are left out.
     *
     * @param own     F_k
     * @param foreign F_{k→n}
     * @param score   the score the partition ranked by (ResFIM, or F_k)
     * @param chosen  the partition made
     * @param fim     the partition {@code variant = fim} makes from F_k with the same options and seed
     */
    public static Map<String, Double> stats(ModelState own, List<ModelState> foreign, ModelState score, Mask chosen, Mask fim) {
        Map<String, Double> out = new LinkedHashMap<>();
        long inter = 0;
        long union = 0;
        double rhoSum = 0;
        int rhoCount = 0;
        for (Tensor t : own.tensors()) {
            if (!t.role().trainable() || !score.contains(t.name())) {
                continue;
            }
            String name = t.name();
            double[] sums = residualAndOwnSums(t, foreign);
            if (sums[1] > 0) {
                out.put("gain." + name, sums[0] / sums[1]);
            }
            BitSet a = chosen.bits(name);
            BitSet b = fim.bits(name);
            BitSet and = (BitSet) a.clone();
            and.and(b);
            BitSet or = (BitSet) a.clone();
            or.or(b);
            inter += and.cardinality();
            union += or.cardinality();
            out.put("jaccard_fim." + name, or.isEmpty() ? 1.0 : and.cardinality() / (double) or.cardinality());
            double r = spearman(score.get(name).data(), t.data());
            if (!Double.isNaN(r)) {
                out.put("spearman_fim." + name, r);
                rhoSum += r;
                rhoCount++;
            }
        }
        double g = overallGain(own, foreign);
        if (!Double.isNaN(g)) {
            out.put("gain", g);
        }
        out.put("jaccard_fim", union == 0 ? 1.0 : inter / (double) union);
        if (rhoCount > 0) {
            out.put("spearman_fim", rhoSum / rhoCount);
        }
        return out;
    }

    /**
     * A null control's mask: the partition {@code config} makes when {@code other} (a Fisher with no domain change: the
     * own style, or a second draw of own samples) stands in for the foreign Fishers, with the same residual, options
     * and seed; returns its {@link #jaccard(Mask, Mask, ModelState)} overlap with {@code fim}, the mask of F_k alone.
     */
    public static double nullMaskOverlap(ModelState own, ModelState other, PartitionConfig config, ModelState layout, Mask fim, long seed) {
        List<ModelState> stand = List.of(other);
        ModelState residual = ResidualFisher.compute(own, stand, config.residual(), config.eps(), config.epsTau());
        Map<String, Double> g = config.budget() == PartitionConfig.Budget.GAIN ? gains(own, stand) : null;
        return jaccard(SensitivityPartition.partition(residual, own, g, layout, config, seed), fim, layout);
    }

    /** |A ∩ B| / |A ∪ B| of two masks over the trainable tensors of {@code layout}; 1 when both are empty. */
    public static double jaccard(Mask a, Mask b, ModelState layout) {
        long inter = 0;
        long union = 0;
        for (Tensor t : layout.tensors()) {
            if (t.role().trainable()) {
                BitSet and = (BitSet) a.bits(t.name()).clone();
                and.and(b.bits(t.name()));
                BitSet or = (BitSet) a.bits(t.name()).clone();
                or.or(b.bits(t.name()));
                inter += and.cardinality();
                union += or.cardinality();
            }
        }
        return union == 0 ? 1.0 : inter / (double) union;
    }

    /** |A ∩ B| / |A ∪ B|; 1 when both are empty. */
    public static double jaccard(BitSet a, BitSet b) {
        BitSet and = (BitSet) a.clone();
        and.and(b);
        BitSet or = (BitSet) a.clone();
        or.or(b);
        return or.isEmpty() ? 1.0 : and.cardinality() / (double) or.cardinality();
    }

    /**
     * Spearman's rank correlation of two equally long arrays of non-negative values: the Pearson correlation of
     * their ranks, tied values sharing the mean of their ranks; NaN when fewer than two elements or when either is
     * constant.
     */
    public static double spearman(float[] x, float[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("spearman: " + x.length + " vs " + y.length + " values");
        }
        if (x.length < 2) {
            return Double.NaN;
        }
        double[] rx = ranks(x);
        double[] ry = ranks(y);
        double mean = (x.length + 1) / 2.0;
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < rx.length; i++) {
            double a = rx[i] - mean;
            double b = ry[i] - mean;
            sxy += a * b;
            sxx += a * a;
            syy += b * b;
        }
        return sxx == 0 || syy == 0 ? Double.NaN : sxy / Math.sqrt(sxx * syy);
    }

    /** 1-based ranks, ties sharing their mean rank; values are ordered as floats (−0.0 = 0.0; no NaN). */
    static double[] ranks(float[] v) {
        int n = v.length;
        long[] key = new long[n];
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(v[i])) {
                throw new IllegalArgumentException("spearman: element " + i + " is NaN");
            }
            // an order-preserving int image of the float (+0.0 for −0.0) in the high half, the index in the low half
            int bits = Float.floatToIntBits(v[i] + 0.0f);
            int ordered = bits >= 0 ? bits : bits ^ 0x7fffffff;
            key[i] = ((long) ordered << 32) | i;
        }
        Arrays.sort(key);
        double[] r = new double[n];
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && (key[j + 1] >>> 32) == (key[i] >>> 32)) {
                j++;
            }
            double mean = (i + j) / 2.0 + 1;
            for (int q = i; q <= j; q++) {
                r[(int) (key[q] & 0xffffffffL)] = mean;
            }
            i = j + 1;
        }
        return r;
    }
}
