package org.resfim.fisher;

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

    /**
     * The elementwise residual of {@code own} = F_k against {@code foreign} = [F_{k→n}] (see {@link Residual}),
     * over the trainable tensors of {@code own} (tensors with a non-trainable role are left out of the result).
     * Computed in double, stored as float; with {@code eps = 0} a relative residual of two zeros is 0.
     *
     * @param own     F_k: finite, non-negative values
     * @param foreign F_{k→n} for every other site n, each with exactly {@code own}'s tensor names and shapes;
     *                not empty
     * @param mode    how to combine
     * @param eps     ε of the relative residual; finite and ≥ 0 (ignored by the other modes)
     * @return a state with {@code own}'s trainable tensors (names, roles, parts, order) holding ResFIM
     * @throws IllegalArgumentException naming the tensor (and foreign index) at fault
     */
    public static ModelState compute(ModelState own, List<ModelState> foreign, Residual mode, double eps) {
        Objects.requireNonNull(own, "own Fisher");
        Objects.requireNonNull(mode, "mode");
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
        ModelState out = new ModelState();
        for (Tensor t : own.tensors()) {
            if (!t.role().trainable()) {
                continue;
            }
            float[] fk = t.data();
            double[] acc = new double[fk.length];
            for (ModelState f : foreign) {
                accumulate(acc, fk, f.get(t.name()).data(), mode, eps);
            }
            double scale = mode == Residual.MAX ? 1.0 : 1.0 / foreign.size();
            float[] r = new float[fk.length];
            for (int i = 0; i < r.length; i++) {
                r[i] = (float) (acc[i] * scale);
            }
            out.put(t.withData(r));
        }
        return out;
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
