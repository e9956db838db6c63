package org.resfim.report;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Paired comparison of two methods on the same test images: the mean per-image Dice difference, its
 * percentile-bootstrap 95% confidence interval, and the two-sided Wilcoxon signed-rank p-value
 * (zero differences dropped as in Wilcoxon's original method; exact null distribution for n ≤ 50
 * without ties, normal approximation with tie correction and continuity correction otherwise).
 */
public final class PairedStatistics {
    private PairedStatistics() {
    }

    public record Result(int n, double meanDifference, double ciLow, double ciHigh, double wilcoxonP) {
    }

    public static Result compare(double[] differences, int bootstrap, long seed) {
        int n = differences.length;
        if (n == 0) {
            return new Result(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double mean = Arrays.stream(differences).average().orElse(Double.NaN);
        double[] boots = new double[bootstrap];
        SplittableRandom r = new SplittableRandom(seed);
        for (int b = 0; b < bootstrap; b++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += differences[r.nextInt(n)];
            }
            boots[b] = s / n;
        }
        Arrays.sort(boots);
        double lo = quantile(boots, 0.025);
        double hi = quantile(boots, 0.975);
        return new Result(n, mean, lo, hi, wilcoxon(differences));
    }

    /** Linear-interpolation quantile (NumPy's default) of sorted values. */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(sorted.length - 1, i + 1);
        return sorted[i] + (pos - i) * (sorted[j] - sorted[i]);
    }

    /** Two-sided p-value of the Wilcoxon signed-rank test. */
    public static double wilcoxon(double[] d) {
        double[] nz = Arrays.stream(d).filter(x -> x != 0.0).toArray();
        int n = nz.length;
        if (n == 0) {
            return 1.0;
        }
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Double.compare(Math.abs(nz[a]), Math.abs(nz[b])));
        double[] rank = new double[n];
        boolean ties = false;
        double tieTerm = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && Math.abs(nz[idx[j + 1]]) == Math.abs(nz[idx[i]])) {
                j++;
            }
            double avg = (i + j + 2) / 2.0;
            for (int k = i; k <= j; k++) {
                rank[idx[k]] = avg;
            }
            int t = j - i + 1;
            if (t > 1) {
                ties = true;
                tieTerm += (double) t * t * t - t;
            }
            i = j + 1;
        }
        double wPlus = 0;
        for (int i = 0; i < n; i++) {
            if (nz[i] > 0) {
                wPlus += rank[i];
            }
        }
        double total = n * (n + 1) / 2.0;
        if (!ties && n <= 50) {
            // Exact: count subsets of {1..n} with rank sum ≤ min(W+, W−).
            int max = (int) total;
            double[] counts = new double[max + 1];
            counts[0] = 1;
            for (int k = 1; k <= n; k++) {
                for (int s = max; s >= k; s--) {
                    counts[s] += counts[s - k];
                }
            }
            int w = (int) Math.round(Math.min(wPlus, total - wPlus));
            double tail = 0;
            for (int s = 0; s <= w; s++) {
                tail += counts[s];
            }
            return Math.min(1.0, 2 * tail / Math.pow(2, n));
        }
        double mean = total / 2;
        double var = n * (n + 1) * (2 * n + 1) / 24.0 - tieTerm / 48.0;
        double z = (Math.abs(wPlus - mean) - 0.5) / Math.sqrt(var);
        return Math.min(1.0, 2 * (1 - normalCdf(Math.max(0, z))));
    }

    /** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf, |error| < 1.5e-7). */
    static double normalCdf(double z) {
        double x = Math.abs(z) / Math.sqrt(2);
        double t = 1 / (1 + 0.3275911 * x);
        double erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
        return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
    }
}
