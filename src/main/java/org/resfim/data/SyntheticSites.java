package org.resfim.data;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The built-in synthetic federation: K sites of fundus-like images with branching vessel-like structures, each
 * site rendered through its own "scanner" — colour transfer, gamma, low-frequency illumination field, blur and
 * noise — and with a modest label shift (vessel width and branching density). Deterministic for a seed, any
 * size (parameters scale with the image size). No files are read or written.
 */
public final class SyntheticSites {
    /**
     * A site's appearance and label habits.
     *
     * @param gain          per-channel colour gain (R, G, B)
     * @param offset        per-channel colour offset
     * @param gamma         gamma applied after the colour transfer
     * @param illumAngle    direction of the illumination gradient (radians)
     * @param illumStrength strength of the gradient (0 = flat)
     * @param vignette      radial fall-off of the illumination
     * @param blurSigma     Gaussian blur, in pixels at 128×128
     * @param noiseSigma    additive Gaussian noise
     * @param vesselWidth   vessel width factor (label shift)
     * @param branching     branching density factor (label shift)
     * @param fovRadius     field-of-view radius as a fraction of the image size
     */
    public record Style(float[] gain, float[] offset, double gamma, double illumAngle, double illumStrength,
                        double vignette, double blurSigma, double noiseSigma, double vesselWidth, double branching,
                        double fovRadius) {
    }

    // gains R,G,B | offsets R,G,B | gamma | angle | strength | vignette | blur | noise | width | branching | fov
    private static final double[][] PRESETS = {
        {1.00, 0.95, 0.90, 0.02, 0.00, 0.00, 1.00, 0.0, 0.20, 0.30, 0.5, 0.010, 1.00, 1.00, 0.47},
        {1.15, 0.68, 0.55, 0.00, 0.00, 0.02, 1.35, 2.1, 0.35, 0.45, 0.9, 0.020, 1.25, 0.80, 0.49},
        {0.85, 1.08, 0.75, 0.08, 0.06, 0.00, 0.80, 4.0, 0.15, 0.20, 0.3, 0.030, 0.85, 1.25, 0.45},
        {0.72, 0.85, 1.30, 0.10, 0.08, 0.12, 1.10, 5.5, 0.45, 0.35, 1.2, 0.015, 1.10, 1.00, 0.48},
        {1.05, 0.80, 0.65, 0.00, 0.03, 0.05, 1.60, 1.0, 0.25, 0.55, 0.7, 0.025, 0.95, 1.15, 0.46},
        {0.90, 0.90, 1.00, 0.05, 0.02, 0.02, 0.70, 3.0, 0.30, 0.25, 0.4, 0.035, 1.15, 0.90, 0.50},
    };

    private static final int GAMMA_STEPS = 4096;

    private SyntheticSites() {
    }

    /** {@code numSites} sites of {@code samplesPerSite} images of {@code size}×{@code size}, split 70/10/20 by image. */
    public static List<SiteDataset> generate(int numSites, int samplesPerSite, int size, long seed) {
        return generate(numSites, samplesPerSite, size, seed, seed, SplitRatios.DEFAULT);
    }

