package org.resfim.state;

import java.util.Locale;

/**
 * How {@link StateOps#maskedAverage(java.util.List, java.util.List, double[], ModelState, Aggregator)} combines, for
 * every element, the values of the sites that share it (mask bit 0):
 *
 * <ul>
 *   <li>{@link Kind#MEAN}: the weighted mean {@code Σ w_k θ_k / Σ w_k} (FedAvg; one site with a huge weight or huge
 *       values moves it anywhere);</li>
 *   <li>{@link Kind#MEDIAN}: the coordinate-wise median of the sharing sites' values, one vote per site (weights
 *       only decide who votes: a site of weight 0 does not); with an even count, the mean of the two middle values;</li>
 *   <li>{@link Kind#TRIMMED_MEAN}: per element, the {@code floor(trim·n)} smallest and largest of the n sharing
 *       sites' values are dropped and the rest averaged, one vote per site.</li>
 * </ul>
 *
 * The robust kinds bound what a minority of sites can do to an element: with n sharing sites, the median moves
 * only within the honest values while fewer than half are hostile, the trimmed mean while at most
 * {@code floor(trim·n)} are. They ignore sample counts by design (a count is the site's own claim).
 *
 * @param kind the rule
 * @param trim for {@link Kind#TRIMMED_MEAN}, the fraction trimmed at each end, in [0, 0.5); 0 otherwise
 */
public record Aggregator(Kind kind, double trim) {
    /** The rules, spelt as in the configuration ({@code federation.aggregator}). */
    public enum Kind implements org.resfim.config.Spelled {
        MEAN("mean"), MEDIAN("median"), TRIMMED_MEAN("trimmed_mean");

        private final String key;

        Kind(String key) {
            this.key = key;
        }

        @Override
        public String key() {
            return key;
        }

        /** The rule spelt {@code key}; the message lists the accepted spellings. */
        public static Kind parse(String key) {
            return org.resfim.config.Spelled.parse(Kind.class, "aggregator", key);
        }
    }

    /** The weighted mean: FedAvg and the ResFIM masked average. */
    public static final Aggregator MEAN = new Aggregator(Kind.MEAN, 0);

    public Aggregator {
        if (kind == null) {
            throw new IllegalArgumentException("aggregator kind is null");
        }
        if (!(trim >= 0 && trim < 0.5)) {
            throw new IllegalArgumentException("trim must be in [0, 0.5), got " + trim);
        }
        if (kind != Kind.TRIMMED_MEAN) {
            trim = 0;
        }
    }

    public static Aggregator median() {
        return new Aggregator(Kind.MEDIAN, 0);
    }

    public static Aggregator trimmedMean(double trim) {
        return new Aggregator(Kind.TRIMMED_MEAN, trim);
    }

    /** The value of {@code n} votes in {@code v[0..n)} (sorted in place); n ≥ 1. */
    double combine(double[] v, int n) {
        java.util.Arrays.sort(v, 0, n);
        if (kind == Kind.MEDIAN) {
            int mid = n >>> 1;
            return (n & 1) == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2.0;
        }
        int cut = (int) Math.floor(trim * n);
        double s = -0.0; // the identity of IEEE addition: identical −0.0 votes give −0.0
        for (int i = cut; i < n - cut; i++) {
            s += v[i];
        }
        return s / (n - 2 * cut);
    }

    @Override
    public String toString() {
        return kind == Kind.TRIMMED_MEAN ? kind.key + " (trim " + trim + ")" : kind.key;
    }
}
