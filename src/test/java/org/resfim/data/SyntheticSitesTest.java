package org.resfim.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The built-in synthetic federation: determinism, shapes, speed, and a measurable domain shift. */
class SyntheticSitesTest {
    @Test
    void deterministicForASeed() {
        List<SiteDataset> a = SyntheticSites.generate(3, 10, 64, 42);
        List<SiteDataset> b = SyntheticSites.generate(3, 10, 64, 42);
        List<SiteDataset> c = SyntheticSites.generate(3, 10, 64, 43);
        for (int k = 0; k < 3; k++) {
            List<Sample> sa = a.get(k).all();
            List<Sample> sb = b.get(k).all();
            assertEquals(sa.size(), sb.size());
            for (int i = 0; i < sa.size(); i++) {
                assertEquals(sa.get(i).id(), sb.get(i).id());
                assertArrayEquals(sa.get(i).image(), sb.get(i).image());
                assertArrayEquals(sa.get(i).mask(), sb.get(i).mask());
            }
        }
        assertFalse(Arrays.equals(a.get(0).train().get(0).image(), c.get(0).train().get(0).image()));
    }

    @Test
    void shapesLabelsAndSplits() {
        List<SiteDataset> sites = SyntheticSites.generate(4, 40, 128, 0);
        assertEquals(List.of("synthetic-1", "synthetic-2", "synthetic-3", "synthetic-4"),
                sites.stream().map(SiteDataset::name).toList());
        for (SiteDataset s : sites) {
            assertEquals(28, s.train().size());
            assertEquals(4, s.val().size());
            assertEquals(8, s.test().size());
            assertEquals(40, s.manifest().entries().size());
            for (Sample x : s.all()) {
                assertEquals(3, x.channels());
                assertEquals(128, x.height());
                assertNotNull(x.fov());
                for (float v : x.image()) {
                    assertTrue(v >= 0f && v <= 1f);
                }
                for (int i = 0; i < x.mask().length; i++) {
                    float m = x.mask()[i];
                    assertTrue(m == 0f || m == 1f);
                    assertTrue(m == 0f || x.fov()[i] == 1f, "vessel outside the field of view");
                }
                double fg = x.foregroundFraction();
                assertTrue(fg > 0.01 && fg < 0.2, x.id() + " vessel fraction " + fg);
            }
        }
    }

    @Test
    void anySize() {
        for (int size : new int[] {16, 48, 100, 256}) {
            SiteDataset s = SyntheticSites.generate(2, 3, size, 5).get(1);
            Sample x = s.all().get(0);
            assertEquals(size, x.height());
            assertEquals(size, x.width());
            assertEquals(3 * size * size, x.image().length);
            assertTrue(x.foregroundFraction() > 0.005, "size " + size + ": " + x.foregroundFraction());
        }
    }

    @Test
    void heldInMemoryFarBelowTheBudget() {
        // held in memory at training resolution: far below the 500 MB budget of a 4-site federation (speed is
        // `resfim bench`'s business, not a test's)
        long bytes = 0;
        for (SiteDataset site : SyntheticSites.generate(4, 40, 128, 1)) {
            for (Sample x : site.all()) {
                bytes += 4L * (x.image().length + x.mask().length + x.fov().length);
            }
        }
        assertTrue(bytes < 100L << 20, bytes + " bytes");
    }

    /**
     * The sites differ the way scanners do: the mean low-frequency Fourier amplitude (the part spectral style
     * transfer exchanges) differs more between sites than between images of one site.
     */
    @Test
    void lowFrequencyAmplitudeDiffersMoreBetweenSitesThanWithin() {
        int size = 128;
        int b = Math.max(1, (int) Math.floor(0.03 * size)); // the method's default window, beta = 0.03
        List<SiteDataset> sites = SyntheticSites.generate(4, 40, size, 0);
        List<List<double[]>> features = new ArrayList<>();
        List<double[]> means = new ArrayList<>();
        for (SiteDataset s : sites) {
            List<double[]> f = new ArrayList<>();
            for (Sample x : s.all()) {
                f.add(lowFrequencyAmplitude(x.image(), 3, size, size, b));
            }
            features.add(f);
            means.add(mean(f));
        }
        double within = 0;
        int n = 0;
        for (int k = 0; k < sites.size(); k++) {
            for (double[] f : features.get(k)) {
                within += dist(f, means.get(k));
                n++;
            }
        }
        within /= n;
        double between = 0;
        int m = 0;
        for (int i = 0; i < means.size(); i++) {
            for (int j = i + 1; j < means.size(); j++) {
                between += dist(means.get(i), means.get(j));
                m++;
            }
        }
        between /= m;
        System.out.printf("low-frequency amplitude: between sites %.1f, within a site %.1f%n", between, within);
        assertTrue(between > 2 * within, "between " + between + " within " + within);
        // and the label shift: vessel density differs between sites
        double[] fg = sites.stream().mapToDouble(s -> s.all().stream().mapToDouble(Sample::foregroundFraction)
                .average().orElse(0)).toArray();
        double lo = Arrays.stream(fg).min().orElse(0);
        double hi = Arrays.stream(fg).max().orElse(0);
        assertTrue(hi / lo > 1.2, Arrays.toString(fg));
    }

