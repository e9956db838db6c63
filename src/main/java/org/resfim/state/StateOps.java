package org.resfim.state;

import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * Arithmetic on {@link ModelState}s: averages (FedAvg and the ResFIM masked average), composition of a
 * personalised model, distances and elementwise helpers.
 *
 * <p>Every operation checks that its operands hold the same tensor names with the same shapes and throws
 * {@link IllegalArgumentException} naming the tensor and both shapes otherwise. Sums are accumulated in
 * {@code double} and rounded to {@code float} once per element. Results take tensor order, role and part
 * from the first operand. Operations returning a state allocate a new one and leave their inputs
 * untouched, except the methods whose name ends in {@code InPlace}.
 */
public final class StateOps {
    private StateOps() {
    }

    /**
     * Weighted average {@code Σ_k w_k θ_k / Σ_k w_k} (FedAvg). Weights need not sum to one; they must be
     * finite, non-negative and have a positive sum. When all states are identical the output is
     * bit-identical to them (the double sum is within far less than half a float ulp of the input).
     */
    public static ModelState weightedAverage(List<ModelState> states, double[] weights) {
        double[] w = normalisedWeights(states, weights);
        ModelState first = states.get(0);
        for (int k = 1; k < states.size(); k++) {
            requireSameLayout(first, states.get(k), "weightedAverage (state " + k + ")");
        }
        ModelState out = new ModelState();
        for (Tensor t : first.tensors()) {
            int n = t.size();
            double[] acc = negativeZeros(n);
            for (int k = 0; k < states.size(); k++) {
                if (w[k] == 0.0) {
                    continue;
                }
                float[] x = states.get(k).get(t.name()).data();
                double wk = w[k];
                for (int i = 0; i < n; i++) {
                    acc[i] += wk * x[i];
                }
            }
            out.put(t.withData(toFloat(acc)));
        }
        return out;
    }

    /**
     * The ResFIM server step: for every element p,
     * {@code g[p] = Σ_k w_k (1 − m_k[p]) θ_k[p] / Σ_k w_k (1 − m_k[p])}. Where that denominator is zero
     * (no client with positive weight marks p invariant) the element is copied from {@code fallback} and
     * reported in {@link MaskedAverage#unshared()}.
     *
     * @param states   client states, all with the same layout
     * @param masks    one mask per client, covering exactly the state's tensors (1 = personal, not shared)
     * @param weights  one weight per client (e.g. training-set sizes); finite, ≥ 0, positive sum
     * @param fallback value for elements nobody shares (e.g. the previous global model); same layout
     */
    public static MaskedAverage maskedAverage(List<ModelState> states, List<Mask> masks, double[] weights,
                                              ModelState fallback) {
        return maskedAverage(states, masks, weights, fallback, Aggregator.MEAN);
    }

