package org.resfim.metrics;

import java.util.Arrays;

/**
 * Binary segmentation scores of the evaluation protocol on 2-D masks stored row-major
 * (pixel {@code (x, y)} at index {@code y * width + x}); {@code true} / non-zero byte = foreground.
 *
 * <p>Overlap scores and their empty-mask conventions are documented on {@link Confusion}. HD95 follows
 * MedPy's {@code hd95} with unit pixel spacing and 4-connectivity surfaces; see {@link #hd95}.
 */
public final class SegmentationMetrics {
    private SegmentationMetrics() {
    }

    /** Dice = 2|P∩G| / (|P| + |G|); 1 when both are empty. */
    public static double dice(boolean[] prediction, boolean[] truth) {
        return Confusion.of(prediction, truth).dice();
    }

    /** IoU = |P∩G| / |P∪G|; 1 when both are empty. */
    public static double iou(boolean[] prediction, boolean[] truth) {
        return Confusion.of(prediction, truth).iou();
    }

    /** Sensitivity = TP / (TP + FN); with an empty truth, 1 if the prediction is empty too, else 0. */
    public static double sensitivity(boolean[] prediction, boolean[] truth) {
        return Confusion.of(prediction, truth).sensitivity();
    }

    /** Specificity = TN / (TN + FP); with an all-foreground truth, 1 if the prediction is too, else 0. */
    public static double specificity(boolean[] prediction, boolean[] truth) {
        return Confusion.of(prediction, truth).specificity();
    }

    /**
     * The 95th-percentile symmetric Hausdorff distance in pixels, as MedPy's {@code hd95}: the surface of a
     * mask is its foreground pixels with at least one 4-neighbour in the background or outside the image;
     * for each surface pixel of P the Euclidean distance to the nearest surface pixel of G, and vice versa;
     * the result is the 95th percentile (linear interpolation, as NumPy's default) of the union of both
     * directed distance sets.
     *
     * <p>Conventions: 0 when both masks are empty; when exactly one is empty, the image diagonal
     * {@code sqrt(width² + height²)}, which exceeds any distance possible inside the image, so a missed or
     * hallucinated structure scores worse than any located one while staying finite (MedPy raises an error
     * in that case).
     */
    public static double hd95(boolean[] prediction, boolean[] truth, int width, int height) {
        return hausdorffPercentile(prediction, truth, width, height, 95.0);
    }

    /**
     * Like {@link #hd95} with another percentile {@code q} in [0, 100]; {@code q = 100} is the classic
     * Hausdorff distance between the surfaces.
     */
    public static double hausdorffPercentile(boolean[] prediction, boolean[] truth, int width, int height, double q) {
        DistanceTransform.checkSize(prediction.length, width, height);
        DistanceTransform.checkSize(truth.length, width, height);
        if (!(q >= 0 && q <= 100)) {
            throw new IllegalArgumentException("percentile " + q + " outside [0, 100]");
        }
        boolean[] ps = surface(prediction, width, height);
        boolean[] gs = surface(truth, width, height);
        int np = count(ps);
        int ng = count(gs);
        if (np == 0 && ng == 0) {
            return 0.0;
        }
        if (np == 0 || ng == 0) {
            return Math.sqrt((double) width * width + (double) height * height);
        }
        double[] all = new double[np + ng];
        int k = directed(ps, DistanceTransform.squared(gs, width, height), all, 0);
        directed(gs, DistanceTransform.squared(ps, width, height), all, k);
        Arrays.sort(all);
        return percentile(all, q);
    }

    /** All five scores for one image. */
    public static MetricSummary summary(boolean[] prediction, boolean[] truth, int width, int height) {
        DistanceTransform.checkSize(prediction.length, width, height);
        Confusion c = Confusion.of(prediction, truth);
        return new MetricSummary(c.dice(), c.iou(), c.sensitivity(), c.specificity(),
                hd95(prediction, truth, width, height));
    }

    /** All five scores for one image given as bytes (non-zero = foreground). */
    public static MetricSummary summary(byte[] prediction, byte[] truth, int width, int height) {
        return summary(toMask(prediction), toMask(truth), width, height);
    }

    /** A byte mask as booleans: non-zero = foreground. */
    public static boolean[] toMask(byte[] mask) {
        boolean[] b = new boolean[mask.length];
        for (int i = 0; i < mask.length; i++) {
            b[i] = mask[i] != 0;
        }
        return b;
    }

    /** Prediction from logits: {@code sigmoid(logit) > 0.5 ⇔ logit > 0}. NaN gives background. */
    public static boolean[] fromLogits(float[] logits) {
        boolean[] b = new boolean[logits.length];
        for (int i = 0; i < logits.length; i++) {
            b[i] = logits[i] > 0f;
        }
        return b;
    }

    /** Prediction from probabilities: {@code p > 0.5}. NaN gives background. */
    public static boolean[] fromProbabilities(float[] probabilities) {
        return fromProbabilities(probabilities, 0.5f);
    }

    /** Prediction from probabilities: {@code p > threshold}. NaN gives background. */
    public static boolean[] fromProbabilities(float[] probabilities, float threshold) {
        boolean[] b = new boolean[probabilities.length];
        for (int i = 0; i < probabilities.length; i++) {
            b[i] = probabilities[i] > threshold;
        }
        return b;
    }

    /**
     * Surface pixels: foreground pixels with at least one 4-neighbour that is background or outside the
     * image (a mask minus its erosion by a cross with a background border, as in MedPy).
     */
    public static boolean[] surface(boolean[] mask, int width, int height) {
        DistanceTransform.checkSize(mask.length, width, height);
        boolean[] s = new boolean[mask.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = y * width + x;
                if (!mask[i]) {
                    continue;
                }
                boolean interior = x > 0 && mask[i - 1] && x < width - 1 && mask[i + 1]
                        && y > 0 && mask[i - width] && y < height - 1 && mask[i + width];
                s[i] = !interior;
            }
        }
        return s;
    }

    /** The {@code q}-th percentile of ascending {@code sorted} values, linear interpolation (NumPy's default). */
    static double percentile(double[] sorted, double q) {
        double pos = q / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        double t = pos - lo;
        return sorted[lo] + t * (sorted[hi] - sorted[lo]);
    }

    private static int directed(boolean[] from, double[] squaredDistanceToOther, double[] out, int k) {
        for (int i = 0; i < from.length; i++) {
            if (from[i]) {
                out[k++] = Math.sqrt(squaredDistanceToOther[i]);
            }
        }
        return k;
    }

    private static int count(boolean[] b) {
        int c = 0;
        for (boolean v : b) {
            if (v) {
                c++;
            }
        }
        return c;
    }
}