    /**
     * As {@link #generate(int, int, int, long)}, with the images drawn from {@code dataSeed} and the split from
     * {@code splitSeed}.
     */
    public static List<SiteDataset> generate(int numSites, int samplesPerSite, int size, long dataSeed, long splitSeed,
                                             SplitRatios ratios) {
        if (numSites < 1 || samplesPerSite < 1 || size < 8) {
            throw new IllegalArgumentException("synthetic sites need numSites >= 1, samplesPerSite >= 1, size >= 8; got "
                    + numSites + ", " + samplesPerSite + ", " + size);
        }
        List<SiteDataset> out = new ArrayList<>();
        for (int k = 0; k < numSites; k++) {
            String name = "synthetic-" + (k + 1);
            Style style = style(k, dataSeed);
            final int site = k;
            // each image has its own generator, so rendering in parallel gives the same images in any order
            List<Sample> samples = IntStream.range(0, samplesPerSite).parallel()
                    .mapToObj(i -> render(name, site, i, size, dataSeed, style))
                    .collect(Collectors.toList());
            List<Splitter.Item> items = new ArrayList<>();
            for (Sample s : samples) {
                items.add(new Splitter.Item(s.id(), s.patientId(), null));
            }
            Map<String, Split> assignment = Splitter.assign(items, ratios, splitSeed, name);
            Map<Split, List<Sample>> parts = new EnumMap<>(Split.class);
            for (Split s : Split.values()) {
                parts.put(s, new ArrayList<>());
            }
            List<SplitManifest.Entry> entries = new ArrayList<>();
            for (Sample s : samples) {
                Split sp = assignment.get(s.id());
                parts.get(sp).add(s);
                entries.add(new SplitManifest.Entry(s.id(), s.patientId(), sp, s.sourcePath(), null, null, null, null,
                        null, size, size, 3, 1, List.of(0, 1)));
            }
            SplitManifest manifest = new SplitManifest(name, "synthetic:seed=" + dataSeed + ",size=" + size, splitSeed,
                    ratios, entries);
            out.add(new SiteDataset(name, parts.get(Split.TRAIN), parts.get(Split.VAL), parts.get(Split.TEST),
                    manifest));
        }
        return out;
    }

    /** The appearance of site {@code k} (0-based) for a seed. */
    public static Style style(int k, long seed) {
        double[] p = PRESETS[k % PRESETS.length].clone();
        Random r = new Random(Splitter.mix(seed, "synthetic-style-" + k));
        double j = k < PRESETS.length ? 0.04 : 0.15; // sites beyond the presets vary more around them
        for (int i = 0; i < 6; i++) {
            p[i] = Math.max(0, p[i] * (1 + j * (2 * r.nextDouble() - 1)) + (i >= 3 ? 0.02 * j * r.nextGaussian() : 0));
        }
        p[6] *= 1 + j * (2 * r.nextDouble() - 1);
        p[7] += 0.3 * (2 * r.nextDouble() - 1) + (k >= PRESETS.length ? 1.0 * (k / PRESETS.length) : 0);
        p[8] *= 1 + j * (2 * r.nextDouble() - 1);
        p[11] *= 1 + j * (2 * r.nextDouble() - 1);
        p[12] *= 1 + 0.5 * j * (2 * r.nextDouble() - 1);
        p[13] *= 1 + 0.5 * j * (2 * r.nextDouble() - 1);
        return new Style(new float[] {(float) p[0], (float) p[1], (float) p[2]},
                new float[] {(float) p[3], (float) p[4], (float) p[5]}, p[6], p[7], p[8], p[9], p[10], p[11], p[12],
                p[13], p[14]);
    }

