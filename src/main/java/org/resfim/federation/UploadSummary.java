package org.resfim.federation;

/**
 * What one accepted upload weighed in an aggregation, for the metrics and the audit.
 *
 * @param site       the site
 * @param numSamples the training samples it declared (fixed for the run)
 * @param weight     its weight in the mean (after {@code federation.weights} and {@code max_samples})
 * @param updateNorm L2 norm of its update: its shared values minus the global model before the round
 * @param clipped    true when the update was scaled down to {@code federation.clip_norm}
 * @param epsilon    under {@code privacy.dp}: the site's ε (at {@code privacy.dp.delta}) after this round; NaN without
 */
public record UploadSummary(String site, long numSamples, double weight, double updateNorm, boolean clipped, double epsilon) {
    public UploadSummary(String site, long numSamples, double weight, double updateNorm, boolean clipped) {
        this(site, numSamples, weight, updateNorm, clipped, Double.NaN);
    }
}
