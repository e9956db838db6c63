package org.resfim.engine;

/**
 * A mini-batch as plain arrays: images (n, channels, height, width) and targets (n, classes, height,
 * width), both row-major. Kept engine-free so data loading and augmentation never touch native memory.
 */
public record Batch(float[] images, float[] targets, int n, int channels, int classes, int height, int width) {
    public Batch {
        if ((long) n * channels * height * width != images.length) {
            throw new IllegalArgumentException("batch images: expected " + n + "x" + channels + "x" + height + "x" + width
                    + " values, got " + images.length);
        }
        if (targets != null && (long) n * classes * height * width != targets.length) {
            throw new IllegalArgumentException("batch targets: expected " + n + "x" + classes + "x" + height + "x" + width
                    + " values, got " + targets.length);
        }
    }

    /** A reproducible random batch (images uniform in [0,1), 30% foreground) for benchmarks and tests. */
    public static Batch random(int n, int channels, int size, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] x = new float[n * channels * size * size];
        float[] y = new float[n * size * size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = r.nextDouble() > 0.7 ? 1f : 0f;
        }
        return new Batch(x, y, n, channels, 1, size, size);
    }

    /** Sample {@code i} alone as a batch of one. */
    public Batch sample(int i) {
        int is = channels * height * width;
        int ts = classes * height * width;
        float[] x = new float[is];
        System.arraycopy(images, i * is, x, 0, is);
        float[] y = null;
        if (targets != null) {
            y = new float[ts];
            System.arraycopy(targets, i * ts, y, 0, ts);
        }
        return new Batch(x, y, 1, channels, classes, height, width);
    }
}
