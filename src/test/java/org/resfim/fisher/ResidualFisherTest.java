package org.resfim.fisher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

class ResidualFisherTest {
    // F_k and two foreign Fishers, by hand
    private static final ModelState OWN = FisherFixtures.fisher(new float[] {1, 2, 0, 4}, new float[] {0.5f, 0, 3},
            new float[] {-7, 9});
    private static final ModelState F1 = FisherFixtures.fisher(new float[] {3, 2, 1, 0}, new float[] {0.5f, 0, 1},
            new float[] {1, 1});
    private static final ModelState F2 = FisherFixtures.fisher(new float[] {1, 5, 0, 8}, new float[] {1.5f, 0, 3},
            new float[] {1, 1});

    @Test
    void absoluteIsTheMeanAbsoluteDifference() {
        ModelState r = ResidualFisher.compute(OWN, List.of(F1, F2), Residual.ABSOLUTE, 1e-12);
        // |F1−F| = [2,0,1,4], [0,0,2]; |F2−F| = [0,3,0,4], [1,0,0]
        assertArrayEquals(new float[] {1, 1.5f, 0.5f, 4}, r.get("w").data());
        assertArrayEquals(new float[] {0.5f, 0, 1}, r.get("b").data());
        assertEquals(List.of("w", "b"), r.names(), "running statistics are left out");
        assertEquals(TensorRole.CONV_BIAS, r.get("b").role());
    }

    @Test
    void maxIsTheLargestAbsoluteDifference() {
        ModelState r = ResidualFisher.compute(OWN, List.of(F1, F2), Residual.MAX, 1e-12);
        assertArrayEquals(new float[] {2, 3, 1, 4}, r.get("w").data());
        assertArrayEquals(new float[] {1, 0, 2}, r.get("b").data());
    }

    @Test
    void relativeDividesBySumPlusEps() {
        ModelState r = ResidualFisher.compute(OWN, List.of(F1, F2), Residual.RELATIVE, 0.0);
        // F1: [2/4, 0/4, 1/1, 4/4], [0/1, 0/0→0, 2/4]; F2: [0/2, 3/7, 0/0→0, 4/12], [1/2, 0/0→0, 0/6]
        float[] w = r.get("w").data();
        assertEquals(0.25, w[0], 1e-7);
        assertEquals(1.5 / 7, w[1], 1e-7);
        assertEquals(0.5, w[2], 1e-7);
        assertEquals((1 + 1.0 / 3) / 2, w[3], 1e-7);
        assertArrayEquals(new float[] {0.25f, 0, 0.25f}, r.get("b").data(), 1e-7f);
        ModelState withEps = ResidualFisher.compute(OWN, List.of(F1, F2), Residual.RELATIVE, 1.0);
        assertEquals((2.0 / 5 + 0.0 / 3) / 2, withEps.get("w").data()[0], 1e-7);
    }

    @Test
    void oneForeignSiteGivesTheAbsoluteDifference() {
        ModelState r = ResidualFisher.compute(OWN, List.of(F1), Residual.ABSOLUTE, 1e-12);
        assertArrayEquals(new float[] {2, 0, 1, 4}, r.get("w").data());
    }

    @Test
    void mismatchesAndBadValuesNameTheTensor() {
        ModelState wrongShape = FisherFixtures.state(
                FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {4}, new float[4]),
                FisherFixtures.t("b", TensorRole.CONV_BIAS, new int[] {3}, new float[3]),
                FisherFixtures.t("bn.running_var", TensorRole.NORM_RUNNING_VAR, new int[] {2}, new float[2]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResidualFisher.compute(OWN, List.of(F1, wrongShape), Residual.ABSOLUTE, 1e-12));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("foreign Fisher 1"), e.getMessage());

        ModelState missing = FisherFixtures.state(F1.get("w"), F1.get("bn.running_var"));
        e = assertThrows(IllegalArgumentException.class,
                () -> ResidualFisher.compute(OWN, List.of(missing), Residual.ABSOLUTE, 1e-12));
        assertTrue(e.getMessage().contains("'b'"), e.getMessage());

