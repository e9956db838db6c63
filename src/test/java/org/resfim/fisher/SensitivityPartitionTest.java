package org.resfim.fisher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.resfim.fisher.PartitionConfig.Scope;
import org.resfim.fisher.PartitionConfig.Variant;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

class SensitivityPartitionTest {

    private static BitSet bits(int... idx) {
        BitSet b = new BitSet();
        for (int i : idx) {
            b.set(i);
        }
        return b;
    }

    /** conv[2,5], bias[3], bn.weight[4], bn.running_mean[4] (not trainable), head.bias[1]. */
    private static ModelState scores() {
        return FisherFixtures.state(
                FisherFixtures.t("conv", TensorRole.CONV_WEIGHT, new int[] {2, 5},
                        0.1f, 0.9f, 0.5f, 0.9f, 0.2f, 0.0f, 0.3f, 0.9f, 0.05f, 0.4f),
                FisherFixtures.t("bias", TensorRole.CONV_BIAS, new int[] {3}, 3, 1, 2),
                FisherFixtures.t("bn.weight", TensorRole.NORM_WEIGHT, new int[] {4}, 1, 1, 1, 1),
                FisherFixtures.t("bn.running_mean", TensorRole.NORM_RUNNING_MEAN, new int[] {4}, 9, 9, 9, 9),
                FisherFixtures.t("head.bias", TensorRole.HEAD_BIAS, new int[] {1}, 5));
    }

    private static Mask perTensor(ModelState scores, ModelState layout, double rho) {
        return SensitivityPartition.partition(scores, layout, Variant.RESFIM, Scope.PER_TENSOR, rho, 0);
    }

    @Test
    void countRoundsHalfUp() {
        assertEquals(1, SensitivityPartition.count(5, 0.2));
        assertEquals(0, SensitivityPartition.count(2, 0.2));      // 0.4
        assertEquals(1, SensitivityPartition.count(3, 0.2));      // 0.6
        assertEquals(3, SensitivityPartition.count(10, 0.25));    // 2.5
        assertEquals(1, SensitivityPartition.count(1, 0.5));      // 0.5: at least one
        assertEquals(0, SensitivityPartition.count(1, 0.2));
        assertEquals(0, SensitivityPartition.count(0, 0.9));
        assertEquals(640_000, SensitivityPartition.count(3_200_000, 0.2));
    }

    @Test
    void perTensorTakesExactlyTheTopRhoOfEachTensorWithLowerIndexOnTies() {
        ModelState s = scores();
        Mask m = perTensor(s, s, 0.2);
        assertEquals(s.names(), m.names(), "the mask covers exactly the layout");
        assertEquals(bits(1, 3), m.bits("conv"), "0.9 at 1, 3, 7: the two lowest indices");
        assertEquals(bits(0), m.bits("bias"));
        assertEquals(bits(0), m.bits("bn.weight"), "all equal: index 0");
        assertEquals(bits(), m.bits("head.bias"), "0.2 x 1 rounds to 0");
        assertEquals(bits(), m.bits("bn.running_mean"), "running statistics never personal");

        m = perTensor(s, s, 0.5);
        assertEquals(bits(1, 2, 3, 7, 9), m.bits("conv"));
        assertEquals(bits(0, 2), m.bits("bias"));
        assertEquals(bits(0, 1), m.bits("bn.weight"));
        assertEquals(bits(0), m.bits("head.bias"));
        assertEquals(bits(), m.bits("bn.running_mean"));

        // FIM is the same selection on whatever score it is given
        assertEquals(m, SensitivityPartition.partition(s, s, Variant.FIM, Scope.PER_TENSOR, 0.5, 99));
        assertEquals(m, SensitivityPartition.partition(s, s, PartitionConfig.fromMap(
                java.util.Map.of("rho", 0.5, "variant", "fim")), 7));
    }

    @Test
    void tensorsMissingFromTheScoresGetNoBits() {
        ModelState layout = scores();
        ModelState partial = FisherFixtures.state(layout.get("conv"));
        Mask m = perTensor(partial, layout, 0.2);
        assertEquals(layout.names(), m.names());
        assertEquals(2, m.count("conv"));
        assertEquals(2, m.total());
    }

    @Test
    void globalScopeNormalisesPerTensorThenTakesTheTopRhoOfAll() {
        // a: mean 2 → [0.5, 0.5, 0.5, 2.5]; b: mean 4 → [1, 1, 1, 1]; c: mean 0 → [0, 0]; N = 10, k = 4
        ModelState s = FisherFixtures.state(
                FisherFixtures.conv("a", 1, 1, 1, 5),
                FisherFixtures.conv("b", 4, 4, 4, 4),
                FisherFixtures.conv("c", 0, 0),
                FisherFixtures.t("stats", TensorRole.NORM_RUNNING_VAR, new int[] {2}, 100, 100));
        Mask m = SensitivityPartition.partition(s, s, Variant.RESFIM, Scope.GLOBAL, 0.4, 0);
        assertEquals(bits(3), m.bits("a"));
        assertEquals(bits(0, 1, 2), m.bits("b"), "ties across the concatenation: lower index wins, b3 loses");
        assertEquals(bits(), m.bits("c"));
        assertEquals(bits(), m.bits("stats"));
        assertEquals(4, m.total());
        // raw scores would have picked a3 and all of b; per-tensor picks two of each
        Mask pt = SensitivityPartition.partition(s, s, Variant.RESFIM, Scope.PER_TENSOR, 0.4, 0);
        assertEquals(bits(3, 0), pt.bits("a"));
        assertEquals(bits(0, 1), pt.bits("b"));
    }

