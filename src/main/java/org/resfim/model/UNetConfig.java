package org.resfim.model;

/**
 * Options of the reference 2-D U-Net (METHOD.md): input channels, output classes (1 = one logit),
 * base width (stage-1 channels, doubled per stage), depth (encoder stages) and normalisation.
 */
public record UNetConfig(int inChannels, int classes, int width, int depth, NormType norm, int groups) {

    public UNetConfig {
        if (inChannels < 1) {
            throw new IllegalArgumentException("model.in-channels must be >= 1, got " + inChannels);
        }
        if (classes < 1) {
            throw new IllegalArgumentException("model.classes must be >= 1, got " + classes);
        }
        if (width < 2 || width % 2 != 0) {
            throw new IllegalArgumentException("model.width must be an even number >= 2, got " + width);
        }
        if (depth < 2 || depth > 7) {
            throw new IllegalArgumentException("model.depth must be between 2 and 7, got " + depth);
        }
        if (norm == null) {
            throw new IllegalArgumentException("model.norm must be one of batch, group, instance, none");
        }
        if (norm == NormType.GROUP && (groups < 1 || width % groups != 0)) {
            throw new IllegalArgumentException("model.groups must divide model.width (" + width + "), got " + groups);
        }
    }

    /** The reference network: 3 input channels, 1 logit, 16-32-64-128-256, BatchNorm. */
    public static UNetConfig reference() {
        return new UNetConfig(3, 1, 16, 5, NormType.BATCH, 8);
    }

    public UNetConfig withInChannels(int c) {
        return new UNetConfig(c, classes, width, depth, norm, groups);
    }

    /** Input height and width must be a multiple of this. */
    public int sizeMultiple() {
        return 1 << (depth - 1);
    }

    public int channels(int stage) {
        return width << stage;
    }
}
