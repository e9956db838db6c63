package org.resfim.algorithms;

import org.junit.jupiter.api.Test;
import org.resfim.config.ConfigException;
import org.resfim.federation.Aggregation;
import org.resfim.federation.ProcedureState;
import org.resfim.federation.FederationSettings;
import org.resfim.federation.Message;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.UploadSummary;
import org.resfim.state.Aggregator;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.resfim.algorithms.AlgoFixtures.handMade;

/**
 * Issue #17, scenario 1: one authenticated site must not take the shared model over with a huge sample count or
 * huge values. Counts are declared at SETUP and fixed; weights can be capped or equal; updates can be clipped; the
 * mean can be replaced by the median or the trimmed mean, per element.
 */
class BoundedInfluenceTest {
    private static final List<String> SITES = List.of("a", "b", "c");

    static ModelState filled(ModelState layout, float v) {
        ModelState s = new ModelState();
        for (Tensor t : layout.tensors()) {
            float[] d = new float[t.size()];
            java.util.Arrays.fill(d, v);
            s.put(t.withData(d));
        }
        return s;
    }

    /** ±1e30 in every element: finite, so it passes every value check. */
    static ModelState hostile(ModelState layout) {
        ModelState s = new ModelState();
        for (Tensor t : layout.tensors()) {
            float[] d = new float[t.size()];
            for (int i = 0; i < d.length; i++) {
                d[i] = i % 2 == 0 ? 1e30f : -1e30f;
            }
            s.put(t.withData(d));
        }
        return s;
    }

    static Reply setup(String site, long n) {
        return new Reply(site, Phase.SETUP, 0, null, n, null, null);
    }

    static Reply fit(String site, ModelState up, long n) {
        return new Reply(site, Phase.FIT, 1, Message.of(up), n, null, null);
    }

    static double maxAbs(ModelState s) {
        double m = 0;
        for (Tensor t : s.tensors()) {
            for (float v : t.data()) {
                m = Math.max(m, Math.abs(v));
            }
        }
        return m;
    }

    private static MaskedAverageServer server(ModelState layout, Aggregation a) {
        MaskedAverageServer s = (MaskedAverageServer) AlgorithmRegistry.create("fedavg").newServer(layout);
        s.configure(a);
        s.setup(List.of(setup("a", 10), setup("b", 10), setup("c", 10)));
        return s;
    }

    @Test
    void aSampleCountOtherThanTheOneDeclaredAtSetupIsRefusedNamingBoth() {
        ModelState layout = handMade(1);
        MaskedAverageServer s = server(layout, Aggregation.DEFAULT);
        s.aggregate(1, List.of(fit("a", filled(layout, 1), 10), fit("b", filled(layout, 3), 10),
                fit("c", hostile(layout), Long.MAX_VALUE)), SITES);
        assertEquals(java.util.Set.of("c"), s.lastRejections().keySet(), "only c refused");
        String why = s.lastRejections().get("c");
        assertTrue(why.contains("reports " + Long.MAX_VALUE + " training samples but declared 10 at SETUP"), why);
        assertEquals(2.0, maxAbs(s.global()), 1e-6, "the honest sites' mean");
        // the count survives a checkpoint: a resumed server refuses the same
        MaskedAverageServer resumed = (MaskedAverageServer) AlgorithmRegistry.create("fedavg").newServer(layout);
        ProcedureState saved = s.save();
        resumed.restore(saved);
        assertEquals(Map.of("a", 10L, "b", 10L, "c", 10L), resumed.declaredSamples());
        resumed.aggregate(2, List.of(fit("a", filled(layout, 1), 10), fit("c", filled(layout, 5), 11)), SITES);
        assertTrue(resumed.lastRejections().containsKey("c"));
    }

    @Test
    void aSiteThatMissedSetupDeclaresItsCountWithItsFirstUpload() {
        ModelState layout = handMade(1);
        MaskedAverageServer s = (MaskedAverageServer) AlgorithmRegistry.create("fedavg").newServer(layout);
        s.aggregate(1, List.of(fit("a", filled(layout, 1), 10)), SITES);
        assertTrue(s.lastRejections().isEmpty());
        s.aggregate(2, List.of(fit("a", filled(layout, 1), 1_000_000)), SITES);
        assertTrue(s.lastRejections().containsKey("a"), s.lastRejections().toString());
    }

