package org.resfim.federation;

import java.util.List;
import java.util.Map;

/**
 * A site's answer: its upload (FIT, SETUP), the number of training samples (aggregation weight),
 * per-image scores (EVALUATE) and named statistics (training loss, ResFIM time, sensitive fractions…).
 */
public record Reply(String site, Phase phase, int round, Message upload, long numSamples, List<ImageScore> scores,
                    Map<String, Double> stats) {
    public Reply {
        upload = upload == null ? Message.empty() : upload;
        scores = scores == null ? List.of() : List.copyOf(scores);
        stats = stats == null ? Map.of() : Map.copyOf(stats);
    }
}
