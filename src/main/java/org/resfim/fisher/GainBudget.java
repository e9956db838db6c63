package org.resfim.fisher;

/**
 * The gain-aware budget ({@code resfim.budget = gain}): how many elements of each tensor are personal when a
 * tensor's personal fraction is proportional to its domain gain s_t ({@link ResidualDiagnostics#gains}) and the
 * total is that of the uniform budget, {@code count(Σ n_t, ρ)}.
 *
 * <p>Real shares first, by water-filling: x_t = min(n_t, c·s_t·n_t) with c chosen so that Σ x_t is the total (a
 * tensor whose share would exceed all of it is made fully personal and c is solved again over the others).
 * Tensors with s_t = 0 (or undefined: NaN) get nothing, unless every tensor with a positive gain is already fully
 * personal; the rest then goes to them in proportion to their sizes. When no tensor has a positive gain, every
 * s_t counts as 1 (the uniform fraction ρ). Then integers: ⌊x_t⌋, and the elements still missing go one each to
 * the tensors with the largest fractional parts (ties to the earlier tensor).
 */
public final class GainBudget {
    private GainBudget() {
    }

    /**
     * Personal elements per tensor.
     *
     * @param sizes n_t, in layout order
     * @param gains s_t (≥ 0; NaN counts as 0), same order
     * @param rho   ρ in (0, 1)
     * @return k_t with 0 ≤ k_t ≤ n_t and Σ k_t = {@link SensitivityPartition#count}(Σ n_t, ρ)
     */
    public static int[] counts(int[] sizes, double[] gains, double rho) {
        if (sizes.length != gains.length) {
            throw new IllegalArgumentException("resfim.budget = gain: " + gains.length + " gains for " + sizes.length + " tensors");
        }
        int t = sizes.length;
        long n = 0;
        double[] s = new double[t];
        boolean anyPositive = false;
        for (int i = 0; i < t; i++) {
            n += sizes[i];
            if (gains[i] < 0 || gains[i] == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("resfim.budget = gain: tensor " + i + " has gain " + gains[i] + "; gains must be finite and >= 0");
            }
            s[i] = Double.isNaN(gains[i]) ? 0 : gains[i];
            anyPositive |= s[i] > 0;
        }
        if (!anyPositive) {
            java.util.Arrays.fill(s, 1.0);
        }
        long total = (long) Math.floor(rho * n + 0.5);
        total = Math.max(0, Math.min(n, total));
        double[] x = new double[t];
        boolean[] active = new boolean[t];
        for (int i = 0; i < t; i++) {
            active[i] = s[i] > 0 && sizes[i] > 0;
        }
        double remaining = total;
        while (remaining > 0) {
            double w = 0;
            for (int i = 0; i < t; i++) {
                if (active[i]) {
                    w += s[i] * sizes[i];
                }
            }
            if (w == 0) {
                break;
            }
            double c = remaining / w;
            boolean capped = false;
            for (int i = 0; i < t; i++) {
                if (active[i] && c * s[i] >= 1) {
                    x[i] = sizes[i];
                    remaining -= sizes[i];
                    active[i] = false;
                    capped = true;
                }
            }
            if (!capped) {
                for (int i = 0; i < t; i++) {
                    if (active[i]) {
                        x[i] = c * s[i] * sizes[i];
                    }
                }
                remaining = 0;
            }
        }
        if (remaining > 0) { // every positive-gain tensor is fully personal: the rest by size among the others
            long room = 0;
            for (int i = 0; i < t; i++) {
                if (x[i] < sizes[i]) {
                    room += sizes[i];
                }
            }
            for (int i = 0; i < t; i++) {
                if (x[i] < sizes[i]) {
                    x[i] = remaining * sizes[i] / room;
                }
            }
        }
        int[] k = new int[t];
        long assigned = 0;
        for (int i = 0; i < t; i++) {
            k[i] = (int) Math.min(sizes[i], Math.floor(x[i]));
            assigned += k[i];
        }
        long missing = total - assigned;
        while (missing > 0) {
            int best = -1;
            double frac = -1;
            for (int i = 0; i < t; i++) {
                double f = x[i] - k[i];
                if (k[i] < sizes[i] && f > frac) {
                    best = i;
                    frac = f;
                }
            }
            if (best < 0) {
                break;
            }
            k[best]++;
            missing--;
        }
        return k;
    }
}
