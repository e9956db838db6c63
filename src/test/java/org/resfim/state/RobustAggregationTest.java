package org.resfim.state;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.resfim.state.Fixtures.wb;

/**
 * The median and trimmed-mean rules of the one aggregation path (#17): per element over the sites that share it
 * (pFL-ResFIM's masks), one vote per site, so one hostile site cannot move an element outside the honest values.
 */
class RobustAggregationTest {
    private static Mask maskW(ModelState layout, int... wBits) {
        Mask m = Mask.allInvariant(layout);
        for (int i = 0; i < wBits.length; i++) {
            m.set("w", i, wBits[i] == 1);
        }
        return m;
    }

    @Test
    void theMedianIsTakenPerElementOverTheSitesThatShareIt() {
        ModelState a = wb(new float[] {1, 2, 3, 4}, new float[] {1, 1, 1});
        ModelState b = wb(new float[] {2, 3, 4, 5}, new float[] {2, 2, 2});
        ModelState c = wb(new float[] {3, 4, 5, 6}, new float[] {3, 3, 3});
        ModelState hostile = wb(new float[] {1e30f, -1e30f, 1e30f, 1e30f}, new float[] {1e30f, 1e30f, 1e30f});
        ModelState fallback = wb(new float[] {-7, -7, -7, -7}, new float[] {-7, -7, -7});
        // element w[1]: b keeps it personal; w[3]: only the hostile site shares it
        List<Mask> masks = List.of(maskW(a, 0, 0, 0, 1), maskW(a, 0, 1, 0, 1), maskW(a, 0, 0, 0, 1), maskW(a, 0, 0, 0, 0));
        MaskedAverage r = StateOps.maskedAverage(List.of(a, b, c, hostile), masks, new double[] {1, 1, 1, 1e9}, fallback,
                Aggregator.median());
        // w[0]: {1,2,3,1e30} -> (2+3)/2; w[1]: {2,4,-1e30} -> 2; w[2]: {3,4,5,1e30} -> 4.5; w[3]: {1e30} alone
        assertArrayEquals(new float[] {2.5f, 2f, 4.5f, 1e30f}, r.global().get("w").data());
        assertArrayEquals(new float[] {2.5f, 2.5f, 2.5f}, r.global().get("b").data());
        assertEquals(0, r.unshared().total());

        // the weighted mean of the same uploads is the hostile site's
        MaskedAverage mean = StateOps.maskedAverage(List.of(a, b, c, hostile), masks, new double[] {1, 1, 1, 1e9}, fallback);
        assertTrue(Math.abs(mean.global().get("b").data()[0]) > 1e29);
    }

    @Test
    void theTrimmedMeanDropsTheExtremesOfTheSharingSitesAndKeepsTheFallbackWhereNobodyShares() {
        ModelState[] s = new ModelState[5];
        for (int k = 0; k < 5; k++) {
            s[k] = wb(new float[] {k, k, k, k}, new float[] {k, k, k});
        }
        s[4] = wb(new float[] {1e30f, 1e30f, 1e30f, 1e30f}, new float[] {-1e30f, -1e30f, -1e30f});
        ModelState fallback = wb(new float[] {-7, -7, -7, -7}, new float[] {-7, -7, -7});
        Mask all = maskW(s[0], 0, 0, 0, 1);
        List<Mask> masks = List.of(all, all.copy(), all.copy(), all.copy(), all.copy());
        MaskedAverage r = StateOps.maskedAverage(List.of(s), masks, new double[] {1, 1, 1, 1, 1}, fallback, Aggregator.trimmedMean(0.2));
        // 5 votes, floor(0.2·5) = 1 dropped at each end: w = mean{1,2,3} = 2; b = mean{0,1,2} = 1
        assertArrayEquals(new float[] {2, 2, 2, -7}, r.global().get("w").data());
        assertArrayEquals(new float[] {1, 1, 1}, r.global().get("b").data());
        assertTrue(r.unshared().bits("w").get(3));
        // a site with weight 0 does not vote
        MaskedAverage z = StateOps.maskedAverage(List.of(s), masks, new double[] {1, 1, 1, 1, 0}, fallback, Aggregator.median());
        assertArrayEquals(new float[] {1.5f, 1.5f, 1.5f, -7}, z.global().get("w").data());
    }

    @Test
    void robustRulesOfIdenticalStatesAreBitIdenticalAndTheMeanIsUnchanged() {
        ModelState x = Fixtures.random(3);
        List<ModelState> same = List.of(x, x.copy(), x.copy());
        List<Mask> masks = List.of(Mask.allInvariant(x), Mask.allInvariant(x), Mask.allInvariant(x));
        for (Aggregator a : List.of(Aggregator.median(), Aggregator.trimmedMean(0.34))) {
            Fixtures.assertBitIdentical(x, StateOps.maskedAverage(same, masks, new double[] {1, 2, 3}, StateOps.zerosLike(x), a).global());
        }
        ModelState y = Fixtures.random(4);
        ModelState z = Fixtures.random(5);
        List<ModelState> three = List.of(x, y, z);
        Fixtures.assertBitIdentical(StateOps.maskedAverage(three, masks, new double[] {1, 2, 3}, x).global(),
                StateOps.maskedAverage(three, masks, new double[] {1, 2, 3}, x, Aggregator.MEAN).global());
    }

    @Test
    void anUpdateIsMeasuredAndScaledOnlyOnTheElementsItShares() {
        ModelState ref = wb(new float[] {1, 1, 1, 1}, new float[] {0, 0, 0});
        ModelState up = wb(new float[] {4, 5, 100, 0}, new float[] {0, 0, 0});
        Mask m = maskW(ref, 0, 0, 1, 1); // w[2], w[3] personal (uploaded as anything)
        assertEquals(5.0, StateOps.maskedDistance(up, ref, m), 1e-12); // (3, 4)
        ModelState clipped = StateOps.scaleUpdate(up, ref, m, 0.2);
        assertArrayEquals(new float[] {1.6f, 1.8f, 100, 0}, clipped.get("w").data(), 1e-6f);
        assertEquals(1.0, StateOps.maskedDistance(clipped, ref, m), 1e-6);
    }

    @Test
    void aggregatorsAreSpeltAsInTheConfiguration() {
        assertEquals(Aggregator.Kind.TRIMMED_MEAN, Aggregator.Kind.parse("trimmed_mean"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Aggregator.Kind.parse("mode"));
        assertTrue(e.getMessage().contains("mean, median or trimmed_mean"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Aggregator.trimmedMean(0.5));
    }
}
