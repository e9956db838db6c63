package org.resfim.data;

import java.util.Arrays;

/** Pixel operations on row-major C×H×W float arrays. */
public final class ImageOps {
    private ImageOps() {
    }

    public static float[] crop(float[] src, int c, int h, int w, int y0, int x0, int ch, int cw) {
        float[] out = new float[c * ch * cw];
        for (int k = 0; k < c; k++) {
            for (int y = 0; y < ch; y++) {
                System.arraycopy(src, (k * h + y + y0) * w + x0, out, (k * ch + y) * cw, cw);
            }
        }
        return out;
    }

    public static void scale(float[] data, float factor) {
        for (int i = 0; i < data.length; i++) {
            data[i] *= factor;
        }
    }

    public static void clamp01(float[] data) {
        for (int i = 0; i < data.length; i++) {
            float v = data[i];
            data[i] = v < 0f ? 0f : (v > 1f ? 1f : v);
        }
    }

    /** Maps the [low, high] percentiles of all values to [0,1], clipping outside. A constant image becomes 0. */
    public static void stretch(float[] data, double lowPct, double highPct) {
        float lo;
        float hi;
        if (lowPct <= 0 && highPct >= 100) {
            lo = Float.POSITIVE_INFINITY;
            hi = Float.NEGATIVE_INFINITY;
            for (float v : data) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        } else {
            float[] p = percentiles(data, lowPct, highPct);
            lo = p[0];
            hi = p[1];
        }
        float range = hi - lo;
        for (int i = 0; i < data.length; i++) {
            data[i] = range > 0 ? Math.min(1f, Math.max(0f, (data[i] - lo) / range)) : 0f;
        }
    }

    /** The two percentiles (0–100) of the values, estimated on at most about a million of them. */
    static float[] percentiles(float[] data, double lowPct, double highPct) {
        int stride = Math.max(1, data.length / 1_000_000);
        float[] s = new float[(data.length + stride - 1) / stride];
        for (int i = 0, j = 0; i < data.length; i += stride) {
            s[j++] = data[i];
        }
        Arrays.sort(s);
        return new float[] {at(s, lowPct), at(s, highPct)};
    }

    private static float at(float[] sorted, double pct) {
        double pos = pct / 100.0 * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(sorted.length - 1, i + 1);
        double f = pos - i;
        return (float) (sorted[i] * (1 - f) + sorted[j] * f);
    }

    /** Grey → 3 channels by replication; 3 → 1 by ITU-R BT.601 luminance. */
    public static float[] convertChannels(float[] data, int from, int to, int plane) {
        if (from == to) {
            return data;
        }
        float[] out = new float[to * plane];
        if (from == 1) {
            for (int k = 0; k < to; k++) {
                System.arraycopy(data, 0, out, k * plane, plane);
            }
        } else if (to == 1 && from >= 3) {
            for (int i = 0; i < plane; i++) {
                out[i] = 0.299f * data[i] + 0.587f * data[plane + i] + 0.114f * data[2 * plane + i];
            }
        } else {
            throw new IllegalArgumentException("cannot convert " + from + " channels to " + to);
        }
        return out;
    }

    /** Nearest-neighbour resize (pixel centres, as PyTorch's {@code nearest-exact}). */
    public static float[] resizeNearest(float[] src, int c, int h, int w, int nh, int nw) {
        int[] xs = new int[nw];
        for (int x = 0; x < nw; x++) {
            xs[x] = Math.min(w - 1, (int) Math.floor((x + 0.5) * w / nw));
        }
        float[] out = new float[c * nh * nw];
        for (int k = 0; k < c; k++) {
            for (int y = 0; y < nh; y++) {
                int sy = Math.min(h - 1, (int) Math.floor((y + 0.5) * h / nh));
                int srow = (k * h + sy) * w;
                int drow = (k * nh + y) * nw;
                for (int x = 0; x < nw; x++) {
                    out[drow + x] = src[srow + xs[x]];
                }
            }
        }
        return out;
    }

