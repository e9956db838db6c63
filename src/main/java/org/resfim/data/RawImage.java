package org.resfim.data;

/**
 * A decoded image as stored: C×H×W row-major floats holding the stored sample values (0..{@code maxValue}).
 *
 * @param maxValue the largest storable value (255 for 8-bit, 65535 for 16-bit, 1 for normalised volumes)
 */
public record RawImage(int channels, int height, int width, float[] data, float maxValue) {
    public RawImage {
        if (data.length != channels * height * width) {
            throw new IllegalArgumentException("raw image: " + data.length + " values for " + channels + "x" + height
                    + "x" + width);
        }
    }
}
