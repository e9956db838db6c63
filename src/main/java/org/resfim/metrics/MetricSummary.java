package org.resfim.metrics;

import java.util.Collection;

/**
 * The per-image scores of the evaluation protocol. Overlap scores are fractions in [0, 1] (not percent);
 * {@code hd95} is in pixels. Conventions for empty masks are those of {@link Confusion} and
 * {@link SegmentationMetrics#hd95}.
 */
public record MetricSummary(double dice, double iou, double sensitivity, double specificity, double hd95) {

    /** Component-wise arithmetic mean; throws for an empty collection. */
    public static MetricSummary mean(Collection<MetricSummary> scores) {
        if (scores.isEmpty()) {
            throw new IllegalArgumentException("mean of no scores");
        }
        double d = 0;
        double j = 0;
        double se = 0;
        double sp = 0;
        double h = 0;
        for (MetricSummary s : scores) {
            d += s.dice;
            j += s.iou;
            se += s.sensitivity;
            sp += s.specificity;
            h += s.hd95;
        }
        int n = scores.size();
        return new MetricSummary(d / n, j / n, se / n, sp / n, h / n);
    }
}
