package org.resfim.spectral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AmplitudeTransferTest {

    @Test
    void halfSizeFollowsTheFormula() {
        assertEquals(3, AmplitudeTransfer.halfSize(128, 128, 0.03));      // floor(3.84)
        assertEquals(16, AmplitudeTransfer.halfSize(584, 565, 0.03));     // floor(16.95)
        assertEquals(1, AmplitudeTransfer.halfSize(128, 128, 0.001));     // at least 1
        assertEquals(29, AmplitudeTransfer.halfSize(100, 100, 0.29));     // 28.999999999999996 counts as 29
        assertEquals(63, AmplitudeTransfer.halfSize(128, 200, 0.5));      // capped so that 2b+1 <= 128
        assertEquals(7, AmplitudeTransfer.windowSide(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AmplitudeTransfer.halfSize(128, 128, 0.7));
        assertEquals("style.beta must be in (0, 0.5], got 0.7", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AmplitudeTransfer.halfSize(2, 128, 0.1));
    }

    @Test
    void windowIsTheCentredAmplitudeOfTheShiftedSpectrum() {
        for (int[] hw : new int[][] {{32, 32}, {37, 42}}) {
            int h = hw[0];
            int w = hw[1];
            float[] img = SpectralFixtures.image(3, h, w, 11, 0.5, 1.0);
            int b = AmplitudeTransfer.halfSize(h, w, 0.1);
            float[][][] win = AmplitudeTransfer.window(img, 3, h, w, 0.1);
            assertEquals(3, win.length);
            assertEquals(2 * b + 1, win[0].length);
            assertEquals(2 * b + 1, win[0][0].length);
            for (int c = 0; c < 3; c++) {
                double[][] f = SpectralFixtures.shiftedSpectrum(img, c, h, w);
                for (int i = 0; i < 2 * b + 1; i++) {
                    for (int j = 0; j < 2 * b + 1; j++) {
                        int k = (h / 2 - b + i) * w + (w / 2 - b + j);   // rows cy−b..cy+b, cols cx−b..cx+b
                        assertEquals(Math.hypot(f[0][k], f[1][k]), win[c][i][j], 1e-3);
                    }
                }
                // the centre is the DC term: the channel's sum
                double sum = 0;
                for (int k = 0; k < h * w; k++) {
                    sum += img[c * h * w + k];
                }
                assertEquals(sum, win[c][b][b], 1e-3);
            }
        }
    }

    @Test
    void lambdaZeroIsTheIdentity() {
        float[] img = SpectralFixtures.image(3, 64, 48, 1, 0.5, 1.0);
        float[][][] target = AmplitudeTransfer.window(SpectralFixtures.image(3, 64, 48, 2, 0.3, 2.0), 3, 64, 48, 0.1);
        float[] out = AmplitudeTransfer.transfer(img, 3, 64, 48, target, 0.0);
        for (int i = 0; i < img.length; i++) {
            assertEquals(img[i], out[i], 1e-5, "pixel " + i);
        }
    }

    @Test
    void lambdaOneImposesTheTargetAmplitudeKeepsPhaseAndLeavesTheRestAlone() {
        for (int[] hw : new int[][] {{64, 64}, {37, 42}}) {
            int h = hw[0];
            int w = hw[1];
            float[] img = SpectralFixtures.image(3, h, w, 5, 0.5, 1.0);
            float[][][] target = AmplitudeTransfer.window(SpectralFixtures.image(3, h, w, 6, 0.35, 1.8), 3, h, w, 0.1);
            int b = (target[0].length - 1) / 2;
            float[] out = AmplitudeTransfer.transferUnclipped(img, 3, h, w, target, 1.0);
            for (int c = 0; c < 3; c++) {
                double[][] f0 = SpectralFixtures.shiftedSpectrum(img, c, h, w);
                double[][] f1 = SpectralFixtures.shiftedSpectrum(out, c, h, w);
                double scale = target[c][b][b];                         // the DC amplitude: the largest
                int inside = 0;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int k = y * w + x;
                        int i = y - (h / 2 - b);
                        int j = x - (w / 2 - b);
                        double a0 = Math.hypot(f0[0][k], f0[1][k]);
                        double a1 = Math.hypot(f1[0][k], f1[1][k]);
                        if (i >= 0 && i <= 2 * b && j >= 0 && j <= 2 * b) {
                            inside++;
                            assertEquals(target[c][i][j], a1, 1e-5 * scale, "window amplitude at " + y + "," + x);
                            if (a0 > 1e-3 * scale && a1 > 1e-3 * scale) {
                                double d = Math.atan2(f1[1][k], f1[0][k]) - Math.atan2(f0[1][k], f0[0][k]);
                                d = Math.atan2(Math.sin(d), Math.cos(d));
                                assertEquals(0.0, d, 1e-3, "phase at " + y + "," + x);
                            }
                        } else {
                            assertEquals(f0[0][k], f1[0][k], 1e-5 * scale, "outside, real, at " + y + "," + x);
                            assertEquals(f0[1][k], f1[1][k], 1e-5 * scale, "outside, imag, at " + y + "," + x);
                        }
                    }
                }
                assertEquals((2 * b + 1) * (2 * b + 1), inside);
            }
        }
    }

    @Test
    void intermediateLambdaInterpolatesAmplitudeAndClippedOutputStaysInRange() {
        int h = 48;
        int w = 48;
        float[] img = SpectralFixtures.image(1, h, w, 7, 0.5, 1.0);
        float[] other = SpectralFixtures.image(1, h, w, 8, 0.8, 3.0);
        float[][][] a = AmplitudeTransfer.window(img, 1, h, w, 0.1);
        float[][][] t = AmplitudeTransfer.window(other, 1, h, w, 0.1);
        float[] half = AmplitudeTransfer.transferUnclipped(img, 1, h, w, t, 0.5);
        float[][][] got = AmplitudeTransfer.window(half, 1, h, w, 0.1);
        for (int i = 0; i < a[0].length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                assertEquals(0.5 * a[0][i][j] + 0.5 * t[0][i][j], got[0][i][j], 1e-5 * a[0][4][4]);
            }
        }
        float[] clipped = AmplitudeTransfer.transfer(img, 1, h, w, t, 1.0);
        for (float v : clipped) {
            assertTrue(v >= 0f && v <= 1f, "clipped value " + v);
        }
    }

    @Test
    void badTargetWindowsAreRefusedWithAClearMessage() {
        float[] img = SpectralFixtures.image(3, 32, 32, 1, 0.5, 1.0);
        float[][][] good = AmplitudeTransfer.window(img, 3, 32, 32, 0.1);   // b = 3, 7x7

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AmplitudeTransfer.transfer(img, 3, 32, 32, new float[][][] {good[0], good[1]}, 1.0));
        assertTrue(e.getMessage().contains("2 channels") && e.getMessage().contains("[3, 7, 7]"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> AmplitudeTransfer.transfer(img, 3, 32, 32, new float[3][6][6], 1.0));
        assertTrue(e.getMessage().contains("odd side"), e.getMessage());

        float[][][] ragged = copy(good);
        ragged[1][2] = new float[5];
        e = assertThrows(IllegalArgumentException.class, () -> AmplitudeTransfer.transfer(img, 3, 32, 32, ragged, 1.0));
        assertTrue(e.getMessage().contains("channel 1 row 2 has 5 columns"), e.getMessage());

        float[][][] nan = copy(good);
        nan[2][3][4] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> AmplitudeTransfer.transfer(img, 3, 32, 32, nan, 1.0));
        assertTrue(e.getMessage().contains("NaN at [2][3][4]"), e.getMessage());

        float[][][] inf = copy(good);
        inf[0][0][0] = Float.POSITIVE_INFINITY;
        e = assertThrows(IllegalArgumentException.class, () -> AmplitudeTransfer.transfer(img, 3, 32, 32, inf, 1.0));
        assertTrue(e.getMessage().contains("Infinity at [0][0][0]"), e.getMessage());

        float[][][] negative = copy(good);
        negative[0][1][1] = -1f;
        assertThrows(IllegalArgumentException.class, () -> AmplitudeTransfer.transfer(img, 3, 32, 32, negative, 1.0));

        e = assertThrows(IllegalArgumentException.class,
                () -> AmplitudeTransfer.transfer(img, 3, 32, 32, new float[3][33][33], 1.0));
        assertTrue(e.getMessage().contains("does not fit"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> AmplitudeTransfer.transfer(img, 3, 32, 32, good, 1.5));
        assertEquals("style.lambda must be in [0, 1], got 1.5", e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> AmplitudeTransfer.transfer(img, 3, 32, 31, good, 1.0));
        assertTrue(e.getMessage().contains("expected 3x32x31"), e.getMessage());
    }

    @Test
    void fundusSizedImageTransfers() {
        // (its time is a figure of `resfim bench core`, not a test)
        int h = 584;
        int w = 565;
        float[] img = SpectralFixtures.image(3, h, w, 9, 0.5, 1.0);
        float[][][] t = AmplitudeTransfer.window(SpectralFixtures.image(3, h, w, 10, 0.4, 1.5), 3, h, w, 0.03);
        assertEquals(33, t[0].length);
        float[] out = AmplitudeTransfer.transfer(img, 3, h, w, t, 1.0);
        assertEquals(img.length, out.length);
        // λ = 0 keeps the image: the odd-sized window and its mirror give back a real image, exactly the input
        float[] same = AmplitudeTransfer.transfer(img, 3, h, w, t, 0.0);
        for (int i = 0; i < img.length; i += 997) {
            assertEquals(img[i], same[i], 1e-4, "pixel " + i);
        }
    }

    private static float[][][] copy(float[][][] w) {
        float[][][] c = new float[w.length][][];
        for (int i = 0; i < w.length; i++) {
            c[i] = new float[w[i].length][];
            for (int j = 0; j < w[i].length; j++) {
                c[i][j] = w[i][j].clone();
            }
        }
        return c;
    }
}
