package org.resfim.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.resfim.state.Fixtures.wb;

import java.util.List;
import org.junit.jupiter.api.Test;

class StateOpsTest {

    private static final ModelState S1 = wb(new float[] {1, 2, 3, 4}, new float[] {0, 0, 8});
    private static final ModelState S2 = wb(new float[] {5, 6, 7, 8}, new float[] {4, -4, 0});
    private static final ModelState S3 = wb(new float[] {-1, 0, 1, 2}, new float[] {8, 8, 8});

    @Test
    void weightedAverageOfThreeStatesWithUnevenWeights() {
        // weights 1:2:5 -> w = 1/8, 2/8, 5/8
        // w[0] = (1*1 + 2*5 + 5*(-1))/8 = 0.75, w[1] = (2+12+0)/8 = 1.75, w[2] = (3+14+5)/8 = 2.75, w[3] = (4+16+10)/8 = 3.75
        // b[0] = (0+8+40)/8 = 6, b[1] = (0-8+40)/8 = 4, b[2] = (8+0+40)/8 = 6
        ModelState avg = StateOps.weightedAverage(List.of(S1, S2, S3), new double[] {1, 2, 5});
        assertArrayEquals(new float[] {0.75f, 1.75f, 2.75f, 3.75f}, avg.get("w").data());
        assertArrayEquals(new float[] {6, 4, 6}, avg.get("b").data());
        assertEquals(List.of("w", "b"), avg.names());
        assertEquals(TensorRole.CONV_BIAS, avg.get("b").role());
        assertEquals(NetworkPart.DECODER, avg.get("b").part());
        // weights are normalised: scaling them changes nothing
        Fixtures.assertBitIdentical(avg, StateOps.weightedAverage(List.of(S1, S2, S3), new double[] {0.25, 0.5, 1.25}));
        // inputs untouched
        assertArrayEquals(new float[] {1, 2, 3, 4}, S1.get("w").data());
    }

    @Test
    void fedAvgOfIdenticalStatesIsBitIdentical() {
        ModelState s = Fixtures.random(7);
        s.get("enc1.bn1.weight").data()[1] = Float.MAX_VALUE;
        s.get("enc1.bn1.weight").data()[2] = -Float.MAX_VALUE;
        for (double[] w : new double[][] {{1, 1, 1}, {0.1, 0.7, 0.2}, {3, 1e-9, 17}, {1, 0, 0}}) {
            ModelState avg = StateOps.weightedAverage(List.of(s, s.copy(), s.copy()), w);
            Fixtures.assertBitIdentical(s, avg);
            MaskedAverage ma = StateOps.maskedAverage(List.of(s, s.copy(), s.copy()),
                    List.of(Mask.allInvariant(s), Mask.allInvariant(s), Mask.allInvariant(s)), w, StateOps.zerosLike(s));
            Fixtures.assertBitIdentical(s, ma.global());
            assertEquals(0, ma.unshared().total());
        }
    }

