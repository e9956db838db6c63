package org.resfim.federation;

import org.resfim.metrics.MetricSummary;

/** The metrics of one evaluated image of one site. {@code split} is "val" or "test". */
public record ImageScore(String split, String imageId, MetricSummary metrics) {
}