    /** |F(u,v)| for |u|,|v| <= b of each channel: a plain 2-D DFT evaluated on the low-frequency window only. */
    static double[] lowFrequencyAmplitude(float[] img, int c, int h, int w, int b) {
        int k = 2 * b + 1;
        double[] out = new double[c * k * k];
        double[] rowRe = new double[h * k];
        double[] rowIm = new double[h * k];
        double[][] cosX = new double[k][w];
        double[][] sinX = new double[k][w];
        for (int vi = 0; vi < k; vi++) {
            for (int x = 0; x < w; x++) {
                double a = -2 * Math.PI * (vi - b) * x / w;
                cosX[vi][x] = Math.cos(a);
                sinX[vi][x] = Math.sin(a);
            }
        }
        for (int ch = 0; ch < c; ch++) {
            // DFT along x for frequencies v = -b..b
            for (int y = 0; y < h; y++) {
                for (int vi = 0; vi < k; vi++) {
                    double re = 0;
                    double im = 0;
                    for (int x = 0; x < w; x++) {
                        double p = img[ch * h * w + y * w + x];
                        re += p * cosX[vi][x];
                        im += p * sinX[vi][x];
                    }
                    rowRe[y * k + vi] = re;
                    rowIm[y * k + vi] = im;
                }
            }
            // then along y for u = -b..b
            for (int ui = 0; ui < k; ui++) {
                int u = ui - b;
                for (int vi = 0; vi < k; vi++) {
                    double re = 0;
                    double im = 0;
                    for (int y = 0; y < h; y++) {
                        double a = -2 * Math.PI * u * y / h;
                        double cr = Math.cos(a);
                        double ci = Math.sin(a);
                        double r0 = rowRe[y * k + vi];
                        double i0 = rowIm[y * k + vi];
                        re += r0 * cr - i0 * ci;
                        im += r0 * ci + i0 * cr;
                    }
                    out[ch * k * k + ui * k + vi] = Math.hypot(re, im);
                }
            }
        }
        return out;
    }

    @Test
    void dftMatchesKnownSpectrum() {
        int n = 16;
        float[] img = new float[n * n];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                img[y * n + x] = (float) (0.5 + 0.25 * Math.cos(2 * Math.PI * x / n));
            }
        }
        double[] a = lowFrequencyAmplitude(img, 1, n, n, 1);
        // centre (u=0, v=0) = sum = 0.5 * 256; (u=0, v=±1) = 0.25 * 256 / 2; everything else 0
        assertEquals(128, a[4], 1e-4);
        assertEquals(32, a[3], 1e-4);
        assertEquals(32, a[5], 1e-4);
        assertEquals(0, a[0], 1e-4);
        assertEquals(0, a[1], 1e-4);
    }

    static double[] mean(List<double[]> fs) {
        double[] m = new double[fs.get(0).length];
        for (double[] f : fs) {
            for (int i = 0; i < m.length; i++) {
                m[i] += f[i] / fs.size();
            }
        }
        return m;
    }

    static double dist(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(s);
    }

    @Test
    void configSelectsTheSyntheticFederation() {
        FederationConfig cfg = FederationConfig.load(TestFiles.EXAMPLES.resolve("synthetic.yaml"));
        assertTrue(cfg.isSynthetic());
        List<SiteDataset> sites = FederationData.load(cfg);
        assertEquals(4, sites.size());
        assertEquals(40, sites.get(0).size());
        assertEquals(128, sites.get(0).height());
        List<SiteDataset> small = FederationData.load(cfg, 3, 64);
        assertEquals(64, small.get(2).width());
        List<SiteDataset> grey = FederationData.load(FederationConfig.parse(
                "data: {synthetic: {sites: 2, samples: 5}, channels: 1, image_size: 32}", TestFiles.EXAMPLES, "g.yaml"));
        assertEquals(1, grey.get(0).channels());
        assertEquals(32, grey.get(0).height());
        // no data section at all: the embedded default
        FederationConfig none = FederationConfig.parse("method: {name: fedavg}", TestFiles.EXAMPLES, "n.yaml");
        assertTrue(none.isSynthetic());
        assertEquals(4, none.synthetic().sites());
        assertEquals(40, none.synthetic().samples());
        assertEquals(128, none.imageHeight());
    }
}