    @Test
    void maskedAverageWithOverlappingMasksAndAnUnsharedElement() {
        ModelState t1 = wb(new float[] {1, 2, 3, 4}, new float[] {0.5f, 1, 7});
        ModelState t2 = wb(new float[] {10, 20, 30, 40}, new float[] {1.5f, 2, 7});
        ModelState t3 = wb(new float[] {100, 200, 300, 400}, new float[] {2.5f, 3, 7});
        ModelState fallback = wb(new float[] {-1, -2, -3, -4}, new float[] {-5, -6, -7});
        Mask m1 = maskW(t1, 0, 1, 0, 1);
        Mask m2 = maskW(t1, 0, 0, 1, 1);
        Mask m3 = maskW(t1, 1, 0, 0, 1);
        m3.set("b", 1, true);
        MaskedAverage r = StateOps.maskedAverage(List.of(t1, t2, t3), List.of(m1, m2, m3), new double[] {1, 1, 2}, fallback);
        // w[0]: clients 1,2 share -> (1*1 + 1*10)/2 = 5.5
        // w[1]: clients 2,3 share -> (1*20 + 2*200)/3 = 140
        // w[2]: clients 1,3 share -> (1*3 + 2*300)/3 = 201
        // w[3]: nobody shares -> fallback -4
        assertArrayEquals(new float[] {5.5f, 140f, 201f, -4f}, r.global().get("w").data());
        // b[0]: all share -> (0.5 + 1.5 + 2*2.5)/4 = 1.75 ; b[1]: clients 1,2 -> (1+2)/2 = 1.5 ; b[2] = 7
        assertArrayEquals(new float[] {1.75f, 1.5f, 7f}, r.global().get("b").data());
        Mask expectedUnshared = Mask.allInvariant(t1);
        expectedUnshared.set("w", 3, true);
        assertEquals(expectedUnshared, r.unshared());
        assertEquals(1, r.unshared().total());
    }

    @Test
    void maskedAverageIgnoresZeroWeightClients() {
        ModelState t1 = wb(new float[] {1, 2, 3, 4}, new float[] {1, 2, 3});
        ModelState t2 = wb(new float[] {9, 9, 9, 9}, new float[] {9, 9, 9});
        Mask m1 = Mask.allPersonal(t1);
        Mask m2 = Mask.allInvariant(t1);
        MaskedAverage r = StateOps.maskedAverage(List.of(t1, t2), List.of(m1, m2), new double[] {1, 0}, t1);
        Fixtures.assertBitIdentical(t1, r.global());
        assertEquals(7, r.unshared().total());
    }

    @Test
    void maskedAverageWithAllInvariantMasksEqualsFedAvg() {
        ModelState a = Fixtures.random(1);
        ModelState b = Fixtures.random(2);
        ModelState c = Fixtures.random(3);
        double[] w = {3, 1, 2};
        MaskedAverage r = StateOps.maskedAverage(List.of(a, b, c),
                List.of(Mask.allInvariant(a), Mask.allInvariant(a), Mask.allInvariant(a)), w, a);
        Fixtures.assertBitIdentical(StateOps.weightedAverage(List.of(a, b, c), w), r.global());
    }

    @Test
    void maskedAverageRefusesMismatchedMask() {
        Mask wrong = new Mask();
        wrong.addTensor("w", 5);
        wrong.addTensor("b", 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateOps.maskedAverage(
                List.of(S1, S2), List.of(Mask.allInvariant(S1), wrong), new double[] {1, 1}, S1));
        assertTrue(e.getMessage().contains("mask 1") && e.getMessage().contains("'w'"), e.getMessage());
    }

    @Test
    void composeTakesPersonalWhereMaskIsSet() {
        ModelState personal = wb(new float[] {1, 2, 3, 4}, new float[] {5, 6, 7});
        ModelState global = wb(new float[] {10, 20, 30, 40}, new float[] {50, 60, 70});
        Mask m = maskW(personal, 1, 0, 0, 1);
        m.set("b", 2, true);
        ModelState c = StateOps.compose(personal, global, m);
        assertArrayEquals(new float[] {1, 20, 30, 4}, c.get("w").data());
        assertArrayEquals(new float[] {50, 60, 7}, c.get("b").data());
        Fixtures.assertBitIdentical(global, StateOps.compose(personal, global, Mask.allInvariant(personal)));
        Fixtures.assertBitIdentical(personal, StateOps.compose(personal, global, Mask.allPersonal(personal)));
    }

    @Test
    void invariantOnlyZeroesPersonalElements() {
        ModelState s = wb(new float[] {1, 2, 3, 4}, new float[] {5, 6, 7});
        ModelState u = StateOps.invariantOnly(s, maskW(s, 0, 1, 1, 0));
        assertArrayEquals(new float[] {1, 0, 0, 4}, u.get("w").data());
        assertArrayEquals(new float[] {5, 6, 7}, u.get("b").data());
        assertArrayEquals(new float[] {1, 2, 3, 4}, s.get("w").data());
    }

