package org.resfim.metrics;

/**
 * Pixel counts of a binary prediction against the ground truth, and the overlap scores derived from them.
 *
 * <p>Conventions for empty sets (a score whose denominator is zero): the score is {@code 1} when the
 * prediction agrees with the truth on the empty set and {@code 0} otherwise. So Dice and IoU are 1 when
 * prediction and truth are both empty (as in the evaluation protocol) and 0 when exactly one is;
 * sensitivity with an empty truth is 1 if the prediction is empty too and 0 otherwise; specificity with
 * no truth background (all-foreground truth) is 1 if the prediction is all foreground too and 0 otherwise.
 * This keeps every score finite so per-image scores can be averaged; MedPy returns 0 and MONAI NaN in
 * those cases, so compare with care.
 *
 * @param tp predicted foreground that is truth foreground
 * @param fp predicted foreground that is truth background
 * @param fn predicted background that is truth foreground
 * @param tn predicted background that is truth background
 */
public record Confusion(long tp, long fp, long fn, long tn) {
    public Confusion {
        if (tp < 0 || fp < 0 || fn < 0 || tn < 0) {
            throw new IllegalArgumentException("negative count in " + tp + "/" + fp + "/" + fn + "/" + tn);
        }
    }

    /** Counts over two masks of equal length ({@code true} = foreground). */
    public static Confusion of(boolean[] prediction, boolean[] truth) {
        if (prediction.length != truth.length) {
            throw new IllegalArgumentException("prediction has " + prediction.length + " pixels, truth has " + truth.length);
        }
        long tp = 0;
        long fp = 0;
        long fn = 0;
        for (int i = 0; i < prediction.length; i++) {
            if (prediction[i]) {
                if (truth[i]) {
                    tp++;
                } else {
                    fp++;
                }
            } else if (truth[i]) {
                fn++;
            }
        }
        return new Confusion(tp, fp, fn, prediction.length - tp - fp - fn);
    }

    /** Dice = 2TP / (2TP + FP + FN) = 2|P∩G| / (|P| + |G|); 1 when both are empty. */
    public double dice() {
        return ratio(2 * tp, 2 * tp + fp + fn);
    }

    /** IoU (Jaccard) = TP / (TP + FP + FN); 1 when both are empty. */
    public double iou() {
        return ratio(tp, tp + fp + fn);
    }

    /** Sensitivity (recall) = TP / (TP + FN); with an empty truth, 1 if the prediction is empty, else 0. */
    public double sensitivity() {
        long d = tp + fn;
        return d == 0 ? (fp == 0 ? 1.0 : 0.0) : (double) tp / d;
    }

    /** Specificity = TN / (TN + FP); with no truth background, 1 if the prediction has no background, else 0. */
    public double specificity() {
        long d = tn + fp;
        return d == 0 ? (fn == 0 ? 1.0 : 0.0) : (double) tn / d;
    }

    /** Number of pixels. */
    public long total() {
        return tp + fp + fn + tn;
    }

    private static double ratio(long num, long den) {
        return den == 0 ? 1.0 : (double) num / den;
    }
}
