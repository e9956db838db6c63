package org.resfim.federation;

import org.resfim.privacy.PrivacySettings;
import org.resfim.state.Aggregator;

/**
 * How much one site can move the shared model (config keys {@code federation.aggregator}, {@code trim},
 * {@code weights}, {@code max_samples}, {@code clip_norm}). A site's sample count is declared at SETUP and fixed
 * for the run whatever these say; the defaults are sample-weighted FedAvg, unchanged.
 *
 * @param aggregator the per-element rule: mean (weighted), median or trimmed mean (one vote per site)
 * @param weights    what a site's weight in the mean is: its declared training samples, or 1 for every site
 * @param maxSamples a cap on the sample count used as a weight; 0 = no cap
 * @param clipNorm   an upload whose update (its shared values minus the current global model) has a larger L2 norm
 *                   is scaled down to this norm before aggregation; 0 = no clipping
 * @param privacy    differential privacy at site level ({@code privacy.dp}): clipping at the sites, noise at the sites or
 *                   added here, and the accountant
 */
public record Aggregation(Aggregator aggregator, Weights weights, long maxSamples, double clipNorm, PrivacySettings privacy) {
    /** What weighs a site in the mean. */
    public enum Weights implements org.resfim.config.Spelled {
        SAMPLES("samples"), EQUAL("equal");

        private final String key;

        Weights(String key) {
            this.key = key;
        }

        @Override
        public String key() {
            return key;
        }

        public static Weights parse(String key) {
            return org.resfim.config.Spelled.parse(Weights.class, "weights", key);
        }
    }

    /** Sample-weighted mean, no cap, no clipping: FedAvg as published. */
    public static final Aggregation DEFAULT = new Aggregation(Aggregator.MEAN, Weights.SAMPLES, 0, 0);

    public Aggregation(Aggregator aggregator, Weights weights, long maxSamples, double clipNorm) {
        this(aggregator, weights, maxSamples, clipNorm, PrivacySettings.OFF);
    }

    public Aggregation {
        privacy = privacy == null ? PrivacySettings.OFF : privacy;
        if (privacy.mode() == PrivacySettings.Mode.CENTRAL && aggregator != null && aggregator.kind() != Aggregator.Kind.MEAN) {
            throw new org.resfim.config.ConfigException("privacy.dp.mode = central adds its noise to the sum of the clipped updates,"
                    + " which federation.aggregator = " + aggregator.kind().key() + " does not compute; use the mean, or privacy.dp.mode = local");
        }
        if (privacy.secagg() && aggregator != null && aggregator.kind() != Aggregator.Kind.MEAN) {
            throw new org.resfim.config.ConfigException("privacy.secagg reveals only the sum of the sites' values, from which federation.aggregator = "
                    + aggregator.kind().key() + " cannot be computed; use the mean");
        }
        if (privacy.secagg() && clipNorm > 0) {
            throw new org.resfim.config.ConfigException("privacy.secagg hides every update from the coordinator, which therefore cannot apply"
                    + " federation.clip_norm; clip at the sites with privacy.dp.clip instead");
        }
        if (aggregator == null || weights == null) {
            throw new IllegalArgumentException("aggregation: aggregator and weights are required");
        }
        if (maxSamples < 0) {
            throw new IllegalArgumentException("max_samples must be >= 0 (0 = no cap), got " + maxSamples);
        }
        if (!(clipNorm >= 0 && Double.isFinite(clipNorm))) {
            throw new IllegalArgumentException("clip_norm must be a finite number >= 0 (0 = off), got " + clipNorm);
        }
    }

    /** The weight of a site that declared {@code samples} training samples. */
    public double weight(long samples) {
        if (weights == Weights.EQUAL) {
            return 1.0;
        }
        return maxSamples > 0 ? Math.min(samples, maxSamples) : samples;
    }

    public boolean standard() {
        return equals(DEFAULT);
    }

    /** The same aggregation with {@code p} as its privacy settings. */
    public Aggregation withPrivacy(PrivacySettings p) {
        return new Aggregation(aggregator, weights, maxSamples, clipNorm, p);
    }
}
