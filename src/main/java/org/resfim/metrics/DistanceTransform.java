package org.resfim.metrics;

/**
 * Exact Euclidean distance transform on a 2-D pixel grid (Felzenszwalb &amp; Huttenlocher, "Distance
 * Transforms of Sampled Functions", 2012): two passes of the 1-D lower-envelope-of-parabolas transform,
 * O(width·height). Pixels are unit squares; index {@code y * width + x}.
 */
public final class DistanceTransform {
    private DistanceTransform() {
    }

    /**
     * Squared Euclidean distance from every pixel to the nearest feature pixel ({@code feature[i] == true});
     * {@link Double#POSITIVE_INFINITY} everywhere when there is no feature pixel. Values are exact integers.
     */
    public static double[] squared(boolean[] feature, int width, int height) {
        checkSize(feature.length, width, height);
        int n = Math.max(width, height);
        double[] f = new double[n];
        double[] d = new double[n];
        int[] v = new int[n];
        double[] z = new double[n + 1];
        double[] out = new double[width * height];
        // columns: distance along y to the nearest feature in the same column
        for (int x = 0; x < width; x++) {
            for (int y = 0; y < height; y++) {
                f[y] = feature[y * width + x] ? 0.0 : Double.POSITIVE_INFINITY;
            }
            transform1d(f, height, d, v, z);
            for (int y = 0; y < height; y++) {
                out[y * width + x] = d[y];
            }
        }
        // rows: combine the column distances along x
        for (int y = 0; y < height; y++) {
            System.arraycopy(out, y * width, f, 0, width);
            transform1d(f, width, d, v, z);
            System.arraycopy(d, 0, out, y * width, width);
        }
        return out;
    }

    /** Euclidean distance to the nearest feature pixel (square root of {@link #squared}). */
    public static double[] euclidean(boolean[] feature, int width, int height) {
        double[] d = squared(feature, width, height);
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.sqrt(d[i]);
        }
        return d;
    }

    /**
     * 1-D squared distance transform of the sampled function {@code f[0..n)}: {@code d[q] = min_p (q−p)² + f[p]}.
     * Infinite samples take no part in the lower envelope, so the arithmetic never sees infinity.
     */
    static void transform1d(double[] f, int n, double[] d, int[] v, double[] z) {
        int k = -1;
        for (int q = 0; q < n; q++) {
            if (f[q] == Double.POSITIVE_INFINITY) {
                continue;
            }
            if (k < 0) {
                k = 0;
                v[0] = q;
                z[0] = Double.NEGATIVE_INFINITY;
                z[1] = Double.POSITIVE_INFINITY;
                continue;
            }
            double s = intersection(f, q, v[k]);
            while (s <= z[k]) {
                k--;
                s = intersection(f, q, v[k]);
            }
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = Double.POSITIVE_INFINITY;
        }
        if (k < 0) {
            java.util.Arrays.fill(d, 0, n, Double.POSITIVE_INFINITY);
            return;
        }
        k = 0;
        for (int q = 0; q < n; q++) {
            while (z[k + 1] < q) {
                k++;
            }
            double dq = q - v[k];
            d[q] = dq * dq + f[v[k]];
        }
    }

    private static double intersection(double[] f, int q, int p) {
        return ((f[q] + (double) q * q) - (f[p] + (double) p * p)) / (2.0 * q - 2.0 * p);
    }

    static void checkSize(int length, int width, int height) {
        if (width < 0 || height < 0 || (long) width * height != length) {
            throw new IllegalArgumentException("mask has " + length + " pixels, expected width " + width
                    + " × height " + height + " = " + ((long) width * height));
        }
    }
}
