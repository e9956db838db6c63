package org.resfim.fisher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.TensorRole;

/** The options of issue #15 on small handmade Fisher states: ties, gate, gain budget, diagnostics. */
class ResidualDesignsTest {

    private static BitSet bits(int... idx) {
        BitSet b = new BitSet();
        for (int i : idx) {
            b.set(i);
        }
        return b;
    }

    /** The residual's partition (resfim.variant = resfim; the default is fim) with {@code kv} set. */
    private static PartitionConfig config(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("variant", "resfim");
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return PartitionConfig.fromMap(m);
    }

    @Test
    void gainBudgetByHand() {
        // 40 elements, ρ 0.2 → 8; s = (1, 3, 0): c = 8 / (1·10 + 3·10) = 0.2 → fractions 0.2, 0.6, 0
        assertArrayEquals(new int[] {2, 6, 0}, GainBudget.counts(new int[] {10, 10, 20}, new double[] {1, 3, 0}, 0.2));
        // ρ 0.5 → 7 of 14; c = 7/50 would give tensor 0 a fraction 1.4: it is made fully personal (4), the other gets 3
        assertArrayEquals(new int[] {4, 3}, GainBudget.counts(new int[] {4, 10}, new double[] {10, 1}, 0.5));
        // equal gains, 9 elements, ρ 0.5 → 5: 1.5 each, floors 1+1+1, the two missing to the earlier tensors
        assertArrayEquals(new int[] {2, 2, 1}, GainBudget.counts(new int[] {3, 3, 3}, new double[] {2, 2, 2}, 0.5));
        // no positive gain: the uniform fraction; NaN counts as 0
        assertArrayEquals(new int[] {2, 2, 1}, GainBudget.counts(new int[] {3, 3, 3}, new double[] {0, Double.NaN, 0}, 0.5));
        // the only positive tensor is full (3) and 2 are still missing: they go to the others by size (1, 1)
        assertArrayEquals(new int[] {3, 1, 1}, GainBudget.counts(new int[] {3, 3, 3}, new double[] {5, 0, 0}, 0.5));
        assertThrows(IllegalArgumentException.class, () -> GainBudget.counts(new int[] {3}, new double[] {-1}, 0.5));
    }