    @Test
    void theDefaultMeanIsTakenOverByHugeValuesButMedianTrimmedMeanAndClippingAreNot() {
        ModelState layout = handMade(1);
        ModelState g0 = filled(layout, 0);
        // c declares a huge count at SETUP already and sends ±1e30: the default weighted mean follows it
        MaskedAverageServer mean = (MaskedAverageServer) AlgorithmRegistry.create("fedavg").newServer(g0);
        mean.setup(List.of(setup("a", 10), setup("b", 10), setup("c", Integer.MAX_VALUE)));
        List<Reply> ups = List.of(fit("a", filled(layout, 1), 10), fit("b", filled(layout, 3), 10), fit("c", hostile(layout), Integer.MAX_VALUE));
        mean.aggregate(1, ups, SITES);
        assertTrue(maxAbs(mean.global()) > 1e29, "the default is FedAvg as published");

        for (Aggregation a : List.of(new Aggregation(Aggregator.median(), Aggregation.Weights.SAMPLES, 0, 0),
                new Aggregation(Aggregator.trimmedMean(0.34), Aggregation.Weights.SAMPLES, 0, 0))) {
            MaskedAverageServer s = (MaskedAverageServer) AlgorithmRegistry.create("fedavg").newServer(g0);
            s.configure(a);
            s.setup(List.of(setup("a", 10), setup("b", 10), setup("c", Integer.MAX_VALUE)));
            s.aggregate(1, ups, SITES);
            // median of {1, 3, ±1e30} is 1 or 3 per element; the trimmed mean drops the extremes: 3 or 1
            assertTrue(maxAbs(s.global()) <= 3.0 + 1e-6, a + ": " + maxAbs(s.global()));
        }

        MaskedAverageServer clipped = (MaskedAverageServer) AlgorithmRegistry.create("fedavg").newServer(g0);
        clipped.configure(new Aggregation(Aggregator.MEAN, Aggregation.Weights.SAMPLES, 0, 1.0));
        clipped.setup(List.of(setup("a", 10), setup("b", 10), setup("c", Integer.MAX_VALUE)));
        clipped.aggregate(1, ups, SITES);
        assertTrue(maxAbs(clipped.global()) <= 1.0 + 1e-6, "every update is at most 1 in norm: " + maxAbs(clipped.global()));
        List<UploadSummary> u = clipped.lastUploads();
        assertEquals(List.of("a", "b", "c"), u.stream().map(UploadSummary::site).toList());
        assertTrue(u.get(2).clipped() && u.get(2).updateNorm() > 1e30, u.toString());
        assertEquals(Integer.MAX_VALUE, u.get(2).numSamples());
        double expectedA = Math.sqrt(layout.numElements());
        assertEquals(expectedA, u.get(0).updateNorm(), 1e-9 * expectedA);

        // capped or equal weights bound what a count can do
        Aggregation capped = new Aggregation(Aggregator.MEAN, Aggregation.Weights.SAMPLES, 10, 0);
        assertEquals(10.0, capped.weight(Integer.MAX_VALUE));
        Aggregation equal = new Aggregation(Aggregator.MEAN, Aggregation.Weights.EQUAL, 0, 0);
        assertEquals(1.0, equal.weight(Integer.MAX_VALUE));
    }

    @Test
    void theKeysAreReadFromTheFederationSectionWithTheirDefaultsKeepingFedAvg() throws Exception {
        FederationSettings d = FederationSettings.from(Map.of());
        assertTrue(d.aggregation().standard());
        FederationSettings f = FederationSettings.from(Map.of("aggregator", "trimmed_mean", "trim", 0.2, "clip_norm", 5.0,
                "weights", "equal", "max_samples", 100));
        assertEquals(Aggregator.trimmedMean(0.2), f.aggregation().aggregator());
        assertEquals(5.0, f.aggregation().clipNorm());
        assertEquals(Aggregation.Weights.EQUAL, f.aggregation().weights());
        assertEquals(100, f.aggregation().maxSamples());
        // the resolved configuration and the plan hash name the aggregation only when it is not the default
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertFalse(json.writeValueAsString(d).contains("aggregation"), json.writeValueAsString(d));
        String named = json.writeValueAsString(f);
        assertTrue(named.contains("\"aggregation\"") && named.contains("TRIMMED_MEAN") && named.contains("\"clipNorm\":5.0"), named);
        ConfigException e = assertThrows(ConfigException.class, () -> FederationSettings.from(Map.of("aggregator", "krum")));
        assertTrue(e.getMessage().contains("federation.aggregator"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> FederationSettings.from(Map.of("trim", 0.5)));
        assertTrue(e.getMessage().contains("federation.trim"), e.getMessage());
    }
}
