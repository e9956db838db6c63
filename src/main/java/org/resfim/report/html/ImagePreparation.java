package org.resfim.report.html;

import org.resfim.report.*;

import org.resfim.data.Preprocessing;
import org.resfim.data.RawImage;

import java.util.Arrays;

/**
 * What {@code predict} does to an image file around the network: the training preprocessing of the data
 * layer (centre crop, intensity to [0,1], channel conversion, resize to the training resolution, in that
 * order and with the same arithmetic as {@code org.resfim.data.Preprocessing}), and back: a mask at the
 * training resolution resized (nearest) to the crop and placed into an image of the original size.
 */
public final class ImagePreparation {
    private ImagePreparation() {
    }

    /** The network input (C×H×W at the training resolution) and where it came from in the original image. */
    public record Prepared(float[] input, int channels, int height, int width, int originalHeight, int originalWidth,
                           int cropY, int cropX, int cropHeight, int cropWidth) {
    }

    public static Prepared prepare(RawImage img, Preprocessing p) {
        int c = img.channels();
        int h = img.height();
        int w = img.width();
        float[] data = img.data().clone();
        int ch = h;
        int cw = w;
        if (p.crop() == Preprocessing.Crop.SQUARE) {
            ch = cw = Math.min(h, w);
        } else if (p.crop() == Preprocessing.Crop.SIZE) {
            ch = Math.min(h, p.cropHeight());
            cw = Math.min(w, p.cropWidth());
        }
        int y0 = (h - ch) / 2;
        int x0 = (w - cw) / 2;
        if (ch != h || cw != w) {
            data = crop(data, c, h, w, y0, x0, ch, cw);
        }
        intensity(data, img.maxValue(), p);
        if (c != p.channels()) {
            data = convertChannels(data, c, p.channels(), ch * cw);
            c = p.channels();
        }
        if (ch != p.height() || cw != p.width()) {
            data = p.interpolation() == Preprocessing.Interpolation.BILINEAR
                    ? resizeBilinear(data, c, ch, cw, p.height(), p.width())
                    : resizeNearest(data, c, ch, cw, p.height(), p.width());
        }
        clamp01(data);
        return new Prepared(data, c, p.height(), p.width(), h, w, y0, x0, ch, cw);
    }

    /** A mask at the training resolution back at the original size: resized (nearest) into the crop, background outside. */
    public static boolean[] restore(boolean[] mask, Prepared p) {
        float[] m = new float[mask.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = mask[i] ? 1f : 0f;
        }
        float[] crop = resizeNearest(m, 1, p.height(), p.width(), p.cropHeight(), p.cropWidth());
        boolean[] out = new boolean[p.originalHeight() * p.originalWidth()];
        for (int y = 0; y < p.cropHeight(); y++) {
            for (int x = 0; x < p.cropWidth(); x++) {
                out[(y + p.cropY()) * p.originalWidth() + x + p.cropX()] = crop[y * p.cropWidth() + x] > 0.5f;
            }
        }
        return out;
    }

    /** The whole original image with the training intensity rule applied (values in [0,1]), for overlays. */
    public static float[] display(RawImage img, Preprocessing p) {
        float[] data = img.data().clone();
        intensity(data, img.maxValue(), p);
        clamp01(data);
        return data;
    }

    // ------------------------------------------------------------------ pixel operations (as the data layer's)

    private static void intensity(float[] data, float maxValue, Preprocessing p) {
        switch (p.intensity()) {
            case SCALE -> {
                float f = 1f / maxValue;
                for (int i = 0; i < data.length; i++) {
                    data[i] *= f;
                }
            }
            case MINMAX -> stretch(data, 0, 100);
            default -> stretch(data, p.lowPercentile(), p.highPercentile());
        }
    }

    static float[] crop(float[] src, int c, int h, int w, int y0, int x0, int ch, int cw) {
        float[] out = new float[c * ch * cw];
        for (int k = 0; k < c; k++) {
            for (int y = 0; y < ch; y++) {
                System.arraycopy(src, (k * h + y + y0) * w + x0, out, (k * ch + y) * cw, cw);
            }
        }
        return out;
    }

    static void clamp01(float[] data) {
        for (int i = 0; i < data.length; i++) {
            float v = data[i];
            data[i] = v < 0f ? 0f : (v > 1f ? 1f : v);
        }
    }

    static void stretch(float[] data, double lowPct, double highPct) {
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
            int stride = Math.max(1, data.length / 1_000_000);
            float[] s = new float[(data.length + stride - 1) / stride];
            for (int i = 0, j = 0; i < data.length; i += stride) {
                s[j++] = data[i];
            }
            Arrays.sort(s);
            lo = at(s, lowPct);
            hi = at(s, highPct);
        }
        float range = hi - lo;
        for (int i = 0; i < data.length; i++) {
            data[i] = range > 0 ? Math.min(1f, Math.max(0f, (data[i] - lo) / range)) : 0f;
        }
    }

    private static float at(float[] sorted, double pct) {
        double pos = pct / 100.0 * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(sorted.length - 1, i + 1);
        double f = pos - i;
        return (float) (sorted[i] * (1 - f) + sorted[j] * f);
    }

    static float[] convertChannels(float[] data, int from, int to, int plane) {
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

    /** Nearest-neighbour resize with pixel centres (PyTorch's {@code nearest-exact}). */
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

    /** Bilinear resize with half-pixel centres, the triangle widened by the scale when shrinking (antialiasing). */
    static float[] resizeBilinear(float[] src, int c, int h, int w, int nh, int nw) {
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

    private record Filter(int taps, int[] start, int[] count, float[] weight) {
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
                double sum = 0;
                double[] ws = new double[hi - lo];
                for (int j = lo; j < hi; j++) {
                    double x = (j + 0.5 - center) / support;
                    double wgt = Math.max(0.0, 1.0 - Math.abs(x));
                    ws[j - lo] = wgt;
                    sum += wgt;
                }
                int a = 0;
                int b = ws.length;
                while (a < b && ws[a] == 0) {
                    a++;
                }
                while (b > a && ws[b - 1] == 0) {
                    b--;
                }
                if (a == b) {
                    a = 0;
                    b = 1;
                    ws[0] = 1;
                    sum = 1;
                }
                start[i] = lo + a;
                int n = 0;
                for (int j = a; j < b; j++) {
                    weight[i * taps + n++] = (float) (ws[j] / sum);
                }
                count[i] = n;
            }
            return new Filter(taps, start, count, weight);
        }
    }
}
