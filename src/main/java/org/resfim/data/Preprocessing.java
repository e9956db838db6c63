package org.resfim.data;

/**
 * What turns a decoded image into a training sample, in this order: centre crop, intensity scaling to [0,1],
 * channel conversion (grey replicated to 3, colour to grey by luminance), resize to the training resolution
 * (bilinear with antialiasing for images, nearest for masks and field-of-view masks).
 *
 * @param height       training height
 * @param width        training width
 * @param channels     1 or 3
 * @param crop         centre crop before resizing
 * @param cropHeight   crop height for {@link Crop#SIZE}
 * @param cropWidth    crop width for {@link Crop#SIZE}
 * @param intensity    how stored values become [0,1]
 * @param lowPercentile  for {@link Intensity#PERCENTILE}
 * @param highPercentile for {@link Intensity#PERCENTILE}
 * @param interpolation image interpolation
 */
public record Preprocessing(int height, int width, int channels, Crop crop, int cropHeight, int cropWidth,
                            Intensity intensity, double lowPercentile, double highPercentile,
                            Interpolation interpolation) {

    public enum Crop { NONE, SQUARE, SIZE }

    /** {@code scale}: divide by the largest storable value (255 for 8-bit); {@code minmax} and
     * {@code percentile}: per image, stretch [min, max] (or the percentiles, clipped) to [0,1]. */
    public enum Intensity { SCALE, MINMAX, PERCENTILE }

    public enum Interpolation { BILINEAR, NEAREST }

    public static Preprocessing defaults(int size) {
        return new Preprocessing(size, size, 3, Crop.NONE, 0, 0, Intensity.SCALE, 0.5, 99.5, Interpolation.BILINEAR);
    }

    public Preprocessing {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + height + "x" + width);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        if (crop == Crop.SIZE && (cropHeight <= 0 || cropWidth <= 0)) {
            throw new IllegalArgumentException("crop size must be positive");
        }
        if (!(lowPercentile >= 0 && lowPercentile < highPercentile && highPercentile <= 100)) {
            throw new IllegalArgumentException("percentiles must satisfy 0 <= low < high <= 100, got "
                    + lowPercentile + ", " + highPercentile);
        }
    }

    public Preprocessing withSize(int h, int w) {
        return new Preprocessing(h, w, channels, crop, cropHeight, cropWidth, intensity, lowPercentile,
                highPercentile, interpolation);
    }

    /** Text that changes whenever the output could. */
    public String signature() {
        return height + "x" + width + ",c=" + channels + ",crop=" + crop + (crop == Crop.SIZE ? cropHeight + "x"
                + cropWidth : "") + ",int=" + intensity + (intensity == Intensity.PERCENTILE ? lowPercentile + "-"
                + highPercentile : "") + ",interp=" + interpolation;
    }

    /**
     * Applies the pipeline to one decoded image with its label and optional field of view (both H×W at the
     * image's size). The image's array is reused and changed: pass a decoded image that nothing else holds.
     */
    Sample apply(RawImage img, float[] label, float[] fov, String id, String patientId, String source) {
        int c = img.channels();
        int h = img.height();
        int w = img.width();
        float[] data = img.data();
        // 1. centre crop
        int ch = h;
        int cw = w;
        if (crop == Crop.SQUARE) {
            ch = cw = Math.min(h, w);
        } else if (crop == Crop.SIZE) {
            ch = Math.min(h, cropHeight);
            cw = Math.min(w, cropWidth);
        }
        if (ch != h || cw != w) {
            int y0 = (h - ch) / 2;
            int x0 = (w - cw) / 2;
            data = ImageOps.crop(data, c, h, w, y0, x0, ch, cw);
            label = ImageOps.crop(label, 1, h, w, y0, x0, ch, cw);
            fov = fov == null ? null : ImageOps.crop(fov, 1, h, w, y0, x0, ch, cw);
            h = ch;
            w = cw;
        }
        // 2. intensity to [0,1]
        normaliseIntensity(data, img.maxValue());
        // 3. channels
        if (c != channels) {
            data = ImageOps.convertChannels(data, c, channels, h * w);
            c = channels;
        }
        // 4. resize
        if (h != height || w != width) {
            data = interpolation == Interpolation.BILINEAR
                    ? ImageOps.resizeBilinear(data, c, h, w, height, width)
                    : ImageOps.resizeNearest(data, c, h, w, height, width);
            label = ImageOps.resizeNearest(label, 1, h, w, height, width);
            fov = fov == null ? null : ImageOps.resizeNearest(fov, 1, h, w, height, width);
        }
        ImageOps.clamp01(data);
        return new Sample(id, patientId, data, c, height, width, label, fov, source);
    }

    /** Step 2 of the pipeline, in place: the intensity rule ({@code scale} by the bit depth, {@code minmax}, {@code percentile}). */
    public void normaliseIntensity(float[] data, float maxValue) {
        switch (intensity) {
            case SCALE:
                ImageOps.scale(data, 1f / maxValue);
                break;
            case MINMAX:
                ImageOps.stretch(data, 0, 100);
                break;
            default:
                ImageOps.stretch(data, lowPercentile, highPercentile);
        }
    }
}