    /**
     * The server step with another rule per element (see {@link Aggregator}): for every element p, the values
     * {@code θ_k[p]} of the clients with positive weight that mark p invariant ({@code m_k[p] = 0}) are combined by
     * {@code aggregator}; {@link Aggregator#MEAN} is exactly {@link #maskedAverage(List, List, double[], ModelState)}.
     * The median and the trimmed mean give each such client one vote, whatever its weight. Elements nobody shares
     * come from {@code fallback}, as in the mean.
     */
    public static MaskedAverage maskedAverage(List<ModelState> states, List<Mask> masks, double[] weights,
                                              ModelState fallback, Aggregator aggregator) {
        Objects.requireNonNull(aggregator, "aggregator");
        double[] w = normalisedWeights(states, weights);
        Objects.requireNonNull(masks, "masks");
        Objects.requireNonNull(fallback, "fallback");
        if (masks.size() != states.size()) {
            throw new IllegalArgumentException("maskedAverage: " + states.size() + " states but " + masks.size() + " masks");
        }
        ModelState first = states.get(0);
        for (int k = 0; k < states.size(); k++) {
            if (k > 0) {
                requireSameLayout(first, states.get(k), "maskedAverage (state " + k + ")");
            }
            try {
                masks.get(k).requireMatches(first);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("maskedAverage (mask " + k + "): " + e.getMessage(), e);
            }
        }
        requireSameLayout(first, fallback, "maskedAverage (fallback)");

        // Tensors are independent: average them in parallel. Within a tensor, a site that shares all of it
        // (the common case) adds to a scalar denominator; only partly personal tensors need a per-element one.
        List<Tensor> tensors = new java.util.ArrayList<>(first.tensors());
        float[][] results = new float[tensors.size()][];
        BitSet[] unsharedBits = new BitSet[tensors.size()];
        java.util.stream.IntStream.range(0, tensors.size()).parallel().forEach(j -> {
            Tensor t = tensors.get(j);
            String name = t.name();
            int n = t.size();
            if (aggregator.kind() != Aggregator.Kind.MEAN) {
                BitSet none = new BitSet(n);
                results[j] = robust(states, masks, w, fallback.get(name).data(), name, n, aggregator, none);
                unsharedBits[j] = none;
                return;
            }
            double[] num = negativeZeros(n);
            double[] den = null;
            double denAll = 0.0;
            for (int k = 0; k < states.size(); k++) {
                if (w[k] == 0.0) {
                    continue;
                }
                float[] x = states.get(k).get(name).data();
                BitSet personal = masks.get(k).live(name);
                double wk = w[k];
                int card = personal.cardinality();
                if (card == 0) {
                    for (int i = 0; i < n; i++) {
                        num[i] += wk * x[i];
                    }
                    denAll += wk;
                } else if (card < n) {
                    if (den == null) {
                        den = new double[n];
                    }
                    long[] words = personal.toLongArray();
                    // Branch-free over each 64-element word: keep = 1 for shared elements, 0 for personal ones.
                    for (int base = 0; base < n; base += 64) {
                        int wi = base >>> 6;
                        long shared = wi < words.length ? ~words[wi] : -1L;
                        int end = Math.min(n, base + 64);
                        if (shared == -1L) {
                            for (int i = base; i < end; i++) {
                                num[i] += wk * x[i];
                                den[i] += wk;
                            }
                        } else if (shared != 0L) {
                            for (int i = base; i < end; i++) {
                                double keep = (shared >>> (i - base)) & 1L;
                                num[i] += keep * wk * x[i];
                                den[i] += keep * wk;
                            }
                        }
                    }
                }
            }
            float[] fb = fallback.get(name).data();
            float[] g = new float[n];
            BitSet none = new BitSet(n);
            for (int i = 0; i < n; i++) {
                double d = den == null ? denAll : denAll + den[i];
                if (d > 0.0) {
                    g[i] = (float) (num[i] / d);
                } else {
                    g[i] = fb[i];
                    none.set(i);
                }
            }
            results[j] = g;
            unsharedBits[j] = none;
        });
        ModelState global = new ModelState();
        Mask unshared = Mask.allInvariant(first);
        for (int j = 0; j < tensors.size(); j++) {
            global.put(tensors.get(j).withData(results[j]));
            unshared.setBits(tensors.get(j).name(), unsharedBits[j]);
        }
        return new MaskedAverage(global, unshared);
    }

