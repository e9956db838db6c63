package org.resfim.spectral;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class Fft2Test {

    private static double[] random(int n, Random r) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextGaussian();
        }
        return a;
    }

    /** Naive O(n²) 2-D DFT, the definition. */
    private static double[][] naive(double[] re, double[] im, int h, int w) {
        double[] or = new double[h * w];
        double[] oi = new double[h * w];
        for (int u = 0; u < h; u++) {
            for (int v = 0; v < w; v++) {
                double sr = 0;
                double si = 0;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        double a = -2 * Math.PI * ((double) u * y / h + (double) v * x / w);
                        double c = Math.cos(a);
                        double s = Math.sin(a);
                        sr += re[y * w + x] * c - im[y * w + x] * s;
                        si += re[y * w + x] * s + im[y * w + x] * c;
                    }
                }
                or[u * w + v] = sr;
                oi[u * w + v] = si;
            }
        }
        return new double[][] {or, oi};
    }

    @Test
    void forwardMatchesTheDefinitionForPowerOfTwoAndOtherSizes() {
        Random r = new Random(1);
        int[][] sizes = {{1, 1}, {1, 8}, {4, 4}, {6, 5}, {3, 7}, {8, 12}, {13, 1}, {9, 16}};
        for (int[] hw : sizes) {
            int h = hw[0];
            int w = hw[1];
            double[] re = random(h * w, r);
            double[] im = random(h * w, r);
            double[][] expect = naive(re, im, h, w);
            Fft2.forward(re, im, h, w);
            assertArrayEquals(expect[0], re, 1e-9, h + "x" + w + " real");
            assertArrayEquals(expect[1], im, 1e-9, h + "x" + w + " imag");
        }
    }

    @Test
    void roundTripIsIdentityForManySizes() {
        Random r = new Random(2);
        int[][] sizes = {{128, 128}, {584, 565}, {37, 42}, {2, 3}, {256, 100}};
        for (int[] hw : sizes) {
            int h = hw[0];
            int w = hw[1];
            double[] re = random(h * w, r);
            double[] im = random(h * w, r);
            double[] re0 = re.clone();
            double[] im0 = im.clone();
            Fft2.forward(re, im, h, w);
            Fft2.inverse(re, im, h, w);
            assertArrayEquals(re0, re, 1e-9, h + "x" + w);
            assertArrayEquals(im0, im, 1e-9, h + "x" + w);
        }
    }

    @Test
    void shiftPutsZeroFrequencyAtTheCentreAndInverts() {
        double[] a = {0, 1, 2, 3, 4};
        assertArrayEquals(new double[] {3, 4, 0, 1, 2}, Fft2.fftshift(a, 1, 5));      // numpy.fft.fftshift
        assertArrayEquals(new double[] {2, 3, 4, 0, 1}, Fft2.ifftshift(a, 1, 5));
        assertArrayEquals(new double[] {2, 3, 0, 1}, Fft2.fftshift(new double[] {0, 1, 2, 3}, 4, 1));
        Random r = new Random(3);
        for (int[] hw : new int[][] {{5, 4}, {6, 7}, {7, 7}, {8, 8}}) {
            double[] x = random(hw[0] * hw[1], r);
            assertArrayEquals(x, Fft2.ifftshift(Fft2.fftshift(x, hw[0], hw[1]), hw[0], hw[1]));
            // a constant image has only the DC term, which lands at (H/2, W/2)
            double[] re = new double[hw[0] * hw[1]];
            java.util.Arrays.fill(re, 1.0);
            double[] im = new double[re.length];
            Fft2.forward(re, im, hw[0], hw[1]);
            double[] shifted = Fft2.fftshift(re, hw[0], hw[1]);
            assertEquals(re.length, shifted[(hw[0] / 2) * hw[1] + hw[1] / 2], 1e-9);
        }
    }

    @Test
    void threeChannel128RoundTripGivesTheImageBack() {
        // (its time is a figure of `resfim bench core`, not a test)
        Random r = new Random(4);
        for (int c = 0; c < 3; c++) {
            double[] x = random(128 * 128, r);
            double[] re = x.clone();
            double[] im = new double[128 * 128];
            Fft2.forward(re, im, 128, 128);
            Fft2.inverse(re, im, 128, 128);
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i], re[i], 1e-12, "re[" + i + "]");
                assertEquals(0, im[i], 1e-12, "im[" + i + "]");
            }
        }
    }

    @Test
    void badSizesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Fft2.forward(new double[6], new double[6], 2, 2));
        assertTrue(e.getMessage().contains("2x2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Fft2.forward(new double[0], new double[0], 0, 5));
    }
}
