package org.resfim.spectral;

import java.util.Arrays;

/**
 * Spectral style transfer on float images C×H×W (row-major, values in [0,1]), channel by channel: the amplitude
 * {@code A = |F|} of the 2-D FFT inside a centred low-frequency window is moved towards another site's
 * amplitude while the phase {@code P = arg F} is kept (FDA / FedDG).
 *
 * <h2>The window</h2>
 * On the shifted spectrum ({@link Fft2#fftshift}: zero frequency at {@code cy = H/2}, {@code cx = W/2}, integer
 * division) the window is the square of rows {@code cy−b .. cy+b} and columns {@code cx−b .. cx+b}, both
 * inclusive: {@code S = 2b+1} bins per side, i.e. the frequencies {@code −b..b} in both axes (FedDG's
 * {@code low_freq_mutate}). Window entry {@code [c][i][j]} is the amplitude at frequency
 * {@code (i−b, j−b)}. The half-size is {@code b = max(1, floor(β·min(H,W)))}, see {@link #halfSize}.
 *
 * <p>Why {@code 2b+1} and not {@code 2b}: the spectrum of a real image is Hermitian,
 * {@code F(−u,−v) = conj F(u,v)}. A window symmetric about the zero frequency contains both members of every
 * conjugate pair, so changing amplitudes inside it keeps the spectrum Hermitian and the rebuilt image real:
 * the window then really carries the new amplitudes and nothing outside it changes. A {@code 2b} window
 * (rows {@code cy−b..cy+b−1}) holds frequency {@code −b} but not {@code +b}; taking the real part would
 * average the edge bins with their partners outside the window.
 *
 * <h2>The transfer</h2>
 * Inside the window {@code A' = (1−λ)·A + λ·Â_t}, where {@code Â_t[i][j] = (A_t[i][j] + A_t[S−1−i][S−1−j]) / 2}
 * is the target made Hermitian-symmetric (identical to {@code A_t} for a window measured on a real image or a
 * mean of such windows; it matters only for noised windows). The phase is kept ({@code F' = F·A'/A}; where
 * {@code A = 0} the phase is taken as 0). Then inverse FFT, real part, clip to [0,1].
 */
public final class AmplitudeTransfer {
    private AmplitudeTransfer() {
    }

    /**
     * The window half-size {@code b = max(1, floor(β·min(H,W)))} for an H×W image, capped at
     * {@code (min(H,W)−1)/2} so that the {@code 2b+1} window fits (only matters for β near 0.5). The floor
     * ignores rounding noise below 1e-9 (β = 0.29, min = 100 gives 29).
     *
     * @throws IllegalArgumentException if β is not in (0, 0.5] or the image is smaller than 3×3
     */
    public static int halfSize(int height, int width, double beta) {
        if (!(beta > 0 && beta <= 0.5)) {
            throw new IllegalArgumentException("style.beta must be in (0, 0.5], got " + beta);
        }
        int min = Math.min(height, width);
        if (min < 3) {
            throw new IllegalArgumentException("image " + height + "x" + width
                    + " is too small for an amplitude window (needs at least 3x3)");
        }
        int b = Math.max(1, (int) Math.floor(beta * min + 1e-9));
        return Math.min(b, (min - 1) / 2);
    }

    /** Bins per side of the window of half-size {@code b}: {@code 2b+1}. */
    public static int windowSide(int b) {
        return 2 * b + 1;
    }

    /** The amplitude window [C][2b+1][2b+1] of {@code image} with b from {@link #halfSize}. */
    public static float[][][] window(float[] image, int channels, int height, int width, double beta) {
        return window(image, channels, height, width, halfSize(height, width, beta));
    }

    /** The amplitude window [C][2b+1][2b+1] of {@code image} for a given half-size {@code b}. */
    public static float[][][] window(float[] image, int channels, int height, int width, int b) {
        checkImage(image, channels, height, width);
        checkHalfSize(b, height, width);
        int s = windowSide(b);
        int hw = height * width;
        float[][][] out = new float[channels][s][s];
        double[] re = new double[hw];
        double[] im = new double[hw];
        for (int c = 0; c < channels; c++) {
            spectrum(image, c, hw, re, im, height, width);
            for (int i = 0; i < s; i++) {
                int row = Math.floorMod(i - b, height) * width;
                for (int j = 0; j < s; j++) {
                    int k = row + Math.floorMod(j - b, width);
                    out[c][i][j] = (float) Math.hypot(re[k], im[k]);
                }
            }
        }
        return out;
    }