    /**
     * Bilinear resize with half-pixel centres; when shrinking, the triangle filter is widened by the scale
     * factor (antialiasing, as PIL's BILINEAR and torchvision's {@code antialias=True}).
     */
    public static float[] resizeBilinear(float[] src, int c, int h, int w, int nh, int nw) {
        Filter fx = Filter.triangle(w, nw);
        Filter fy = Filter.triangle(h, nh);
        float[] tmp = new float[c * h * nw];
        for (int k = 0; k < c; k++) {
            for (int y = 0; y < h; y++) {
                int srow = (k * h + y) * w;
                int drow = (k * h + y) * nw;
                for (int x = 0; x < nw; x++) {
                    int s = fx.start[x];
                    int base = x * fx.taps;
                    float acc = 0f;
                    for (int t = 0; t < fx.count[x]; t++) {
                        acc += fx.weight[base + t] * src[srow + s + t];
                    }
                    tmp[drow + x] = acc;
                }
            }
        }
        float[] out = new float[c * nh * nw];
        for (int k = 0; k < c; k++) {
            for (int y = 0; y < nh; y++) {
                int s = fy.start[y];
                int base = y * fy.taps;
                int drow = (k * nh + y) * nw;
                for (int t = 0; t < fy.count[y]; t++) {
                    float wt = fy.weight[base + t];
                    int srow = (k * h + s + t) * nw;
                    for (int x = 0; x < nw; x++) {
                        out[drow + x] += wt * tmp[srow + x];
                    }
                }
            }
        }
        return out;
    }

    /** Separable Gaussian blur of each channel, edges clamped. */
    static void gaussianBlur(float[] data, int c, int h, int w, double sigma) {
        if (sigma <= 0.05) {
            return;
        }
        int r = (int) Math.ceil(3 * sigma);
        float[] k = new float[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) {
            k[i + r] = (float) Math.exp(-i * i / (2 * sigma * sigma));
            sum += k[i + r];
        }
        for (int i = 0; i < k.length; i++) {
            k[i] /= (float) sum;
        }
        float[] line = new float[Math.max(h, w)];
        for (int ch = 0; ch < c; ch++) {
            int off = ch * h * w;
            for (int y = 0; y < h; y++) {
                int row = off + y * w;
                System.arraycopy(data, row, line, 0, w);
                for (int x = 0; x < w; x++) {
                    float acc = 0f;
                    for (int t = -r; t <= r; t++) {
                        int xx = x + t;
                        xx = xx < 0 ? 0 : (xx >= w ? w - 1 : xx);
                        acc += k[t + r] * line[xx];
                    }
                    data[row + x] = acc;
                }
            }
            for (int x = 0; x < w; x++) {
                for (int y = 0; y < h; y++) {
                    line[y] = data[off + y * w + x];
                }
                for (int y = 0; y < h; y++) {
                    float acc = 0f;
                    for (int t = -r; t <= r; t++) {
                        int yy = y + t;
                        yy = yy < 0 ? 0 : (yy >= h ? h - 1 : yy);
                        acc += k[t + r] * line[yy];
                    }
                    data[off + y * w + x] = acc;
                }
            }
        }
    }

    /** Precomputed 1-D resampling weights. */
    private static final class Filter {
        final int taps;
        final int[] start;
        final int[] count;
        final float[] weight;

        private Filter(int taps, int[] start, int[] count, float[] weight) {
            this.taps = taps;
            this.start = start;
            this.count = count;
            this.weight = weight;
        }

        static Filter triangle(int in, int out) {
            double scale = in / (double) out;
            double support = Math.max(1.0, scale);
            int taps = (int) Math.ceil(support) * 2 + 1;
            int[] start = new int[out];
            int[] count = new int[out];
            float[] weight = new float[out * taps];
            for (int i = 0; i < out; i++) {
                double center = (i + 0.5) * scale;
                int lo = Math.max(0, (int) Math.floor(center - support));
                int hi = Math.min(in, (int) Math.ceil(center + support));
                int n = 0;
                double sum = 0;
                double[] ws = new double[hi - lo];
                for (int j = lo; j < hi; j++) {
                    double x = (j + 0.5 - center) / support;
                    double wgt = Math.max(0.0, 1.0 - Math.abs(x));
                    ws[j - lo] = wgt;
                    sum += wgt;
                }
                // trim zero weights at both ends
                int a = 0;
                int b = ws.length;
                while (a < b && ws[a] == 0) {
                    a++;
                }
                while (b > a && ws[b - 1] == 0) {
                    b--;
                }
                if (a == b) { // cannot happen for in >= 1, but keep a valid filter
                    a = 0;
                    b = 1;
                    ws[0] = 1;
                    sum = 1;
                }
                start[i] = lo + a;
                for (int j = a; j < b; j++) {
                    weight[i * taps + n++] = (float) (ws[j] / sum);
                }
                count[i] = n;
            }
            return new Filter(taps, start, count, weight);
        }
    }
}
