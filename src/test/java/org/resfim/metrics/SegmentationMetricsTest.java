package org.resfim.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SegmentationMetricsTest {
    private static final double EPS = 1e-12;

    /** A w×h mask from rows of '#' (foreground) and '.' (background). */
    static boolean[] mask(String... rows) {
        int w = rows[0].length();
        boolean[] m = new boolean[w * rows.length];
        for (int y = 0; y < rows.length; y++) {
            for (int x = 0; x < w; x++) {
                m[y * w + x] = rows[y].charAt(x) == '#';
            }
        }
        return m;
    }

    // 5×5: truth = 3×3 square at columns 1..3, prediction = the same square shifted right by one column
    private static final boolean[] TRUTH = mask(
            ".....",
            ".###.",
            ".###.",
            ".###.",
            ".....");
    private static final boolean[] PRED = mask(
            ".....",
            "..###",
            "..###",
            "..###",
            ".....");
    private static final boolean[] EMPTY = new boolean[25];

    @Test
    void overlapScoresOnShiftedSquares() {
        // TP = 6 (columns 2,3), FP = 3 (column 4), FN = 3 (column 1), TN = 25 - 12 = 13
        assertEquals(new Confusion(6, 3, 3, 13), Confusion.of(PRED, TRUTH));
        assertEquals(12.0 / 18, SegmentationMetrics.dice(PRED, TRUTH), EPS);     // 2*6 / (9 + 9)
        assertEquals(6.0 / 12, SegmentationMetrics.iou(PRED, TRUTH), EPS);       // 6 / |union| 12
        assertEquals(6.0 / 9, SegmentationMetrics.sensitivity(PRED, TRUTH), EPS);
        assertEquals(13.0 / 16, SegmentationMetrics.specificity(PRED, TRUTH), EPS);
        // surfaces are the 8 ring pixels of each square; each ring pixel is 0 or 1 from the other ring
        // (16 distances: eight 0s and eight 1s), so the 95th percentile is 1
        assertEquals(1.0, SegmentationMetrics.hd95(PRED, TRUTH, 5, 5), EPS);
        MetricSummary s = SegmentationMetrics.summary(PRED, TRUTH, 5, 5);
        assertEquals(new MetricSummary(12.0 / 18, 0.5, 6.0 / 9, 13.0 / 16, 1.0), s);
    }

    @Test
    void identicalMasksArePerfect() {
        assertEquals(new MetricSummary(1, 1, 1, 1, 0), SegmentationMetrics.summary(TRUTH, TRUTH, 5, 5));
    }

    @Test
    void emptyPrediction() {
        MetricSummary s = SegmentationMetrics.summary(EMPTY, TRUTH, 5, 5);
        assertEquals(0.0, s.dice(), 0.0);
        assertEquals(0.0, s.iou(), 0.0);
        assertEquals(0.0, s.sensitivity(), 0.0);
        assertEquals(1.0, s.specificity(), 0.0);            // TN = 16, FP = 0
        assertEquals(Math.sqrt(50), s.hd95(), EPS);         // convention: image diagonal sqrt(5² + 5²)
    }

    @Test
    void emptyTruth() {
        MetricSummary s = SegmentationMetrics.summary(PRED, EMPTY, 5, 5);
        assertEquals(0.0, s.dice(), 0.0);
        assertEquals(0.0, s.iou(), 0.0);
        assertEquals(0.0, s.sensitivity(), 0.0);            // convention: empty truth, non-empty prediction
        assertEquals(16.0 / 25, s.specificity(), EPS);      // TN = 16, FP = 9
        assertEquals(Math.sqrt(50), s.hd95(), EPS);
    }

    @Test
    void bothEmpty() {
        assertEquals(new MetricSummary(1, 1, 1, 1, 0), SegmentationMetrics.summary(EMPTY, EMPTY, 5, 5));
    }

    @Test
    void allForegroundTruthAndPrediction() {
        boolean[] full = new boolean[25];
        java.util.Arrays.fill(full, true);
        assertEquals(1.0, SegmentationMetrics.specificity(full, full), 0.0);   // no truth background: convention 1
        assertEquals(0.0, SegmentationMetrics.specificity(TRUTH, full), 0.0);  // prediction misses foreground
        assertEquals(9.0 / 25, SegmentationMetrics.sensitivity(TRUTH, full), EPS);
    }

    @Test
    void hd95OfTwoSinglePixels() {
        boolean[] p = new boolean[64];
        boolean[] g = new boolean[64];
        p[1 * 8 + 1] = true;   // (x=1, y=1)
        g[5 * 8 + 4] = true;   // (x=4, y=5): distance sqrt(3² + 4²) = 5
        assertEquals(5.0, SegmentationMetrics.hd95(p, g, 8, 8), EPS);
        assertEquals(5.0, SegmentationMetrics.hd95(g, p, 8, 8), EPS);
    }

    @Test
    void hd95OfTwoParallelLines() {
        boolean[] p = mask(
                "........",
                "########",
                "........",
                "........",
                "........",
                "........",
                "........",
                "........");
        boolean[] g = mask(
                "........",
                "........",
                "........",
                "........",
                "..####..",
                "........",
                "........",
                "........");
        // P→G: columns 2..5 → 3; columns 1,6 → sqrt(9+1); columns 0,7 → sqrt(9+4). G→P: all 3.
        // sorted union of 12: 3×8, √10×2, √13×2; 95th percentile at position 0.95·11 = 10.45 → √13
        assertEquals(Math.sqrt(13), SegmentationMetrics.hd95(p, g, 8, 8), EPS);
        assertEquals(Math.sqrt(13), SegmentationMetrics.hausdorffPercentile(p, g, 8, 8, 100), EPS);
        assertEquals(3.0, SegmentationMetrics.hausdorffPercentile(p, g, 8, 8, 50), EPS);  // position 5.5 → 3
        // equal full-length lines 3 rows apart: every distance is 3
        boolean[] g2 = mask("........", "........", "........", "........", "########",
                "........", "........", "........");
        assertEquals(3.0, SegmentationMetrics.hd95(p, g2, 8, 8), EPS);
    }

    @Test
    void hd95InterpolatesBetweenDistances() {
        boolean[] p = new boolean[64];
        boolean[] g = new boolean[64];
        p[0] = true;      // (0,0)
        g[3] = true;      // (3,0)
        g[7] = true;      // (7,0)
        // P→G: 3; G→P: 3, 7. Sorted [3, 3, 7], position 0.95·2 = 1.9 → 3 + 0.9·(7 − 3) = 6.6
        assertEquals(6.6, SegmentationMetrics.hd95(p, g, 8, 8), 1e-12);
    }

    @Test
    void surfaceUsesFourConnectivityAndTheImageBorder() {
        boolean[] ring = SegmentationMetrics.surface(TRUTH, 5, 5);
        boolean[] expected = mask(
                ".....",
                ".###.",
                ".#.#.",
                ".###.",
                ".....");
        assertArrayEquals(expected, ring);
        boolean[] full = new boolean[25];
        java.util.Arrays.fill(full, true);
        boolean[] border = mask(
                "#####",
                "#...#",
                "#...#",
                "#...#",
                "#####");
        assertArrayEquals(border, SegmentationMetrics.surface(full, 5, 5));
    }

    @Test
    void distanceTransformMatchesBruteForce() {
        java.util.Random r = new java.util.Random(3);
        int w = 37;
        int h = 23;
        for (int trial = 0; trial < 5; trial++) {
            boolean[] f = new boolean[w * h];
            for (int i = 0; i < f.length; i++) {
                f[i] = r.nextDouble() < 0.02 * (trial + 1);
            }
            double[] d = DistanceTransform.squared(f, w, h);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double best = Double.POSITIVE_INFINITY;
                    for (int j = 0; j < f.length; j++) {
                        if (f[j]) {
                            double dx = x - j % w;
                            double dy = y - j / w;
                            best = Math.min(best, dx * dx + dy * dy);
                        }
                    }
                    assertEquals(best, d[y * w + x], 0.0, "(" + x + "," + y + ")");
                }
            }
        }
        double[] none = DistanceTransform.squared(new boolean[6], 3, 2);
        for (double v : none) {
            assertEquals(Double.POSITIVE_INFINITY, v);
        }
    }

    @Test
    void hd95On256x256IsSymmetric() {
        int n = 256;
        boolean[] p = new boolean[n * n];
        boolean[] g = new boolean[n * n];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                double dp = Math.hypot(x - 120, y - 130);
                double dg = Math.hypot(x - 128, y - 128);
                p[y * n + x] = dp < 60;
                g[y * n + x] = dg < 64;
            }
        }
        double a = SegmentationMetrics.hd95(p, g, n, n);
        double b = SegmentationMetrics.hd95(g, p, n, n);
        assertEquals(a, b, 0.0);
        // two discs, radii 60 and 64, centres sqrt(8² + 2²) ≈ 8.2 apart: boundary gaps lie between 0 and ~12.3
        org.junit.jupiter.api.Assertions.assertTrue(a > 4 && a < 13, "hd95 " + a);
    }

    @Test
    void byteMasksAndThresholds() {
        byte[] p = new byte[25];
        byte[] g = new byte[25];
        for (int i = 0; i < 25; i++) {
            p[i] = (byte) (PRED[i] ? 255 : 0);
            g[i] = (byte) (TRUTH[i] ? 1 : 0);
        }
        assertEquals(SegmentationMetrics.summary(PRED, TRUTH, 5, 5), SegmentationMetrics.summary(p, g, 5, 5));
        assertArrayEquals(new boolean[] {false, false, true, false, true},
                SegmentationMetrics.fromLogits(new float[] {-1f, 0f, 1e-7f, Float.NaN, 30f}));
        assertArrayEquals(new boolean[] {false, false, true, false},
                SegmentationMetrics.fromProbabilities(new float[] {0.2f, 0.5f, 0.5000001f, Float.NaN}));
    }

    @Test
    void sizeMismatchIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> SegmentationMetrics.hd95(PRED, TRUTH, 4, 5));
        assertThrows(IllegalArgumentException.class, () -> SegmentationMetrics.dice(PRED, new boolean[24]));
    }

    @Test
    void meanOfSummaries() {
        MetricSummary m = MetricSummary.mean(List.of(new MetricSummary(1, 0.5, 0, 1, 2), new MetricSummary(0, 0.5, 1, 0, 4)));
        assertEquals(new MetricSummary(0.5, 0.5, 0.5, 0.5, 3), m);
    }
}
