package org.resfim.spectral;

import java.util.concurrent.ConcurrentHashMap;

/**
 * A cached plan for the unscaled 1-D forward DFT {@code X[k] = Σ_j x[j] e^{−2πi jk/n}} of one length:
 * iterative radix-2 when {@code n} is a power of two, Bluestein's chirp-z algorithm (a radix-2 convolution of
 * length ≥ 2n−1) otherwise. Plans are immutable and shared between threads; scratch space is per call.
 */
final class Fft1 {
    private static final ConcurrentHashMap<Integer, Fft1> PLANS = new ConcurrentHashMap<>();

    private final int n;
    // radix-2 (n a power of two)
    private final int[] reverse;
    private final double[] cos;
    private final double[] sin;
    // Bluestein (otherwise)
    private final Fft1 inner;
    private final double[] chirpRe;
    private final double[] chirpIm;
    private final double[] kernelRe;
    private final double[] kernelIm;

    /** The plan for length {@code n} (≥ 1), built once and cached. */
    static Fft1 plan(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("FFT length must be >= 1, got " + n);
        }
        Fft1 p = PLANS.get(n);
        if (p == null) {                                   // not computeIfAbsent: a Bluestein plan builds an inner plan
            Fft1 fresh = new Fft1(n);
            p = PLANS.putIfAbsent(n, fresh);
            p = p == null ? fresh : p;
        }
        return p;
    }

    private Fft1(int n) {
        this.n = n;
        if (Integer.bitCount(n) == 1) {
            int bits = Integer.numberOfTrailingZeros(n);
            reverse = new int[n];
            for (int i = 0; i < n; i++) {
                reverse[i] = bits == 0 ? 0 : Integer.reverse(i) >>> (32 - bits);
            }
            cos = new double[n / 2];
            sin = new double[n / 2];
            for (int i = 0; i < n / 2; i++) {
                double a = 2 * Math.PI * i / n;
                cos[i] = Math.cos(a);
                sin[i] = Math.sin(a);
            }
            inner = null;
            chirpRe = chirpIm = kernelRe = kernelIm = null;
        } else {
            reverse = null;
            cos = sin = null;
            int m = Integer.highestOneBit(2 * n - 1) << 1;      // smallest power of two >= 2n−1 (2n−1 is odd)
            inner = plan(m);
            chirpRe = new double[n];
            chirpIm = new double[n];
            long twoN = 2L * n;
            for (int k = 0; k < n; k++) {
                double a = Math.PI * (((long) k * k) % twoN) / n;   // k² mod 2n keeps the angle exact
                chirpRe[k] = Math.cos(a);
                chirpIm[k] = -Math.sin(a);                         // w_k = e^{−iπk²/n}
            }
            kernelRe = new double[m];
            kernelIm = new double[m];
            for (int k = 0; k < n; k++) {                          // b_k = conj(w_k), wrapped for negative k
                kernelRe[k] = chirpRe[k];
                kernelIm[k] = -chirpIm[k];
                if (k > 0) {
                    kernelRe[m - k] = chirpRe[k];
                    kernelIm[m - k] = -chirpIm[k];
                }
            }
            inner.forward(kernelRe, kernelIm, null);
        }
    }

    int length() {
        return n;
    }

    /** Scratch space for {@link #forward}: two arrays of the convolution length (none for radix-2). */
    double[][] newScratch() {
        return inner == null ? null : new double[][] {new double[inner.n], new double[inner.n]};
    }

    /**
     * In-place unscaled forward DFT of {@code re[0..n)}, {@code im[0..n)}.
     *
     * @param scratch from {@link #newScratch()} (reusable across calls of one thread), or null to allocate
     */
    void forward(double[] re, double[] im, double[][] scratch) {
        if (inner == null) {
            radix2(re, im);
        } else {
            bluestein(re, im, scratch == null ? newScratch() : scratch);
        }
    }

    /** In-place unscaled inverse DFT ({@code e^{+2πi jk/n}}), by conjugation around {@link #forward}. */
    void inverse(double[] re, double[] im, double[][] scratch) {
        for (int i = 0; i < n; i++) {
            im[i] = -im[i];
        }
        forward(re, im, scratch);
        for (int i = 0; i < n; i++) {
            im[i] = -im[i];
        }
    }

    private void radix2(double[] re, double[] im) {
        for (int i = 0; i < n; i++) {
            int j = reverse[i];
            if (i < j) {
                double t = re[i];
                re[i] = re[j];
                re[j] = t;
                t = im[i];
                im[i] = im[j];
                im[j] = t;
            }
        }
        for (int size = 2; size <= n; size <<= 1) {
            int half = size >> 1;
            int step = n / size;
            for (int start = 0; start < n; start += size) {
                for (int k = 0, t = 0; k < half; k++, t += step) {
                    double wr = cos[t];
                    double wi = -sin[t];
                    int a = start + k;
                    int b = a + half;
                    double xr = re[b] * wr - im[b] * wi;
                    double xi = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - xr;
                    im[b] = im[a] - xi;
                    re[a] += xr;
                    im[a] += xi;
                }
            }
        }
    }

    private void bluestein(double[] re, double[] im, double[][] scratch) {
        int m = inner.n;
        double[] sr = scratch[0];
        double[] si = scratch[1];
        for (int k = 0; k < n; k++) {                       // a_k = x_k · w_k, zero-padded to m
            sr[k] = re[k] * chirpRe[k] - im[k] * chirpIm[k];
            si[k] = re[k] * chirpIm[k] + im[k] * chirpRe[k];
        }
        java.util.Arrays.fill(sr, n, m, 0.0);
        java.util.Arrays.fill(si, n, m, 0.0);
        inner.forward(sr, si, null);
        for (int k = 0; k < m; k++) {                       // circular convolution with b via the spectrum
            double xr = sr[k] * kernelRe[k] - si[k] * kernelIm[k];
            double xi = sr[k] * kernelIm[k] + si[k] * kernelRe[k];
            sr[k] = xr;
            si[k] = xi;
        }
        inner.inverse(sr, si, null);
        double scale = 1.0 / m;
        for (int k = 0; k < n; k++) {                       // X_k = w_k · (a ⊛ b)_k
            double cr = sr[k] * scale;
            double ci = si[k] * scale;
            re[k] = cr * chirpRe[k] - ci * chirpIm[k];
            im[k] = cr * chirpIm[k] + ci * chirpRe[k];
        }
    }
}