    @Test
    void distancesAndNorms() {
        ModelState a = wb(new float[] {3, 0, 0, 0}, new float[] {0, 0, 12});
        ModelState b = wb(new float[] {0, 4, 0, 0}, new float[] {0, 0, 12});
        assertEquals(5.0, StateOps.l2Distance(a, b), 0.0);          // sqrt(3² + 4²)
        assertEquals(13.0, StateOps.l2Norm(wb(new float[] {3, 4, 0, 0}, new float[] {0, 0, 12})), 0.0); // sqrt(9+16+144)
        assertEquals(144.0, StateOps.dot(a, b), 0.0);
        assertEquals(4.0, StateOps.maxAbsDiff(a, b), 0.0);
        assertEquals(0.0, StateOps.l2Distance(a, a.copy()), 0.0);
    }

    @Test
    void elementwiseHelpers() {
        ModelState sum = StateOps.add(S1, S2);
        assertArrayEquals(new float[] {6, 8, 10, 12}, sum.get("w").data());
        assertArrayEquals(new float[] {4, -4, 8}, sum.get("b").data());
        ModelState diff = StateOps.subtract(S1, S2);
        assertArrayEquals(new float[] {-4, -4, -4, -4}, diff.get("w").data());
        assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2}, StateOps.scale(S1, 0.5).get("w").data());
        assertArrayEquals(new float[] {2 * 1 - 5, 2 * 2 - 6, 2 * 3 - 7, 2 * 4 - 8},
                StateOps.linear(2, S1, -1, S2).get("w").data());
        ModelState y = S1.copy();
        assertSame(y, StateOps.axpyInPlace(-2, S3, y));
        assertArrayEquals(new float[] {3, 2, 1, 0}, y.get("w").data());   // [1,2,3,4] - 2*[-1,0,1,2]
        assertArrayEquals(new float[] {-16, -16, -8}, y.get("b").data()); // [0,0,8] - 2*[8,8,8]
        assertArrayEquals(new float[4], StateOps.zerosLike(S1).get("w").data());
    }

    @Test
    void layoutMismatchNamesTensorAndBothShapes() {
        ModelState other = new ModelState();
        other.put(Fixtures.tensor("w", new int[] {4}, 1, 2, 3, 4));
        other.put(S1.get("b"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateOps.l2Distance(S1, other));
        assertEquals("l2Distance: tensor 'w' has shape [2, 2] in the first state and [4] in the second", e.getMessage());

        ModelState missing = new ModelState(List.of(S1.get("w")));
        e = assertThrows(IllegalArgumentException.class, () -> StateOps.add(S1, missing));
        assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("[3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StateOps.add(missing, S1));
        assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("missing from the first"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> StateOps.weightedAverage(List.of(S1, other), new double[] {1, 1}));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("[2, 2]") && e.getMessage().contains("[4]"));
    }

    @Test
    void badWeightsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> StateOps.weightedAverage(List.of(S1, S2), new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> StateOps.weightedAverage(List.of(S1, S2), new double[] {1, -1}));
        assertThrows(IllegalArgumentException.class, () -> StateOps.weightedAverage(List.of(S1, S2), new double[] {0, 0}));
        assertThrows(IllegalArgumentException.class,
                () -> StateOps.weightedAverage(List.of(S1, S2), new double[] {1, Double.NaN}));
        assertThrows(IllegalArgumentException.class, () -> StateOps.weightedAverage(List.of(), new double[0]));
    }

    private static Mask maskW(ModelState layout, int... wBits) {
        Mask m = Mask.allInvariant(layout);
        for (int i = 0; i < wBits.length; i++) {
            m.set("w", i, wBits[i] == 1);
        }
        return m;
    }
}
