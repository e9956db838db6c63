package org.resfim.spectral;

import java.util.Random;

/** Synthetic images for the spectral tests. */
final class SpectralFixtures {
    private SpectralFixtures() {
    }

    /**
     * A smooth C×H×W image in [0.1, 0.9]: a brightness/contrast "style" over a few random waves plus a little
     * noise, different per channel.
     */
    static float[] image(int c, int h, int w, long seed, double brightness, double contrast) {
        Random r = new Random(seed);
        float[] img = new float[c * h * w];
        for (int ch = 0; ch < c; ch++) {
            double[][] waves = new double[4][4];
            for (double[] wave : waves) {
                wave[0] = r.nextInt(5);
                wave[1] = r.nextInt(5);
                wave[2] = r.nextDouble() * 2 * Math.PI;
                wave[3] = 0.05 + 0.05 * r.nextDouble();
            }
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double v = 0;
                    for (double[] wave : waves) {
                        v += wave[3] * Math.sin(2 * Math.PI * (wave[0] * y / h + wave[1] * x / w) + wave[2]);
                    }
                    v = brightness + contrast * v + 0.02 * r.nextGaussian();
                    img[(ch * h + y) * w + x] = (float) Math.min(0.9, Math.max(0.1, v));
                }
            }
        }
        return img;
    }

    /** The shifted spectrum (zero frequency at (H/2, W/2)) of channel {@code c}: {re, im}. */
    static double[][] shiftedSpectrum(float[] img, int c, int h, int w) {
        double[] re = new double[h * w];
        double[] im = new double[h * w];
        for (int k = 0; k < h * w; k++) {
            re[k] = img[c * h * w + k];
        }
        Fft2.forward(re, im, h, w);
        return new double[][] {Fft2.fftshift(re, h, w), Fft2.fftshift(im, h, w)};
    }
}
