package org.resfim.engine;

import org.resfim.model.NormType;
import org.resfim.model.UNetConfig;

/** Small deterministic batches for engine tests. */
final class EngineFixtures {
    private EngineFixtures() {
    }

    static Batch randomBatch(int n, int c, int size, long seed) {
        return Batch.random(n, c, size, seed);
    }

    /** A tiny U-Net (width 4, depth 3) for fast tests. */
    static UNetConfig tiny() {
        return new UNetConfig(3, 1, 4, 3, NormType.BATCH, 2);
    }
}
