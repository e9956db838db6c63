package org.resfim.engine;

import java.util.SplittableRandom;

/** Small deterministic batches for engine tests. */
final class EngineFixtures {
    private EngineFixtures() {
    }

    static Batch randomBatch(int n, int c, int size, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * c * size * size];
        float[] y = new float[n * size * size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = r.nextDouble() > 0.7 ? 1f : 0f;
        }
        return new Batch(x, y, n, c, 1, size, size);
    }

    /** A tiny U-Net (width 4, depth 3) for fast tests. */
    static UNetConfig tiny() {
        return new UNetConfig(3, 1, 4, 3, NormType.BATCH, 2);
    }
}