    /**
     * {@code image} re-rendered with the window amplitude moved a fraction λ towards {@code target}
     * (see the class comment), clipped to [0,1]. λ = 0 returns the image unchanged (up to FFT round-off).
     *
     * @param target amplitude window [C][S][S], S odd and at most {@code min(H,W)}; finite and ≥ 0
     * @param lambda in [0, 1]
     * @return a new C×H×W array
     */
    public static float[] transfer(float[] image, int channels, int height, int width, float[][][] target, double lambda) {
        float[] out = transferUnclipped(image, channels, height, width, target, lambda);
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.min(1f, Math.max(0f, out[i]));
        }
        return out;
    }

    /** {@link #transfer} without the final clip to [0,1]: the exact real image of the edited spectrum. */
    public static float[] transferUnclipped(float[] image, int channels, int height, int width, float[][][] target,
                                            double lambda) {
        checkImage(image, channels, height, width);
        if (!(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException("style.lambda must be in [0, 1], got " + lambda);
        }
        int b = halfSizeOf(target, channels, "target window");
        checkHalfSize(b, height, width);
        checkWindow(target, channels, b, "target window");
        int s = windowSide(b);
        int hw = height * width;
        float[] out = new float[image.length];
        double[] re = new double[hw];
        double[] im = new double[hw];
        for (int c = 0; c < channels; c++) {
            spectrum(image, c, hw, re, im, height, width);
            for (int i = 0; i < s; i++) {
                int row = Math.floorMod(i - b, height) * width;
                for (int j = 0; j < s; j++) {
                    int k = row + Math.floorMod(j - b, width);
                    double a = Math.hypot(re[k], im[k]);
                    double t = 0.5 * ((double) target[c][i][j] + target[c][s - 1 - i][s - 1 - j]);
                    double mixed = (1 - lambda) * a + lambda * t;
                    if (a > 0) {
                        double scale = mixed / a;
                        re[k] *= scale;
                        im[k] *= scale;
                    } else {
                        re[k] = mixed;
                        im[k] = 0;
                    }
                }
            }
            Fft2.inverse(re, im, height, width);
            for (int k = 0; k < hw; k++) {
                out[c * hw + k] = (float) re[k];
            }
        }
        return out;
    }

    /**
     * Checks an amplitude window: {@code channels} channels, each {@code (2b+1)×(2b+1)}, every value finite and
     * ≥ 0.
     *
     * @param what names the window in the message (e.g. "style bank site 'HRF' window 2")
     * @throws IllegalArgumentException saying what is wrong and where
     */
    public static void checkWindow(float[][][] window, int channels, int b, String what) {
        int s = windowSide(b);
        String expected = "[" + channels + ", " + s + ", " + s + "]";
        if (window == null) {
            throw new IllegalArgumentException(what + " is missing; expected an amplitude window " + expected);
        }
        if (window.length != channels) {
            throw new IllegalArgumentException(what + " has " + window.length + " channels, expected shape " + expected);
        }
        for (int c = 0; c < channels; c++) {
            if (window[c] == null || window[c].length != s) {
                throw new IllegalArgumentException(what + " channel " + c + " has "
                        + (window[c] == null ? "no" : String.valueOf(window[c].length)) + " rows, expected shape " + expected);
            }
            for (int i = 0; i < s; i++) {
                float[] row = window[c][i];
                if (row == null || row.length != s) {
                    throw new IllegalArgumentException(what + " channel " + c + " row " + i + " has "
                            + (row == null ? "no" : String.valueOf(row.length)) + " columns, expected shape " + expected);
                }
                for (int j = 0; j < s; j++) {
                    if (!Float.isFinite(row[j]) || row[j] < 0) {
                        throw new IllegalArgumentException(what + " holds " + row[j] + " at [" + c + "][" + i + "][" + j
                                + "]; amplitudes must be finite and >= 0");
                    }
                }
            }
        }
    }

    /** The half-size b of a window whose side is {@code 2b+1}, checking channel count and squareness. */
    private static int halfSizeOf(float[][][] window, int channels, String what) {
        if (window == null || window.length == 0 || window[0] == null) {
            throw new IllegalArgumentException(what + " is empty; expected " + channels + " channels of (2b+1)x(2b+1)");
        }
        int s = window[0].length;
        if (s < 3 || s % 2 == 0) {
            throw new IllegalArgumentException(what + " has " + s + " rows; a window has an odd side 2b+1 >= 3");
        }
        return (s - 1) / 2;
    }

    private static void checkHalfSize(int b, int height, int width) {
        if (b < 1 || windowSide(b) > Math.min(height, width)) {
            throw new IllegalArgumentException("window half-size " + b + " (side " + windowSide(b)
                    + ") does not fit an image of " + height + "x" + width);
        }
    }

    private static void checkImage(float[] image, int channels, int height, int width) {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("bad image shape " + channels + "x" + height + "x" + width);
        }
        if (image == null || image.length != (long) channels * height * width) {
            throw new IllegalArgumentException("image has " + (image == null ? "no" : String.valueOf(image.length))
                    + " values, expected " + channels + "x" + height + "x" + width);
        }
    }

    /** FFT of channel {@code c} into {@code re}, {@code im}. */
    private static void spectrum(float[] image, int c, int hw, double[] re, double[] im, int height, int width) {
        for (int k = 0; k < hw; k++) {
            re[k] = image[c * hw + k];
        }
        Arrays.fill(im, 0.0);
        Fft2.forward(re, im, height, width);
    }
}