    /** w [8] and b [4], scores and F_k chosen so that every option picks a different set. */
    private static final ModelState OWN = FisherFixtures.state(
            FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {8}, 8, 7, 6, 5, 4, 3, 2, 1),
            FisherFixtures.t("b", TensorRole.CONV_BIAS, new int[] {4}, 4, 3, 2, 1));
    private static final ModelState SCORE = FisherFixtures.state(
            FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {8}, 1, 0, 3, 0, 9, 9, 9, 9),
            FisherFixtures.t("b", TensorRole.CONV_BIAS, new int[] {4}, 0, 0, 0, 0));

    @Test
    void gateChoosesByScoreOnlyAmongTheImportant() {
        // ρ 0.25: k = 2 of w, 1 of b
        Mask ungated = SensitivityPartition.partition(SCORE, OWN, null, OWN, config("rho", 0.25), 0);
        assertEquals(bits(4, 5), ungated.bits("w"), "four 9s tie: the lowest indices");
        Mask fim = SensitivityPartition.partition(OWN, OWN, config("rho", 0.25, "variant", "fim"), 0);
        assertEquals(bits(0, 1), fim.bits("w"));
        // g = 1: G = 2, the top two by F_k = the fim mask whatever the score
        assertEquals(fim, SensitivityPartition.partition(SCORE, OWN, null, OWN, config("rho", 0.25, "gate", 1), 0));
        // g = 2: G = 4 → {0,1,2,3} by F_k; by score among them 3 (at 2) and 1 (at 0)
        Mask g2 = SensitivityPartition.partition(SCORE, OWN, null, OWN, config("rho", 0.25, "gate", 2), 0);
        assertEquals(bits(0, 2), g2.bits("w"));
        assertEquals(bits(0), g2.bits("b"), "b: G = 2 → {0,1}, scores tie: index 0");
        // g = 1.5: G = floor(1.5·2 + 0.5) = 3 → {0,1,2}: the same two
        assertEquals(bits(0, 2), SensitivityPartition.partition(SCORE, OWN, null, OWN, config("rho", 0.25, "gate", 1.5), 0).bits("w"));
        // g = 4: G = 8, everything: the ungated choice
        assertEquals(ungated, SensitivityPartition.partition(SCORE, OWN, null, OWN, config("rho", 0.25, "gate", 4), 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SensitivityPartition.partition(SCORE, null, null, OWN, config("rho", 0.25, "gate", 2), 0));
        assertTrue(e.getMessage().startsWith("resfim.gate"), e.getMessage());
    }

    @Test
    void gainBudgetMovesThePersonalShareToTheTensorsThatMove() {
        // 12 elements, ρ 0.25 → 3; s_w = 0, s_b = 1: all three in b, none in w
        Map<String, Double> gains = Map.of("w", 0.0, "b", 1.0);
        Mask m = SensitivityPartition.partition(OWN, OWN, gains, OWN, config("rho", 0.25, "variant", "fim", "budget", "gain"), 0);
        assertEquals(bits(), m.bits("w"));
        assertEquals(bits(0, 1, 2), m.bits("b"), "by F_k within b (variant fim)");
        // s_w = 1, s_b = 1: the uniform fractions; w 8·0.25 = 2 and b 1
        m = SensitivityPartition.partition(SCORE, OWN, Map.of("w", 1.0, "b", 1.0), OWN, config("rho", 0.25, "budget", "gain"), 0);
        assertEquals(bits(4, 5), m.bits("w"), "by the residual within w (variant resfim)");
        assertEquals(1, m.count("b"));
        // with a gate as well: w keeps 2 among its top 4 by F_k
        m = SensitivityPartition.partition(SCORE, OWN, Map.of("w", 1.0, "b", 1.0), OWN, config("rho", 0.25, "budget", "gain", "gate", 2), 0);
        assertEquals(bits(0, 2), m.bits("w"));
        assertThrows(IllegalArgumentException.class,
                () -> SensitivityPartition.partition(SCORE, OWN, null, OWN, config("budget", "gain"), 0));
    }

    @Test
    void randomTiesSpreadDeadElementsAndAreSeeded() {
        // b scores all 0 (dead): lowest-index keeps element 0; random keeps each with probability 1/4
        PartitionConfig random = config("rho", 0.25, "ties", "random");
        Mask a = SensitivityPartition.partition(SCORE, OWN, random, 5);
        assertEquals(a, SensitivityPartition.partition(SCORE, OWN, random, 5), "seeded");
        int[] hits = new int[4];
        for (long seed = 0; seed < 400; seed++) {
            Mask m = SensitivityPartition.partition(SCORE, OWN, random, seed);
            assertEquals(2, m.count("w"));
            assertEquals(1, m.count("b"));
            m.bits("b").stream().forEach(i -> hits[i]++);
            BitSet w = m.bits("w");
            w.andNot(bits(4, 5, 6, 7));
            assertTrue(w.isEmpty(), "only the tied 9s are drawn among");
        }
        for (int h : hits) {
            assertEquals(100, h, 35, "binomial(400, 1/4): sd 8.7");
        }
    }

    @Test
    void optionsThatDoNotFitTheVariantOrScopeAreRefusedNamingTheKey() {
        assertTrue(message("budget", "gain", "scope", "global").startsWith("resfim.budget"));
        assertTrue(message("budget", "gain", "variant", "random").startsWith("resfim.budget"));
        assertTrue(message("gate", 2, "variant", "layerwise").startsWith("resfim.gate"));
        assertTrue(message("gate", 0.5).startsWith("resfim.gate must be 0 (no gate) or a number >= 1"));
        assertTrue(message("ties", "first").startsWith("resfim.ties must be lowest-index or random"));
        assertTrue(message("budget", "even").startsWith("resfim.budget must be uniform or gain"));
        assertTrue(message("eps", "median").startsWith("resfim.eps must be a number or tau"));
        // fim (the default) ranks no residual: residual options with it are refused, not ignored
        assertTrue(message("variant", "fim", "residual", "relative").startsWith("resfim.residual = relative needs a residual"));
        assertTrue(message("variant", "fim", "gate", 2).startsWith("resfim.gate needs"));
        PartitionConfig c = config("eps", "tau", "residual", "relative");
        assertTrue(c.epsTau());
        assertTrue(config("variant", "fim", "budget", "gain").needsForeignFisher(), "the gain budget needs the foreign Fishers");
        assertEquals(PartitionConfig.defaults(), new PartitionConfig(PartitionConfig.Variant.FIM, Residual.ABSOLUTE,
                PartitionConfig.Scope.PER_TENSOR, 0.2, 1e-12, false, PartitionConfig.Ties.LOWEST_INDEX, PartitionConfig.Budget.UNIFORM, 0.0));
    }

    private static String message(Object... kv) {
        return assertThrows(IllegalArgumentException.class, () -> config(kv)).getMessage();
    }

    @Test
    void diagnosticsByHand() {
        ModelState own = FisherFixtures.fisher(new float[] {1, 2, 0, 4}, new float[] {0.5f, 0, 3}, new float[] {-7, 9});
        ModelState f1 = FisherFixtures.fisher(new float[] {3, 2, 1, 0}, new float[] {0.5f, 0, 1}, new float[] {1, 1});
        ModelState f2 = FisherFixtures.fisher(new float[] {1, 5, 0, 8}, new float[] {1.5f, 0, 3}, new float[] {1, 1});
        // w: Σ_p mean_n |F_n − F_k| = (7 + 7)/2 = 7, Σ F_k = 7 → s = 1; b: (2 + 1)/2 = 1.5 over 3.5 → 3/7
        Map<String, Double> g = ResidualDiagnostics.gains(own, List.of(f1, f2));
        assertEquals(List.of("w", "b"), List.copyOf(g.keySet()));
        assertEquals(1.0, g.get("w"), 1e-12);
        assertEquals(3.0 / 7, g.get("b"), 1e-12);
        assertEquals(8.5 / 10.5, ResidualDiagnostics.overallGain(own, List.of(f1, f2)), 1e-12);

        assertEquals(1.0, ResidualDiagnostics.spearman(new float[] {1, 2, 3, 4}, new float[] {10, 20, 30, 40}), 1e-12);
        assertEquals(-1.0, ResidualDiagnostics.spearman(new float[] {1, 2, 3, 4}, new float[] {4, 3, 2, 1}), 1e-12);
        // ties: ranks [1.5, 1.5, 3, 4] against [1, 2, 3, 4]: 4.5 / sqrt(4.5 · 5)
        assertEquals(4.5 / Math.sqrt(22.5), ResidualDiagnostics.spearman(new float[] {0, 0, 1, 2}, new float[] {1, 2, 3, 4}), 1e-12);
        assertEquals(1.0, ResidualDiagnostics.spearman(new float[] {0, 1e-30f, 1e-20f, 5}, new float[] {0, 1, 2, 3}), 1e-12,
                "log is monotone: tiny values rank like large ones");
        assertTrue(Double.isNaN(ResidualDiagnostics.spearman(new float[] {3, 3, 3}, new float[] {1, 2, 3})), "constant: undefined");
        assertEquals(1.0 / 3, ResidualDiagnostics.jaccard(bits(0, 1), bits(1, 2)), 1e-12);
        assertEquals(1.0, ResidualDiagnostics.jaccard(bits(), bits()), 0);

        // the mechanism: a foreign Fisher that is a pure gain (F_n = 3·F_k) makes the absolute residual 2·F_k:
        // the same ranking as F_k (Spearman 1, Jaccard 1) and s_t = 2; log-ratio sees no domain signal at all
        ModelState own2 = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {2, 4}, 1, 5, 2, 7, 3, 8, 4, 6));
        ModelState gained = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {2, 4}, 3, 15, 6, 21, 9, 24, 12, 18));
        PartitionConfig c = config("rho", 0.25);
        ModelState abs = ResidualFisher.compute(own2, List.of(gained), Residual.ABSOLUTE, 1e-12);
        Mask chosen = SensitivityPartition.partition(abs, own2, c, 0);
        Mask fim = SensitivityPartition.partition(own2, own2, c.plainFim(), 0);
        Map<String, Double> st = ResidualDiagnostics.stats(own2, List.of(gained), abs, chosen, fim);
        assertEquals(1.0, st.get("jaccard_fim.w"), 0);
        assertEquals(1.0, st.get("spearman_fim.w"), 1e-12);
        assertEquals(2.0, st.get("gain.w"), 1e-12);
        assertEquals(2.0, st.get("gain"), 1e-12);
        assertEquals(1.0, st.get("jaccard_fim"), 0);
        assertEquals(1.0, st.get("spearman_fim"), 1e-12);
        float[] lr = ResidualFisher.compute(own2, List.of(gained), Residual.LOG_RATIO, 1e-12).get("w").data();
        // τ = median(1..8) = 4.5: d = log((3F + 4.5)/(F + 4.5)) is not exactly constant (τ is of F's size), but every
        // |d − channel median| is well below the gain's log 3 = 1.10 (by hand: at most 0.29, at w[0])
        for (float v : lr) {
            assertTrue(v < 0.3, "log-ratio of a pure gain: " + v);
        }
        assertEquals((Math.log(10.5 / 6.5) + Math.log(19.5 / 9.5)) / 2 - Math.log(7.5 / 5.5), lr[0], 1e-6);
        // against an unrelated residual the diagnostics say so: score reversed → Spearman −1, masks disjoint
        ModelState reversed = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {2, 4}, 8, 4, 7, 2, 6, 1, 5, 3));
        Mask other = SensitivityPartition.partition(reversed, own2, c, 0);
        Map<String, Double> st2 = ResidualDiagnostics.stats(own2, List.of(gained), reversed, other, fim);
        assertEquals(-1.0, st2.get("spearman_fim.w"), 1e-12);
        assertEquals(0.0, st2.get("jaccard_fim.w"), 0);
    }

    @Test
    void nullMaskOverlapByHand() {
        // F_k = 1..8 over w [8]; ρ = 0.25 → 2 personal elements; fim picks the two largest F_k: 7 (index 3) and 8 (index 5)
        ModelState own = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {8}, 1, 5, 2, 7, 3, 8, 4, 6));
        PartitionConfig c = config("rho", 0.25);
        Mask fim = SensitivityPartition.partition(own, own, c.plainFim(), 0);
        assertEquals(bits(3, 5), fim.bits("w"));
        // a null Fisher that is a pure gain of F_k: |F_null − F_k| = 0.5·F_k ranks like F_k, so the null mask is fim's
        ModelState half = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {8}, 0.5f, 2.5f, 1, 3.5f, 1.5f, 4, 2, 3));
        assertEquals(1.0, ResidualDiagnostics.nullMaskOverlap(own, half, c, own, fim, 0), 0);
        // a null that moves indices 0 and 2 most (|Δ| 9 and 8, others ≤ 1): mask {0, 2} against fim's {3, 5} → disjoint
        ModelState moved = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {8}, 10, 5, 10, 7, 3, 8, 4, 7));
        assertEquals(0.0, ResidualDiagnostics.nullMaskOverlap(own, moved, c, own, fim, 0), 0);
        // one of the two moved most (index 3, |Δ| 9) and index 0 (|Δ| 8): {0, 3} against {3, 5} → 1/3
        ModelState one = FisherFixtures.state(FisherFixtures.t("w", TensorRole.CONV_WEIGHT, new int[] {8}, 9, 5, 2, 16, 3, 8, 4, 6));
        assertEquals(1.0 / 3, ResidualDiagnostics.nullMaskOverlap(own, one, c, own, fim, 0), 1e-12);
        // whole-mask Jaccard over the trainable tensors of a layout
        assertEquals(1.0 / 3, ResidualDiagnostics.jaccard(SensitivityPartition.partition(
                ResidualFisher.compute(own, List.of(one), Residual.ABSOLUTE, 1e-12), own, c, 0), fim, own), 1e-12);
    }
}
