package org.resfim.fisher;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.resfim.state.ModelState;
import org.resfim.state.StateOps;
import org.resfim.state.Tensor;

/**
 * ResFIM (METHOD.md step 3): how much the diagonal Fisher of client k moves when its images are re-rendered in
 * the other sites' styles. Engine-free: the inputs are states of Fisher values computed elsewhere.
 */
public final class ResidualFisher {
    private ResidualFisher() {
    }

    /** {@link #compute(ModelState, List, Residual, double, boolean)} with ε a number. */
    public static ModelState compute(ModelState own, List<ModelState> foreign, Residual mode, double eps) {
        return compute(own, foreign, mode, eps, false);
    }

    /**
     * The elementwise residual of {@code own} = F_k against {@code foreign} = [F_{k→n}] (see {@link Residual}),
     * over the trainable tensors of {@code own} (tensors with a non-trainable role are left out of the result).
     * Computed in double, stored as float; with {@code eps = 0} a relative residual of two zeros is 0.
     * {@link Residual#DIRECTION} needs the paired gradients: see {@link #direction}.
     *
     * @param own     F_k: finite, non-negative values
     * @param foreign F_{k→n} for every other site n, each with exactly {@code own}'s tensor names and shapes;
     *                not empty
     * @param mode    how to combine
     * @param eps     ε of the relative residual; finite and ≥ 0 (ignored by the other modes)
     * @param epsTau  relative residual only: ε is each tensor's τ_t ({@link #tau}) instead of {@code eps}
     * @return a state with {@code own}'s trainable tensors (names, roles, parts, order) holding ResFIM
     * @throws IllegalArgumentException naming the tensor (and foreign index) at fault
     */
    public static ModelState compute(ModelState own, List<ModelState> foreign, Residual mode, double eps, boolean epsTau) {
        Objects.requireNonNull(mode, "mode");
        check(own, foreign, mode, eps);
        if (mode == Residual.DIRECTION) {
            throw new IllegalArgumentException("resfim.residual = direction needs the paired per-sample gradient differences "
                    + "(ResidualFisher.direction), not only Fishers");
        }
        ModelState out = new ModelState();
        for (Tensor t : own.tensors()) {
            if (!t.role().trainable()) {
                continue;
            }
            float[] fk = t.data();
            double[] acc = new double[fk.length];
            double tau = mode == Residual.LOG_RATIO || (mode == Residual.RELATIVE && epsTau) ? tau(fk) : 0.0;
            double e = mode == Residual.RELATIVE && epsTau ? tau : eps;
            for (ModelState f : foreign) {
                float[] fn = f.get(t.name()).data();
                if (mode == Residual.LOG_RATIO) {
                    accumulateLogRatio(acc, fk, fn, tau, t.shape());
                } else {
                    accumulate(acc, fk, fn, mode, e);
                }
            }
            out.put(t.withData(mean(acc, mode == Residual.MAX ? 1 : foreign.size())));
        }
        return out;
    }

    /**
     * The gradient-direction residual ({@link Residual#DIRECTION}): {@code mean_n D_n / (F_{k→n} + F_k + τ_t)}
     * elementwise (0 where the denominator is 0), τ_t = {@link #tau} of F_k's tensor.
     *
     * @param own     F_k = (1/N) Σ_i (g_i^k)²
     * @param foreign F_{k→n} = (1/N) Σ_i (g_i^{k→n})², one per foreign site n
     * @param diffs   D_n = (1/N) Σ_i (g_i^{k→n} − g_i^k)², paired by sample, in the order of {@code foreign}
     */
    public static ModelState direction(ModelState own, List<ModelState> foreign, List<ModelState> diffs) {
        check(own, foreign, Residual.DIRECTION, 0.0);
        if (diffs == null || diffs.size() != foreign.size()) {
            throw new IllegalArgumentException("resfim.residual = direction: " + (diffs == null ? 0 : diffs.size())
                    + " gradient differences for " + foreign.size() + " foreign Fishers");
        }
        for (int n = 0; n < diffs.size(); n++) {
            StateOps.requireSameLayout(own, diffs.get(n), "ResFIM (own Fisher vs gradient difference " + n + ")");
            checkValues(diffs.get(n), "gradient difference " + n);
        }
        ModelState out = new ModelState();
        for (Tensor t : own.tensors()) {
            if (!t.role().trainable()) {
                continue;
            }
            float[] fk = t.data();
            double tau = tau(fk);
            double[] acc = new double[fk.length];
            for (int n = 0; n < foreign.size(); n++) {
                float[] fn = foreign.get(n).get(t.name()).data();
                float[] d = diffs.get(n).get(t.name()).data();
                for (int i = 0; i < fk.length; i++) {
                    double den = (double) fn[i] + fk[i] + tau;
                    acc[i] += den > 0 ? d[i] / den : 0.0;
                }
            }
            out.put(t.withData(mean(acc, foreign.size())));
        }
        return out;
    }

