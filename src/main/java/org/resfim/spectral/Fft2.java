package org.resfim.spectral;

/**
 * 2-D discrete Fourier transform of an H×W complex array stored row-major as two {@code double[H·W]} arrays
 * (real and imaginary parts), for any H, W ≥ 1: radix-2 along axes whose length is a power of two, Bluestein
 * otherwise (e.g. 584×565 fundus images). Transforms are in place.
 *
 * <p>Conventions as in NumPy: {@link #forward} is unscaled, {@code F[u,v] = Σ x[y,x] e^{−2πi(uy/H + vx/W)}};
 * {@link #inverse} divides by H·W, so {@code inverse(forward(x)) = x}. {@link #fftshift} moves the zero
 * frequency from index (0,0) to ({@code H/2}, {@code W/2}) (integer division), {@link #ifftshift} undoes it.
 *
 * <p>Thread-safe: plans are cached and immutable, scratch space is per call.
 */
public final class Fft2 {
    private Fft2() {
    }

    /** In-place unscaled forward 2-D DFT. */
    public static void forward(double[] re, double[] im, int height, int width) {
        transform(re, im, height, width, false);
    }

    /** In-place inverse 2-D DFT, scaled by {@code 1/(H·W)}. */
    public static void inverse(double[] re, double[] im, int height, int width) {
        transform(re, im, height, width, true);
        double s = 1.0 / ((double) height * width);
        for (int i = 0; i < re.length; i++) {
            re[i] *= s;
            im[i] *= s;
        }
    }

    /** A copy of {@code a} (H×W row-major) with the zero frequency moved to ({@code H/2}, {@code W/2}). */
    public static double[] fftshift(double[] a, int height, int width) {
        return roll(a, height, width, height / 2, width / 2);
    }

    /** The inverse of {@link #fftshift}: the centre ({@code H/2}, {@code W/2}) moves back to (0,0). */
    public static double[] ifftshift(double[] a, int height, int width) {
        return roll(a, height, width, height - height / 2, width - width / 2);
    }

    private static double[] roll(double[] a, int h, int w, int dy, int dx) {
        check(a.length, h, w, "array");
        double[] out = new double[a.length];
        for (int y = 0; y < h; y++) {
            int ty = (y + dy) % h;
            for (int x = 0; x < w; x++) {
                out[ty * w + (x + dx) % w] = a[y * w + x];
            }
        }
        return out;
    }

    private static void transform(double[] re, double[] im, int h, int w, boolean inverse) {
        check(re.length, h, w, "real part");
        check(im.length, h, w, "imaginary part");
        Fft1 rows = Fft1.plan(w);
        double[][] rowScratch = rows.newScratch();
        double[] br = new double[Math.max(h, w)];
        double[] bi = new double[Math.max(h, w)];
        for (int y = 0; y < h; y++) {
            int off = y * w;
            System.arraycopy(re, off, br, 0, w);
            System.arraycopy(im, off, bi, 0, w);
            run(rows, br, bi, rowScratch, inverse);
            System.arraycopy(br, 0, re, off, w);
            System.arraycopy(bi, 0, im, off, w);
        }
        Fft1 cols = Fft1.plan(h);
        double[][] colScratch = cols.newScratch();
        for (int x = 0; x < w; x++) {
            for (int y = 0; y < h; y++) {
                br[y] = re[y * w + x];
                bi[y] = im[y * w + x];
            }
            run(cols, br, bi, colScratch, inverse);
            for (int y = 0; y < h; y++) {
                re[y * w + x] = br[y];
                im[y * w + x] = bi[y];
            }
        }
    }

    private static void run(Fft1 plan, double[] re, double[] im, double[][] scratch, boolean inverse) {
        if (inverse) {
            plan.inverse(re, im, scratch);
        } else {
            plan.forward(re, im, scratch);
        }
    }

    private static void check(int length, int h, int w, String what) {
        if (h < 1 || w < 1) {
            throw new IllegalArgumentException("FFT size must be at least 1x1, got " + h + "x" + w);
        }
        if ((long) h * w != length) {
            throw new IllegalArgumentException("FFT " + what + " has " + length + " values, expected " + h + "x" + w
                    + " = " + (long) h * w);
        }
    }
}
