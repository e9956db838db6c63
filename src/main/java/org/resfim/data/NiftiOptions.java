package org.resfim.data;

/**
 * How NIfTI volumes become 2-D samples.
 *
 * @param axis                  slice axis: 0 = x (sagittal), 1 = y (coronal), 2 = z (axial)
 * @param lowPercentile         per-volume intensity clipping, lower percentile (0–100)
 * @param highPercentile        upper percentile
 * @param foregroundSlicesOnly  keep only slices whose label has foreground
 */
public record NiftiOptions(int axis, double lowPercentile, double highPercentile, boolean foregroundSlicesOnly) {
    public static final NiftiOptions DEFAULT = new NiftiOptions(2, 0.5, 99.5, false);

    public NiftiOptions {
        if (axis < 0 || axis > 2) {
            throw new IllegalArgumentException("nifti.axis must be 0, 1 or 2, got " + axis);
        }
        if (!(lowPercentile >= 0 && lowPercentile < highPercentile && highPercentile <= 100)) {
            throw new IllegalArgumentException("nifti.clip must satisfy 0 <= low < high <= 100, got [" + lowPercentile
                    + ", " + highPercentile + "]");
        }
    }

    public String signature() {
        return "axis=" + axis + ",clip=" + lowPercentile + "-" + highPercentile + ",fg=" + foregroundSlicesOnly;
    }
}