    /** One tensor of the median or trimmed mean: per element, the votes of the clients sharing it. */
    private static float[] robust(List<ModelState> states, List<Mask> masks, double[] w, float[] fb, String name, int n,
                                  Aggregator aggregator, BitSet none) {
        int k = states.size();
        float[][] xs = new float[k][];
        BitSet[] personal = new BitSet[k];
        for (int c = 0; c < k; c++) {
            xs[c] = states.get(c).get(name).data();
            personal[c] = masks.get(c).live(name);
        }
        double[] votes = new double[k];
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            int v = 0;
            for (int c = 0; c < k; c++) {
                if (w[c] > 0.0 && !personal[c].get(i)) {
                    votes[v++] = xs[c][i];
                }
            }
            if (v == 0) {
                g[i] = fb[i];
                none.set(i);
            } else {
                g[i] = (float) aggregator.combine(votes, v);
            }
        }
        return g;
    }

    /**
     * {@code ||state − reference||₂} over the elements {@code mask} marks invariant (bit 0): the size of the update
     * a client shares. Personal elements (uploaded as zero) do not count. Summed in tensor order, in double.
     */
    public static double maskedDistance(ModelState state, ModelState reference, Mask mask) {
        requireSameLayout(state, reference, "maskedDistance");
        mask.requireMatches(state);
        double s = 0;
        for (Tensor t : state.tensors()) {
            float[] x = t.data();
            float[] r = reference.get(t.name()).data();
            BitSet personal = mask.live(t.name());
            for (int i = personal.nextClearBit(0); i < x.length; i = personal.nextClearBit(i + 1)) {
                double d = (double) x[i] - r[i];
                s += d * d;
            }
        }
        return Math.sqrt(s);
    }

    /**
     * {@code reference + scale·(state − reference)} on the elements {@code mask} marks invariant, {@code state}'s
     * own values on the personal ones: the update of a client shrunk by {@code scale} (norm clipping).
     */
    public static ModelState scaleUpdate(ModelState state, ModelState reference, Mask mask, double scale) {
        requireSameLayout(state, reference, "scaleUpdate");
        mask.requireMatches(state);
        ModelState out = new ModelState();
        for (Tensor t : state.tensors()) {
            float[] x = t.data();
            float[] r = reference.get(t.name()).data();
            float[] y = x.clone();
            BitSet personal = mask.live(t.name());
            for (int i = personal.nextClearBit(0); i < x.length; i = personal.nextClearBit(i + 1)) {
                y[i] = (float) (r[i] + scale * ((double) x[i] - r[i]));
            }
            out.put(t.withData(y));
        }
        return out;
    }

    /**
     * The personalised model {@code m ∘ personal + (1 − m) ∘ global}: personal elements from
     * {@code personal}, the rest from {@code global}. Exact selection, no arithmetic.
     */
    public static ModelState compose(ModelState personal, ModelState global, Mask m) {
        requireSameLayout(personal, global, "compose");
        m.requireMatches(personal);
        ModelState out = new ModelState();
        for (Tensor t : personal.tensors()) {
            float[] g = global.get(t.name()).data().clone();
            float[] p = t.data();
            BitSet b = m.bits(t.name());
            for (int i = b.nextSetBit(0); i >= 0; i = b.nextSetBit(i + 1)) {
                g[i] = p[i];
            }
            out.put(t.withData(g));
        }
        return out;
    }

    /**
     * What a client uploads under a mask: a copy of {@code state} with every personal element (bit 1) set
     * to zero, so sensitive values never leave the site.
     */
    public static ModelState invariantOnly(ModelState state, Mask m) {
        m.requireMatches(state);
        ModelState out = new ModelState();
        for (Tensor t : state.tensors()) {
            float[] d = t.data().clone();
            BitSet b = m.bits(t.name());
            for (int i = b.nextSetBit(0); i >= 0; i = b.nextSetBit(i + 1)) {
                d[i] = 0f;
            }
            out.put(t.withData(d));
        }
        return out;
    }

    /** Euclidean distance {@code ||a − b||₂} over all elements. */
    public static double l2Distance(ModelState a, ModelState b) {
        requireSameLayout(a, b, "l2Distance");
        double s = 0;
        for (Tensor t : a.tensors()) {
            float[] x = t.data();
            float[] y = b.get(t.name()).data();
            for (int i = 0; i < x.length; i++) {
                double d = (double) x[i] - y[i];
                s += d * d;
            }
        }
        return Math.sqrt(s);
    }

    /** Euclidean norm {@code ||a||₂} over all elements. */
    public static double l2Norm(ModelState a) {
        double s = 0;
        for (Tensor t : a.tensors()) {
            for (float v : t.data()) {
                s += (double) v * v;
            }
        }
        return Math.sqrt(s);
    }

    /** Inner product {@code Σ a[p]·b[p]} over all elements. */
    public static double dot(ModelState a, ModelState b) {
        requireSameLayout(a, b, "dot");
        double s = 0;
        for (Tensor t : a.tensors()) {
            float[] x = t.data();
            float[] y = b.get(t.name()).data();
            for (int i = 0; i < x.length; i++) {
                s += (double) x[i] * y[i];
            }
        }
        return s;
    }

    /** Largest {@code |a[p] − b[p]|} over all elements; 0 for empty states. NaN if any difference is NaN. */
    public static double maxAbsDiff(ModelState a, ModelState b) {
        requireSameLayout(a, b, "maxAbsDiff");
        double m = 0;
        for (Tensor t : a.tensors()) {
            float[] x = t.data();
            float[] y = b.get(t.name()).data();
            for (int i = 0; i < x.length; i++) {
                double d = Math.abs((double) x[i] - y[i]);
                if (Double.isNaN(d)) {
                    return Double.NaN;
                }
                m = Math.max(m, d);
            }
        }
        return m;
    }

    /** {@code a + b}, elementwise. */
    public static ModelState add(ModelState a, ModelState b) {
        return linear(1.0, a, 1.0, b, "add");
    }

    /** {@code a − b}, elementwise. */
    public static ModelState subtract(ModelState a, ModelState b) {
        return linear(1.0, a, -1.0, b, "subtract");
    }

    /** {@code alpha · a}, elementwise. */
    public static ModelState scale(ModelState a, double alpha) {
        ModelState out = new ModelState();
        for (Tensor t : a.tensors()) {
            float[] x = t.data();
            float[] y = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                y[i] = (float) (alpha * x[i]);
            }
            out.put(t.withData(y));
        }
        return out;
    }

    /** {@code alpha · a + beta · b}, elementwise, computed in double. */
    public static ModelState linear(double alpha, ModelState a, double beta, ModelState b) {
        return linear(alpha, a, beta, b, "linear");
    }

    /** {@code y ← y + alpha · x}, in place on {@code y}'s arrays; returns {@code y}. */
    public static ModelState axpyInPlace(double alpha, ModelState x, ModelState y) {
        requireSameLayout(y, x, "axpyInPlace");
        for (Tensor t : y.tensors()) {
            float[] yd = t.data();
            float[] xd = x.get(t.name()).data();
            for (int i = 0; i < yd.length; i++) {
                yd[i] = (float) (yd[i] + alpha * xd[i]);
            }
        }
        return y;
    }

    /** A state with the layout, roles and parts of {@code layout} and every element zero. */
    public static ModelState zerosLike(ModelState layout) {
        ModelState out = new ModelState();
        for (Tensor t : layout.tensors()) {
            out.put(t.withData(new float[t.size()]));
        }
        return out;
    }

    /**
     * Checks that {@code a} and {@code b} hold the same tensor names with the same shapes.
     *
     * @param op the operation's name, used in the message
     * @throws IllegalArgumentException naming the first tensor at fault and both shapes
     */
    public static void requireSameLayout(ModelState a, ModelState b, String op) {
        Objects.requireNonNull(a, op + ": first state");
        Objects.requireNonNull(b, op + ": second state");
        for (Tensor t : a.tensors()) {
            if (!b.contains(t.name())) {
                throw new IllegalArgumentException(op + ": tensor '" + t.name() + "' " + Arrays.toString(t.shape())
                        + " is missing from the second state");
            }
            Tensor u = b.get(t.name());
            if (!t.sameLayout(u)) {
                throw new IllegalArgumentException(op + ": tensor '" + t.name() + "' has shape " + Arrays.toString(t.shape())
                        + " in the first state and " + Arrays.toString(u.shape()) + " in the second");
            }
        }
        if (a.size() != b.size()) {
            for (Tensor u : b.tensors()) {
                if (!a.contains(u.name())) {
                    throw new IllegalArgumentException(op + ": tensor '" + u.name() + "' " + Arrays.toString(u.shape())
                            + " is missing from the first state");
                }
            }
        }
    }

    private static ModelState linear(double alpha, ModelState a, double beta, ModelState b, String op) {
        requireSameLayout(a, b, op);
        ModelState out = new ModelState();
        for (Tensor t : a.tensors()) {
            float[] x = t.data();
            float[] y = b.get(t.name()).data();
            float[] z = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                z[i] = (float) (alpha * x[i] + beta * y[i]);
            }
            out.put(t.withData(z));
        }
        return out;
    }

    private static double[] normalisedWeights(List<ModelState> states, double[] weights) {
        Objects.requireNonNull(states, "states");
        Objects.requireNonNull(weights, "weights");
        if (states.isEmpty()) {
            throw new IllegalArgumentException("cannot average an empty list of states");
        }
        if (weights.length != states.size()) {
            throw new IllegalArgumentException(states.size() + " states but " + weights.length + " weights");
        }
        double sum = 0;
        for (int k = 0; k < weights.length; k++) {
            if (!Double.isFinite(weights[k]) || weights[k] < 0) {
                throw new IllegalArgumentException("weight " + k + " is " + weights[k] + "; weights must be finite and >= 0");
            }
            sum += weights[k];
        }
        if (!(sum > 0)) {
            throw new IllegalArgumentException("weights sum to " + sum + "; at least one must be positive");
        }
        double[] w = new double[weights.length];
        for (int k = 0; k < w.length; k++) {
            w[k] = weights[k] / sum;
        }
        return w;
    }

    /**
     * Accumulators start at −0.0, the identity of IEEE addition ({@code −0.0 + x == x} for every x, including
     * both zeros), so averaging identical −0.0 inputs gives −0.0 and the output stays bit-identical.
     */
    private static double[] negativeZeros(int n) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, -0.0);
        return a;
    }

    private static float[] toFloat(double[] acc) {
        float[] f = new float[acc.length];
        for (int i = 0; i < acc.length; i++) {
            f[i] = (float) acc[i];
        }
        return f;
    }
}