    /**
     * τ_t, the scale of a tensor's own Fisher used by {@code log-ratio}, {@code direction} and {@code eps = tau}: the
     * median of {@code fk} (the mean of the two middle values for an even count), or its mean where the median is 0
     * (more than half the elements dead); 0 only when every element is 0.
     */
    public static double tau(float[] fk) {
        if (fk.length == 0) {
            return 0.0;
        }
        double[] d = new double[fk.length];
        double sum = 0;
        for (int i = 0; i < d.length; i++) {
            d[i] = fk[i];
            sum += fk[i];
        }
        double med = median(d, 0, d.length);
        return med > 0 ? med : sum / d.length;
    }

    /** The median of {@code a[from, to)} (mean of the two middle values for an even count); sorts that range. */
    static double median(double[] a, int from, int to) {
        Arrays.sort(a, from, to);
        int n = to - from;
        int mid = from + n / 2;
        return n % 2 == 1 ? a[mid] : (a[mid - 1] + a[mid]) / 2.0;
    }

    private static void check(ModelState own, List<ModelState> foreign, Residual mode, double eps) {
        Objects.requireNonNull(own, "own Fisher");
        if (foreign == null || foreign.isEmpty()) {
            throw new IllegalArgumentException("ResFIM (" + mode.key() + ") needs at least one foreign Fisher; got none"
                    + " (a federation of one site has no foreign styles)");
        }
        if (!(eps >= 0 && Double.isFinite(eps))) {
            throw new IllegalArgumentException("resfim.eps must be a finite number >= 0, got " + eps);
        }
        checkValues(own, "own Fisher");
        for (int n = 0; n < foreign.size(); n++) {
            StateOps.requireSameLayout(own, foreign.get(n), "ResFIM (own Fisher vs foreign Fisher " + n + ")");
            checkValues(foreign.get(n), "foreign Fisher " + n);
        }
    }

    private static float[] mean(double[] acc, int count) {
        double scale = 1.0 / count;
        float[] r = new float[acc.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) (acc[i] * scale);
        }
        return r;
    }

    /**
     * Adds {@code |d[p] − median_{c(p)} d|} for one foreign site, d = log((F_n + τ)/(F_k + τ)), channels along the
     * first dimension of a tensor with two or more dimensions, the whole tensor otherwise; nothing when τ = 0 (every
     * F_k of the tensor is 0: no importance to rank by).
     */
    private static void accumulateLogRatio(double[] acc, float[] fk, float[] fn, double tau, int[] shape) {
        if (!(tau > 0)) {
            return;
        }
        int n = fk.length;
        int channels = shape.length >= 2 && shape[0] > 0 ? shape[0] : 1;
        int per = n / channels;
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = Math.log(((double) fn[i] + tau) / ((double) fk[i] + tau));
        }
        double[] sorted = d.clone();
        for (int c = 0; c < channels; c++) {
            int from = c * per;
            int to = c == channels - 1 ? n : from + per;
            double med = median(sorted, from, to);
            for (int i = from; i < to; i++) {
                acc[i] += Math.abs(d[i] - med);
            }
        }
    }

    /** Adds one foreign site's term to {@code acc} (or takes the maximum, for {@link Residual#MAX}). */
    private static void accumulate(double[] acc, float[] fk, float[] fn, Residual mode, double eps) {
        switch (mode) {
            case ABSOLUTE -> {
                for (int i = 0; i < fk.length; i++) {
                    acc[i] += Math.abs((double) fn[i] - fk[i]);
                }
            }
            case MAX -> {
                for (int i = 0; i < fk.length; i++) {
                    acc[i] = Math.max(acc[i], Math.abs((double) fn[i] - fk[i]));
                }
            }
            case RELATIVE -> {
                for (int i = 0; i < fk.length; i++) {
                    double den = (double) fk[i] + fn[i] + eps;
                    acc[i] += den > 0 ? Math.abs((double) fn[i] - fk[i]) / den : 0.0;
                }
            }
            default -> throw new AssertionError(mode);
        }
    }

    /** Refuses NaN, infinite or negative values in trainable tensors, naming the tensor and element. */
    static void checkValues(ModelState s, String what) {
        for (Tensor t : s.tensors()) {
            if (!t.role().trainable()) {
                continue;
            }
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) {
                if (!(d[i] >= 0) || d[i] == Float.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException(what + ": tensor '" + t.name() + "' element " + i + " is " + d[i]
                            + "; Fisher values must be finite and >= 0");
                }
            }
        }
    }
}
