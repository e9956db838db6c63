package org.resfim.privacy;

import java.util.ArrayList;
import java.util.List;

/**
 * Rényi-DP accountant for the (Poisson-)subsampled Gaussian mechanism (Mironov, Talwar and Zhang 2019, "Rényi
 * Differential Privacy of the Sampled Gaussian Mechanism"; the same analysis as Opacus's and TF-privacy's RDP
 * accountants): the RDP of one release at order α is log(A_α)/(α − 1), with A_α computed exactly for integer α and by
 * the convergent two-sided series of §3.3 for fractional α; releases compose by adding RDP; (ε, δ) is the best over
 * the orders of the conversion of Balle et al. 2020 (Theorem 21), ε = rdp + log((α−1)/α) − (log δ + log α)/(α − 1).
 *
 * <p>The noise multiplier is the noise standard deviation divided by the mechanism's L2 sensitivity; q = 1 is the
 * plain Gaussian mechanism (RDP α/(2σ²)).
 */
public final class RdpAccountant {
    /** The orders Opacus and TF-privacy use by default: 1.1, 1.2, …, 10.9, then 12, 13, …, 63. */
    public static final double[] ORDERS = defaultOrders();

    private final double[] orders;
    private final double[] rdp;

    public RdpAccountant() {
        this(ORDERS);
    }

    public RdpAccountant(double[] orders) {
        for (double a : orders) {
            if (!(a > 1)) {
                throw new IllegalArgumentException("RDP orders must be > 1, got " + a);
            }
        }
        this.orders = orders.clone();
        this.rdp = new double[orders.length];
    }

    private static double[] defaultOrders() {
        List<Double> o = new ArrayList<>();
        for (int x = 1; x < 100; x++) {
            o.add(1 + x / 10.0);
        }
        for (int a = 12; a < 64; a++) {
            o.add((double) a);
        }
        return o.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Adds {@code steps} releases of the Gaussian mechanism with noise multiplier σ, each sampled with probability q. */
    public RdpAccountant compose(double noiseMultiplier, double q, long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        }
        for (int i = 0; i < orders.length; i++) {
            rdp[i] += steps * rdp(q, noiseMultiplier, orders[i]);
        }
        return this;
    }

    /** The accumulated RDP at each order (same order as {@link #orders()}). */
    public double[] rdp() {
        return rdp.clone();
    }

    public double[] orders() {
        return orders.clone();
    }

    /** The smallest ε over the orders for which the releases so far are (ε, δ)-DP; +∞ when no order gives a finite one. */
    public double epsilon(double delta) {
        return epsilon(orders, rdp, delta);
    }

    /** ε for {@code steps} releases at (σ, q) and δ. */
    public static double epsilon(double noiseMultiplier, double q, long steps, double delta) {
        return new RdpAccountant().compose(noiseMultiplier, q, steps).epsilon(delta);
    }

    /** The (ε, δ) conversion of Balle et al. 2020 (Theorem 21), minimised over the orders; never below 0. */
    public static double epsilon(double[] orders, double[] rdp, double delta) {
        if (!(delta > 0 && delta < 1)) {
            throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
        }
        boolean none = true;
        for (double r : rdp) {
            none &= r == 0;
        }
        if (none) {
            return 0; // nothing released (q = 0 or no step)
        }
        double best = Double.POSITIVE_INFINITY;
        for (int i = 0; i < orders.length; i++) {
            double a = orders[i];
            if (rdp[i] < 0 || Double.isNaN(rdp[i])) {
                continue;
            }
            double eps = rdp[i] + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
            if (eps < best) {
                best = eps;
            }
        }
        return Math.max(0, best);
    }

    /** RDP of one release of the sampled Gaussian mechanism at order α. */
    public static double rdp(double q, double sigma, double alpha) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("sampling rate must be in [0, 1], got " + q);
        }
        if (!(sigma >= 0)) {
            throw new IllegalArgumentException("noise multiplier must be >= 0, got " + sigma);
        }
        if (q == 0) {
            return 0;
        }
        if (sigma == 0) {
            return Double.POSITIVE_INFINITY;
        }
        if (q == 1) {
            return alpha / (2 * sigma * sigma);
        }
        double logA = alpha == Math.rint(alpha) ? logAInt(q, sigma, (int) alpha) : logAFrac(q, sigma, alpha);
        return logA / (alpha - 1);
    }

    /** log A_α for integer α: log Σ_i C(α, i) (1−q)^(α−i) q^i exp((i² − i)/(2σ²)). */
    static double logAInt(double q, double sigma, int alpha) {
        double logA = Double.NEGATIVE_INFINITY;
        double logBinom = 0; // log C(alpha, 0)
        for (int i = 0; i <= alpha; i++) {
            double s = logBinom + i * Math.log(q) + (alpha - i) * Math.log1p(-q) + (i * (double) i - i) / (2 * sigma * sigma);
            logA = logAdd(logA, s);
            logBinom += Math.log((alpha - i) / (double) (i + 1));
        }
        return logA;
    }

    /**
     * log A_α for fractional α (Mironov et al. 2019, §3.3): A_α = A₀ + A₁, the integral split at z₀ = σ² log(1/q − 1) + 1/2,
     * each half a series in the generalised binomial coefficients, summed until its terms are below e^−30.
     */
    static double logAFrac(double q, double sigma, double alpha) {
        double logA0 = Double.NEGATIVE_INFINITY;
        double logA1 = Double.NEGATIVE_INFINITY;
        double z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
        double coef = 1; // generalised binomial C(alpha, i), its sign matters
        for (int i = 0; ; i++) {
            double j = alpha - i;
            double logCoef = Math.log(Math.abs(coef));
            double logT0 = logCoef + i * Math.log(q) + j * Math.log1p(-q);
            double logT1 = logCoef + j * Math.log(q) + i * Math.log1p(-q);
            double logE0 = Math.log(0.5) + Erfc.log((i - z0) / (Math.sqrt(2) * sigma));
            double logE1 = Math.log(0.5) + Erfc.log((z0 - j) / (Math.sqrt(2) * sigma));
            double logS0 = logT0 + (i * (double) i - i) / (2 * sigma * sigma) + logE0;
            double logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
            if (coef > 0) {
                logA0 = logAdd(logA0, logS0);
                logA1 = logAdd(logA1, logS1);
            } else {
                logA0 = logSub(logA0, logS0);
                logA1 = logSub(logA1, logS1);
            }
            if (Math.max(logS0, logS1) < -30 || i > 10_000) {
                break;
            }
            coef *= (alpha - i) / (i + 1);
        }
        return logAdd(logA0, logA1);
    }

    static double logAdd(double a, double b) {
        double hi = Math.max(a, b);
        double lo = Math.min(a, b);
        if (hi == Double.NEGATIVE_INFINITY) {
            return hi;
        }
        return hi + Math.log1p(Math.exp(lo - hi));
    }

    /** log(e^a − e^b) for a ≥ b. */
    static double logSub(double a, double b) {
        if (b == Double.NEGATIVE_INFINITY) {
            return a;
        }
        if (a < b) {
            throw new ArithmeticException("log of a negative number in the RDP series");
        }
        if (a == b) {
            return Double.NEGATIVE_INFINITY;
        }
        return a + Math.log(-Math.expm1(b - a));
    }
}
