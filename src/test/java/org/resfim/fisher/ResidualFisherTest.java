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
    void parseNamesTheKey() {
        assertEquals(Residual.MAX, Residual.parse("max"));
        assertEquals(Residual.RELATIVE, Residual.parse(" Relative "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Residual.parse("squared"));
        assertEquals("resfim.residual must be absolute, relative or max, got 'squared'", e.getMessage());
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