        ModelState nan = F2.copy();
        nan.get("b").data()[2] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class,
                () -> ResidualFisher.compute(OWN, List.of(F1, nan), Residual.MAX, 1e-12));
        assertTrue(e.getMessage().contains("'b' element 2 is NaN"), e.getMessage());

        ModelState negative = OWN.copy();
        negative.get("w").data()[0] = -1;
        e = assertThrows(IllegalArgumentException.class,
                () -> ResidualFisher.compute(negative, List.of(F1), Residual.ABSOLUTE, 1e-12));
        assertTrue(e.getMessage().contains("own Fisher: tensor 'w'"), e.getMessage());

        for (Residual mode : Residual.values()) {
            e = assertThrows(IllegalArgumentException.class, () -> ResidualFisher.compute(OWN, List.of(), mode, 1e-12));
            assertTrue(e.getMessage().contains("at least one foreign Fisher"), e.getMessage());
        }
        e = assertThrows(IllegalArgumentException.class,
                () -> ResidualFisher.compute(OWN, List.of(F1), Residual.RELATIVE, -1));
        assertTrue(e.getMessage().startsWith("resfim.eps"), e.getMessage());
    }

    @Test
    void tauIsTheMedianOwnFisherOrItsMean() {
        assertEquals(1.5, ResidualFisher.tau(new float[] {1, 2, 0, 4}), 0, "even count: mean of the middle two (1, 2)");
        assertEquals(0.5, ResidualFisher.tau(new float[] {0.5f, 0, 3}), 0);
        assertEquals(1.0, ResidualFisher.tau(new float[] {0, 0, 0, 4}), 0, "median 0 (dead elements): the mean");
        assertEquals(0.0, ResidualFisher.tau(new float[] {0, 0, 0}), 0);
    }

    @Test
    void relativeWithEpsTauUsesEachTensorsMedian() {
        ModelState r = ResidualFisher.compute(OWN, List.of(F1), Residual.RELATIVE, 1e-12, true);
        // w: τ = 1.5; |F1−F| = [2,0,1,4], F + F1 + τ = [5.5, 5.5, 2.5, 5.5]
        assertArrayEquals(new float[] {(float) (2 / 5.5), 0, 0.4f, (float) (4 / 5.5)}, r.get("w").data(), 1e-7f);
        // b: τ = 0.5; |F1−F| = [0,0,2], F + F1 + τ = [1.5, 0.5, 4.5]
        assertArrayEquals(new float[] {0, 0, (float) (2 / 4.5)}, r.get("b").data(), 1e-7f);
        // with ε = 1e-12 the dead element w[2] (F_k = 0, F1 = 1) scores the maximum 1: the complaint
        assertEquals(1.0, ResidualFisher.compute(OWN, List.of(F1), Residual.RELATIVE, 1e-12).get("w").data()[2], 1e-9);
    }

    @Test
    void logRatioSubtractsTheChannelMedianSoACommonGainCancels() {
        // w [2,3]: F_k = [1,1,1 | 2,2,2], τ = median = 1.5. The foreign Fisher scales channel 0 by 4 except its last
        // element, and keeps channel 1 except its last element.
        ModelState own = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {2, 3}, 1, 1, 1, 2, 2, 2),
                FisherFixtures.t("b", TensorRole.CONV_BIAS, new int[] {3}, 0.5f, 0, 3));
        ModelState f = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {2, 3}, 4, 4, 1, 2, 2, 8),
                FisherFixtures.t("b", TensorRole.CONV_BIAS, new int[] {3}, 0.5f, 0, 1));
        ModelState r = ResidualFisher.compute(own, List.of(f), Residual.LOG_RATIO, 1e-12);
        // channel 0: d = [log(5.5/2.5), log(5.5/2.5), 0], median log 2.2 → [0, 0, log 2.2]
        // channel 1: d = [0, 0, log(9.5/3.5)], median 0 → [0, 0, log(9.5/3.5)]
        float[] w = r.get("w").data();
        assertArrayEquals(new float[] {0, 0, (float) Math.log(2.2), 0, 0, (float) Math.log(9.5 / 3.5)}, w, 1e-6f);
        // the absolute residual ranks the gained elements w[0], w[1] (3 each) above the odd one out w[2] (0)
        assertArrayEquals(new float[] {3, 3, 0, 0, 0, 6}, ResidualFisher.compute(own, List.of(f), Residual.ABSOLUTE, 0).get("w").data());
        // b is one-dimensional: the median over the tensor. τ = 0.5, d = [0, 0, log(1.5/3.5)], median 0
        assertArrayEquals(new float[] {0, 0, (float) Math.log(3.5 / 1.5)}, r.get("b").data(), 1e-6f);
        // two foreign sites: the mean over them; a second copy of f halves nothing
        ModelState two = ResidualFisher.compute(own, List.of(f, f), Residual.LOG_RATIO, 1e-12);
        assertArrayEquals(w, two.get("w").data(), 1e-7f);
        // against an unchanged style the score is 0
        ModelState same = ResidualFisher.compute(own, List.of(own), Residual.LOG_RATIO, 1e-12);
        assertArrayEquals(new float[6], same.get("w").data());
    }

    @Test
    void directionDividesThePairedDifferenceBySumPlusTau() {
        ModelState own = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {2}, 1, 4));
        ModelState f1 = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {2}, 4, 1));
        ModelState d1 = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {2}, 1, 9));
        ModelState f2 = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {2}, 1, 4));
        ModelState d2 = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {2}, 0, 0));
        // τ = median(1, 4) = 2.5; site 1: [1/(4+1+2.5), 9/(1+4+2.5)]; site 2 (same gradients): [0, 0]
        ModelState r = ResidualFisher.direction(own, List.of(f1, f2), List.of(d1, d2));
        assertArrayEquals(new float[] {(float) (1 / 7.5 / 2), (float) (9 / 7.5 / 2)}, r.get("w").data(), 1e-7f);
        // a pure gain c = 2 of every per-sample gradient: D = (c−1)²F, F_n = c²F → (c−1)²F/((c²+1)F + τ), near 1/5 for F ≫ τ
        ModelState big = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {3}, 100, 1000, 10000));
        ModelState gained = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {3}, 400, 4000, 40000));
        ModelState dg = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {3}, 100, 1000, 10000));
        float[] g = ResidualFisher.direction(big, List.of(gained), List.of(dg)).get("w").data();
        assertArrayEquals(new float[] {(float) (100 / 1500.0), (float) (1000 / 6000.0), (float) (10000 / 51000.0)}, g, 1e-7f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResidualFisher.compute(own, List.of(f1), Residual.DIRECTION, 1e-12));
        assertTrue(e.getMessage().contains("resfim.residual = direction"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ResidualFisher.direction(own, List.of(f1, f2), List.of(d1)));
        assertTrue(e.getMessage().contains("1 gradient differences for 2"), e.getMessage());
    }

    @Test
    void parseNamesTheKey() {
        assertEquals(Residual.MAX, Residual.parse("max"));
        assertEquals(Residual.RELATIVE, Residual.parse(" Relative "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Residual.parse("squared"));
        assertEquals("resfim.residual must be absolute, relative, max, log-ratio or direction, got 'squared'", e.getMessage());
    }

    @Test
    void threeMillionParametersWithFourForeignSites() {
        // (its time is a figure of `resfim bench core`, not a test)
        ModelState own = UNetLayout.unetLike(1);
        List<ModelState> foreign = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            foreign.add(UNetLayout.unetLike(2 + n));
        }
        ModelState r = ResidualFisher.compute(own, foreign, Residual.ABSOLUTE, 1e-12);
        assertEquals(own.filter(t -> t.role().trainable()).numElements(), r.numElements());
        Tensor t = r.tensors().iterator().next();
        for (int i : new int[] {0, t.size() / 2, t.size() - 1}) {
            double expected = 0;
            for (ModelState f : foreign) {
                expected += Math.abs(f.get(t.name()).data()[i] - own.get(t.name()).data()[i]) / foreign.size();
            }
            assertEquals(expected, t.data()[i], 1e-6 * expected, t.name() + "[" + i + "]");
        }
        assertFalse(r.contains("enc1.conv1.bn.running_mean"));
    }
}
