package org.resfim.data;

/** Fractions of patients (or images, where there are no patient ids) in train, validation and test. */
public record SplitRatios(double train, double val, double test) {
    public static final SplitRatios DEFAULT = new SplitRatios(0.7, 0.1, 0.2);

    public SplitRatios {
        if (!(train >= 0 && val >= 0 && test >= 0) || Math.abs(train + val + test - 1.0) > 1e-6 || train <= 0) {
            throw new IllegalArgumentException("split ratios must be non-negative, train > 0, and sum to 1; got train="
                    + train + " val=" + val + " test=" + test);
        }
    }
}
