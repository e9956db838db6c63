package org.resfim.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class PairedStatisticsTest {

    @Test
    void exactWilcoxonMatchesHandCountedNullDistribution() {
        // all five positive: W− = 0; P(W− ≤ 0) = 1/32, two-sided 2/32
        assertEquals(0.0625, PairedStatistics.wilcoxon(new double[] {1, 2, 3, 4, 5}), 1e-12);
        // ranks 1..6, W− = 2: subsets with rank sum ≤ 2 are {}, {1}, {2} → 3/64, two-sided 6/64
        assertEquals(0.09375, PairedStatistics.wilcoxon(new double[] {0.1, -0.2, 0.3, 0.4, 0.5, 0.6}), 1e-12);
        // symmetric: W+ = W− → p = 1
        assertEquals(1.0, PairedStatistics.wilcoxon(new double[] {1, -1, 2, -2}), 1e-6);
        // zeros are dropped (Wilcoxon's method)
        assertEquals(PairedStatistics.wilcoxon(new double[] {1, 2, 3}), PairedStatistics.wilcoxon(new double[] {0, 1, 0, 2, 3}), 0);
        assertEquals(1.0, PairedStatistics.wilcoxon(new double[] {0, 0}), 0);
    }

    @Test
    void tiesUseTheNormalApproximationWithTieAndContinuityCorrection() {
        // d = 1,1,2,2: ranks 1.5,1.5,3.5,3.5, W+ = 10, mean 5, var = 4·5·9/24 − (2·(8−2))/48 = 7.25
        // z = (5 − 0.5)/√7.25 = 1.671258, p = 2(1 − Φ(z)) = 0.09467 (R: wilcox.test(c(1,1,2,2), exact=FALSE))
        assertEquals(0.09467, PairedStatistics.wilcoxon(new double[] {1, 1, 2, 2}), 1e-5);
    }

    @Test
    void bootstrapIntervalIsReproducibleAndBracketsTheMean() {
        double[] d = {0.02, 0.05, -0.01, 0.03, 0.04, 0.00, 0.06, 0.01};
        PairedStatistics.Result a = PairedStatistics.compare(d, 5000, 3);
        PairedStatistics.Result b = PairedStatistics.compare(d, 5000, 3);
        assertEquals(a, b);
        assertEquals(0.025, a.meanDifference(), 1e-12);
        assertTrue(a.ciLow() < a.meanDifference() && a.meanDifference() < a.ciHigh());
        assertTrue(a.ciLow() > -0.01 && a.ciHigh() < 0.06, a.toString());
        PairedStatistics.Result constant = PairedStatistics.compare(new double[] {0.1, 0.1, 0.1}, 1000, 1);
        assertEquals(0.1, constant.ciLow(), 1e-12);
        assertEquals(0.1, constant.ciHigh(), 1e-12);
        assertEquals(8, a.n());
    }

    @Test
    void normalCdfIsAccurate() {
        assertEquals(0.5, PairedStatistics.normalCdf(0), 1e-7);
        assertEquals(0.975002, PairedStatistics.normalCdf(1.96), 1e-6);
        assertEquals(0.158655, PairedStatistics.normalCdf(-1.0), 1e-6);
    }
}