    @Test
    void layerwisePicksWholeTensorsByMeanScore() {
        ModelState s = FisherFixtures.state(
                FisherFixtures.conv("t0", 1, 1),
                FisherFixtures.conv("t1", 4, 6),
                FisherFixtures.conv("t2", 3, 3, 3),
                FisherFixtures.conv("t3", 5),
                FisherFixtures.conv("t4", 2, 2, 2, 2),
                FisherFixtures.t("t5.running_var", TensorRole.NORM_RUNNING_VAR, new int[] {1}, 1000));
        Mask m = SensitivityPartition.partition(s, s, Variant.LAYERWISE, Scope.PER_TENSOR, 0.4, 0);  // round(2.0) = 2
        assertEquals(List.of(0, 2, 0, 1, 0, 0), counts(m, s));                                    // means 5, 5
        assertEquals(bits(0, 1), m.bits("t1"));
        m = SensitivityPartition.partition(s, s, Variant.LAYERWISE, Scope.GLOBAL, 0.2, 0);       // 1 tensor: t1 (tie t3)
        assertEquals(List.of(0, 2, 0, 0, 0, 0), counts(m, s));
        m = SensitivityPartition.partition(s, s, Variant.LAYERWISE, Scope.PER_TENSOR, 0.05, 0);  // round(0.25) = 0 → 1
        assertEquals(List.of(0, 2, 0, 0, 0, 0), counts(m, s));
        m = SensitivityPartition.partition(s, s, Variant.LAYERWISE, Scope.PER_TENSOR, 0.7, 0);   // round(3.5) = 4
        assertEquals(List.of(0, 2, 3, 1, 4, 0), counts(m, s));
    }

    @Test
    void randomHasExactCountsAndIsReproduciblePerSeed() {
        ModelState s = UNetLayout.unetLike(3);
        Mask a = SensitivityPartition.partition(s, s, Variant.RANDOM, Scope.PER_TENSOR, 0.2, 11);
        Mask again = SensitivityPartition.partition(s, s, Variant.RANDOM, Scope.PER_TENSOR, 0.2, 11);
        Mask noScores = SensitivityPartition.partition(null, s, Variant.RANDOM, Scope.PER_TENSOR, 0.2, 11);
        Mask other = SensitivityPartition.partition(s, s, Variant.RANDOM, Scope.PER_TENSOR, 0.2, 12);
        assertEquals(a, again);
        assertEquals(a, noScores);
        assertNotEquals(a, other);
        for (Tensor t : s.tensors()) {
            int expect = t.role().trainable() ? SensitivityPartition.count(t.size(), 0.2) : 0;
            assertEquals(expect, a.count(t.name()), t.name());
            assertEquals(expect, other.count(t.name()), t.name());
        }
        Mask top = perTensor(s, s, 0.2);
        assertEquals(top.total(), a.total());
        assertNotEquals(top, a);

        Mask g = SensitivityPartition.partition(s, s, Variant.RANDOM, Scope.GLOBAL, 0.2, 11);
        long trainable = s.tensors().stream().filter(t -> t.role().trainable()).mapToLong(Tensor::size).sum();
        assertEquals(SensitivityPartition.count((int) trainable, 0.2), g.total());
        assertEquals(g, SensitivityPartition.partition(s, s, Variant.RANDOM, Scope.GLOBAL, 0.2, 11));
        assertEquals(0, g.count("enc1.conv1.bn.running_var"));
    }

    @Test
    void badInputIsRefusedNamingTheKeyOrTensor() {
        ModelState s = scores();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> perTensor(s, s, 1.5));
        assertEquals("resfim.rho must be in (0, 1), got 1.5", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> perTensor(s, s, 0));
        assertThrows(IllegalArgumentException.class, () -> perTensor(s, s, Double.NaN));

        ModelState wrong = FisherFixtures.state(FisherFixtures.t("conv", TensorRole.CONV_WEIGHT, new int[] {10}, new float[10]));
        e = assertThrows(IllegalArgumentException.class, () -> perTensor(wrong, s, 0.2));
        assertTrue(e.getMessage().contains("'conv'") && e.getMessage().contains("[10]") && e.getMessage().contains("[2, 5]"),
                e.getMessage());

        ModelState stranger = FisherFixtures.state(FisherFixtures.conv("decoder.extra", 1, 2));
        e = assertThrows(IllegalArgumentException.class, () -> perTensor(stranger, s, 0.2));
        assertTrue(e.getMessage().contains("'decoder.extra'"), e.getMessage());

        ModelState nan = s.copy();
        nan.get("bias").data()[1] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> perTensor(nan, s, 0.2));
        assertTrue(e.getMessage().contains("'bias' element 1 is NaN"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> SensitivityPartition.partition(null, s, Variant.RESFIM, Scope.PER_TENSOR, 0.2, 0));
        assertTrue(e.getMessage().contains("resfim"), e.getMessage());
    }

    @Test
    void threeMillionParametersPartitionToExactlyRhoOfEveryTensor() {
        // (its time is a figure of `resfim bench core`, not a test)
        ModelState s = UNetLayout.unetLike(4);
        assertTrue(s.numElements() > 3_000_000, "layout has " + s.numElements());
        Mask m = SensitivityPartition.partition(s, s, Variant.RESFIM, Scope.PER_TENSOR, 0.2, 0);
        long expected = 0;
        for (Tensor t : s.tensors()) {
            if (t.role().trainable()) {
                assertEquals(SensitivityPartition.count(t.size(), 0.2), m.count(t.name()), t.name());
                expected += SensitivityPartition.count(t.size(), 0.2);
            }
        }
        assertEquals(expected, m.total());
    }

    private static List<Integer> counts(Mask m, ModelState s) {
        return s.names().stream().map(m::count).toList();
    }
}