    private static Sample render(String site, int k, int index, int size, long seed, Style st) {
        Random rng = new Random(Splitter.mix(seed * 1_000_003L + k, "synthetic-image-" + index));
        int n = size;
        int plane = n * n;
        double s = n / 128.0;
        double cx = (n - 1) / 2.0 + rng.nextGaussian() * 0.01 * n;
        double cy = (n - 1) / 2.0 + rng.nextGaussian() * 0.01 * n;
        double fovR = st.fovRadius() * n;

        // vessels: label mask and darkness
        float[] mask = new float[plane];
        int side = rng.nextBoolean() ? 1 : -1; // left or right eye
        double dx = cx + side * 0.27 * n;
        double dy = cy + rng.nextGaussian() * 0.03 * n;
        double mx = cx - side * 0.04 * n;
        double my = cy + rng.nextGaussian() * 0.02 * n;
        drawVessels(mask, n, dx, dy, mx, my, cx, cy, fovR, st, rng);

        // background radiance
        float[] img = new float[3 * plane];
        float[] base = {(float) (0.80 + 0.04 * rng.nextGaussian()), (float) (0.40 + 0.03 * rng.nextGaussian()),
            (float) (0.17 + 0.02 * rng.nextGaussian())};
        float[] coarse = valueNoise(n, 5, rng);
        float[] fine = valueNoise(n, Math.max(6, n / 8), rng);
        double rd = 0.07 * n;
        double mr = 0.10 * n;
        double[] contrast = {0.30, 0.60, 0.50};
        double cscale = 0.85 + 0.3 * rng.nextDouble();
        float[] fov = new float[plane];
        double[] discX = gaussian1d(n, dx, rd);
        double[] discY = gaussian1d(n, dy, rd);
        double[] macX = gaussian1d(n, mx, mr);
        double[] macY = gaussian1d(n, my, mr);
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int i = y * n + x;
                double u = (x - cx) / fovR;
                double v = (y - cy) / fovR;
                double rho2 = u * u + v * v;
                fov[i] = rho2 <= 1.0 ? 1f : 0f;
                double tex = 1 + 0.10 * coarse[i] + 0.04 * fine[i];
                double shade = 1 - 0.30 * rho2;
                double disc = discX[x] * discY[y];
                double mac = macX[x] * macY[y];
                double vess = mask[i];
                for (int c = 0; c < 3; c++) {
                    double val = base[c] * shade * tex * (1 - 0.35 * mac);
                    val += disc * (c == 0 ? 0.25 : c == 1 ? 0.45 : 0.30);
                    val *= 1 - contrast[c] * cscale * vess * (1 - 0.5 * disc);
                    img[c * plane + i] = (float) val;
                }
            }
        }
        // scanner: illumination field, blur, colour transfer, gamma, noise
        double ca = Math.cos(st.illumAngle());
        double sa = Math.sin(st.illumAngle());
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int i = y * n + x;
                double u = (x - (n - 1) / 2.0) / (n / 2.0);
                double v = (y - (n - 1) / 2.0) / (n / 2.0);
                double field = 1 + st.illumStrength() * (ca * u + sa * v) - st.vignette() * (u * u + v * v) * 0.5;
                float f = (float) Math.max(0.05, field);
                for (int c = 0; c < 3; c++) {
                    img[c * plane + i] *= f * fov[i];
                }
            }
        }
        ImageOps.gaussianBlur(img, 3, n, n, st.blurSigma() * s);
        float[] gain = st.gain();
        float[] off = st.offset();
        float[] gammaLut = new float[GAMMA_STEPS + 2];
        for (int i = 0; i <= GAMMA_STEPS; i++) {
            gammaLut[i] = (float) Math.pow(i / (double) GAMMA_STEPS, st.gamma());
        }
        gammaLut[GAMMA_STEPS + 1] = 1f;
        float sigma = (float) st.noiseSigma();
        SplittableRandom noise = new SplittableRandom(rng.nextLong());
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                float val = gain[c] * img[c * plane + i] + off[c] * fov[i];
                val = val < 0f ? 0f : (val > 1f ? 1f : val);
                float pos = val * GAMMA_STEPS;
                int li = (int) pos;
                float fr = pos - li;
                val = gammaLut[li] + fr * (gammaLut[li + 1] - gammaLut[li]);
                val += sigma * (float) noise.nextGaussian();
                img[c * plane + i] = val < 0f ? 0f : (val > 1f ? 1f : val);
            }
        }
        for (int i = 0; i < plane; i++) {
            mask[i] = mask[i] > 0 && fov[i] > 0 ? 1f : 0f;
        }
        String id = String.format("img-%03d", index);
        return new Sample(id, id, img, 3, n, n, mask, fov, "synthetic:" + site + "/" + id + "?seed=" + seed
                + "&size=" + n);
    }

    private static double[] gaussian1d(int n, double center, double sigma) {
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            double d = i - center;
            g[i] = Math.exp(-d * d / (2 * sigma * sigma));
        }
        return g;
    }

    /** Smooth noise in [-1, 1]: a random grid of {@code cells}+1 points, bicubically blended. */
    private static float[] valueNoise(int n, int cells, Random rng) {
        int g = cells + 1;
        float[] grid = new float[g * g];
        for (int i = 0; i < grid.length; i++) {
            grid[i] = (float) (2 * rng.nextDouble() - 1);
        }
        float[] out = new float[n * n];
        double step = cells / (double) n;
        for (int y = 0; y < n; y++) {
            double gy = y * step;
            int y0 = Math.min(cells - 1, (int) gy);
            double ty = smooth(gy - y0);
            for (int x = 0; x < n; x++) {
                double gx = x * step;
                int x0 = Math.min(cells - 1, (int) gx);
                double tx = smooth(gx - x0);
                double a = grid[y0 * g + x0] * (1 - tx) + grid[y0 * g + x0 + 1] * tx;
                double b = grid[(y0 + 1) * g + x0] * (1 - tx) + grid[(y0 + 1) * g + x0 + 1] * tx;
                out[y * n + x] = (float) (a * (1 - ty) + b * ty);
            }
        }
        return out;
    }

    private static double smooth(double t) {
        return t * t * (3 - 2 * t);
    }

    /** Branching random walks from the optic disc; arcades bend around the macula. */
    private static void drawVessels(float[] mask, int n, double dx, double dy, double mx, double my, double cx,
                                    double cy, double fovR, Style st, Random rng) {
        double s = n / 128.0;
        double toMacula = Math.atan2(my - dy, mx - dx);
        // segment: x, y, angle, radius, curvature, depth
        List<double[]> queue = new ArrayList<>();
        double r0 = 1.45 * s * st.vesselWidth();
        double[] trunkAngles = {toMacula - 1.25, toMacula + 1.25, toMacula + Math.PI - 0.6, toMacula + Math.PI + 0.6};
        double[] trunkCurv = {0.022, -0.022, 0.0, 0.0};
        for (int t = 0; t < trunkAngles.length; t++) {
            double a = trunkAngles[t] + 0.15 * rng.nextGaussian();
            double r = r0 * (t < 2 ? 1.0 : 0.8) * (0.9 + 0.2 * rng.nextDouble());
            queue.add(new double[] {dx, dy, a, r, trunkCurv[t] / s, 0});
        }
        double branchP = 0.018 * st.branching() / s;
        int maxSegments = 90;
        long maxSteps = (long) (40 * n);
        long steps = 0;
        for (int q = 0; q < queue.size() && q < maxSegments; q++) {
            double[] seg = queue.get(q);
            double x = seg[0];
            double y = seg[1];
            double a = seg[2];
            double r = seg[3];
            double curv = seg[4];
            int depth = (int) seg[5];
            double len = 0;
            double maxLen = n * (depth == 0 ? 1.1 : 0.6 / (1 + 0.3 * depth));
            while (r > 0.3 * s && len < maxLen && steps < maxSteps) {
                stamp(mask, n, x, y, r);
                a += curv + 0.07 * rng.nextGaussian() / Math.sqrt(s);
                x += Math.cos(a);
                y += Math.sin(a);
                len += 1;
                steps++;
                r *= 1 - 0.0025 / s;
                double ox = x - cx;
                double oy = y - cy;
                if (ox * ox + oy * oy > fovR * fovR) {
                    break;
                }
                if (depth < 6 && len > 6 * s && rng.nextDouble() < branchP) {
                    double sideSign = rng.nextBoolean() ? 1 : -1;
                    double childA = a + sideSign * (0.45 + 0.6 * rng.nextDouble());
                    double childR = r * (0.55 + 0.2 * rng.nextDouble());
                    queue.add(new double[] {x, y, childA, childR, 0.6 * curv + 0.01 * rng.nextGaussian() / s,
                        depth + 1});
                    r *= 0.92;
                }
            }
        }
    }

    private static void stamp(float[] mask, int n, double x, double y, double r) {
        double rr = Math.max(r, 0.5);
        int x0 = Math.max(0, (int) Math.floor(x - rr));
        int x1 = Math.min(n - 1, (int) Math.ceil(x + rr));
        int y0 = Math.max(0, (int) Math.floor(y - rr));
        int y1 = Math.min(n - 1, (int) Math.ceil(y + rr));
        double r2 = rr * rr;
        for (int yy = y0; yy <= y1; yy++) {
            double ddy = yy - y;
            for (int xx = x0; xx <= x1; xx++) {
                double ddx = xx - x;
                if (ddx * ddx + ddy * ddy <= r2) {
                    mask[yy * n + xx] = 1f;
                }
            }
        }
    }
}
