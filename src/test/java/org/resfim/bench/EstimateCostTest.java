package org.resfim.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EstimateCostTest {
    /**
     * What {@code bench estimate} counts, by hand: own Fisher (the default) makes N per-sample passes whatever K is; the
     * residual makes N for its own samples plus N per foreign style, all K − 1 of them or max_foreign. Small images and few
     * samples keep it a count, not a timing (times are only checked to be measured, never compared).
     */
    @Test
    void theEstimateCountsNPassesForOwnFisherAndNPerStyleForTheResidual() {
        EstimateCost.Row fim = EstimateCost.measure("fim", 4, 0, 3, 32, 8, 0, 1);
        assertEquals(0, fim.foreign());
        assertEquals(3, fim.passes(), "own Fisher: N passes, however many sites there are");
        EstimateCost.Row all = EstimateCost.measure("resfim", 4, 0, 3, 32, 8, 0, 1);
        assertEquals(3, all.foreign());
        assertEquals(3 * 4, all.passes(), "N·K: own samples and each of the K − 1 foreign styles");
        EstimateCost.Row capped = EstimateCost.measure("resfim", 4, 1, 3, 32, 8, 0, 1);
        assertEquals(1, capped.foreign());
        assertEquals(3 * 2, capped.passes(), "max_foreign = 1: N·(1 + 1)");
        for (EstimateCost.Row r : java.util.List.of(fim, all, capped)) {
            assertTrue(r.estimateSeconds() > 0 && r.trainSeconds() > 0, r.toString());
            assertEquals(r.estimateSeconds() / (20 * r.trainSeconds() + r.estimateSeconds()), r.share(20), 1e-12);
        }
    }
}
