package org.resfim.data;

import java.util.Objects;

/**
 * One 2-D sample at training resolution.
 *
 * @param id         unique within its site (the image path relative to the site folder; {@code #z=NNN} added for
 *                   a slice of a volume)
 * @param patientId  the patient the image belongs to (equal to {@code id} where the dataset has none)
 * @param image      C×H×W row-major, values in [0,1]
 * @param channels   C
 * @param height     H
 * @param width      W
 * @param mask       H×W: 0/1 for binary tasks, class indices for multi-class label rules
 * @param fov        H×W field-of-view mask (0/1), or null where the dataset has none
 * @param sourcePath where the image came from (a file path, or {@code synthetic:...})
 *
 * <p>The arrays are shared, not copied: treat them as read-only (augment copies, see {@link Augmentation}).
 */
public record Sample(String id, String patientId, float[] image, int channels, int height, int width,
                     float[] mask, float[] fov, String sourcePath) {
    public Sample {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(patientId, "patientId");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(mask, "mask");
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("sample " + id + ": bad shape " + channels + "x" + height + "x" + width);
        }
        if (image.length != channels * height * width) {
            throw new IllegalArgumentException("sample " + id + ": image has " + image.length + " values, expected "
                    + channels + "x" + height + "x" + width);
        }
        if (mask.length != height * width) {
            throw new IllegalArgumentException("sample " + id + ": mask has " + mask.length + " values, expected "
                    + height + "x" + width);
        }
        if (fov != null && fov.length != height * width) {
            throw new IllegalArgumentException("sample " + id + ": fov has " + fov.length + " values, expected "
                    + height + "x" + width);
        }
    }

    /** Fraction of pixels whose mask value is non-zero. */
    public double foregroundFraction() {
        int n = 0;
        for (float v : mask) {
            if (v != 0f) {
                n++;
            }
        }
        return n / (double) mask.length;
    }

    /** A copy with fresh arrays, safe to modify (e.g. to augment in place). */
    public Sample deepCopy() {
        return new Sample(id, patientId, image.clone(), channels, height, width, mask.clone(),
                fov == null ? null : fov.clone(), sourcePath);
    }
}
