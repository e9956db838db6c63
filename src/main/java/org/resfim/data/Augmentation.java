package org.resfim.data;

import java.util.Random;

/**
 * Train-time augmentation: horizontal flip, vertical flip and a 90° rotation, each with its own probability,
 * drawn from a caller's seeded generator. Every call draws exactly three numbers from the generator whatever
 * the probabilities, so a run's random stream does not depend on them. A rotation of a non-square image is
 * skipped (its shape would change).
 *
 * <p>The arrays are changed in place: pass copies (batch buffers, or {@link Sample#deepCopy()}), never a
 * dataset's own arrays.
 */
public record Augmentation(double hflip, double vflip, double rot90) {
    /** The benchmark convention: each with p = 0.5. */
    public static final Augmentation STANDARD = new Augmentation(0.5, 0.5, 0.5);
    public static final Augmentation NONE = new Augmentation(0, 0, 0);

    public Augmentation {
        for (double p : new double[] {hflip, vflip, rot90}) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException("augmentation probabilities must be in [0,1], got " + p);
            }
        }
    }

    /** Augments one image (C×H×W) and its mask (H×W) in place. */
    public void augment(float[] image, float[] mask, int c, int h, int w, Random rng) {
        augment(image, mask, null, c, h, w, rng);
    }

    /** Augments one image, its mask and optional field of view (H×W, may be null) in place. */
    public void augment(float[] image, float[] mask, float[] fov, int c, int h, int w, Random rng) {
        boolean doH = rng.nextDouble() < hflip;
        boolean doV = rng.nextDouble() < vflip;
        boolean doR = rng.nextDouble() < rot90 && h == w;
        if (!(doH || doV || doR)) {
            return;
        }
        transform(image, 0, c, h, w, doH, doV, doR);
        transform(mask, 0, 1, h, w, doH, doV, doR);
        if (fov != null) {
            transform(fov, 0, 1, h, w, doH, doV, doR);
        }
    }

    /**
     * Augments a batch in place: {@code images} N×C×H×W and {@code masks} N×H×W (or N×1×H×W), each sample with
     * its own draw, in order.
     */
    public void augmentBatch(float[] images, float[] masks, int n, int c, int h, int w, Random rng) {
        if (images.length != n * c * h * w || masks.length != n * h * w) {
            throw new IllegalArgumentException("batch arrays do not match " + n + "x" + c + "x" + h + "x" + w);
        }
        for (int i = 0; i < n; i++) {
            boolean doH = rng.nextDouble() < hflip;
            boolean doV = rng.nextDouble() < vflip;
            boolean doR = rng.nextDouble() < rot90 && h == w;
            if (doH || doV || doR) {
                transform(images, i * c * h * w, c, h, w, doH, doV, doR);
                transform(masks, i * h * w, 1, h, w, doH, doV, doR);
            }
        }
    }

    /** An augmented copy of a sample; the sample itself is left as it is. */
    public Sample apply(Sample s, Random rng) {
        Sample copy = s.deepCopy();
        augment(copy.image(), copy.mask(), copy.fov(), s.channels(), s.height(), s.width(), rng);
        return copy;
    }

    /** Flips then rotates (counter-clockwise by 90°) each H×W plane starting at {@code offset}. */
    private static void transform(float[] a, int offset, int c, int h, int w, boolean flipH, boolean flipV,
                                  boolean rot) {
        int plane = h * w;
        float[] tmp = rot ? new float[plane] : null;
        for (int k = 0; k < c; k++) {
            int base = offset + k * plane;
            if (flipH) {
                for (int y = 0; y < h; y++) {
                    int row = base + y * w;
                    for (int x = 0, xe = w - 1; x < xe; x++, xe--) {
                        float t = a[row + x];
                        a[row + x] = a[row + xe];
                        a[row + xe] = t;
                    }
                }
            }
            if (flipV) {
                for (int y = 0, ye = h - 1; y < ye; y++, ye--) {
                    int r1 = base + y * w;
                    int r2 = base + ye * w;
                    for (int x = 0; x < w; x++) {
                        float t = a[r1 + x];
                        a[r1 + x] = a[r2 + x];
                        a[r2 + x] = t;
                    }
                }
            }
            if (rot) { // square: out[y][x] = in[x][w-1-y]
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        tmp[y * w + x] = a[base + x * w + (w - 1 - y)];
                    }
                }
                System.arraycopy(tmp, 0, a, base, plane);
            }
        }
    }
}
