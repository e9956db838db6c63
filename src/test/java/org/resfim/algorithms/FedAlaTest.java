package org.resfim.algorithms;

import org.junit.jupiter.api.Test;
import org.resfim.config.ConfigException;
import org.resfim.federation.Message;
import org.resfim.federation.SiteParticipant;
import org.resfim.model.UNetArchitecture;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.Tensor;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.resfim.algorithms.AlgoFixtures.*;

class FedAlaTest {

    static ModelState filled(ModelState layout, List<String> names, float value) {
        ModelState out = new ModelState();
        for (String n : names) {
            float[] d = new float[layout.get(n).size()];
            java.util.Arrays.fill(d, value);
            out.put(layout.get(n).withData(d));
        }
        return out;
    }

    @Test
    void unitWeightsGiveTheGlobalModelAndZeroWeightsKeepTheLocalTopTensors() {
        ModelState local = handMade(1);
        ModelState global = handMade(2);
        List<String> top = FedAla.topTensors(global, 0);
        assertEquals(List.of("u.0.c2.weight", "u.0.b2.weight", "head.weight", "head.bias"), top);
        assertBitIdentical(global, FedAla.combine(local, global, FedAla.ones(global, top)));
        ModelState keep = FedAla.combine(local, global, filled(global, top, 0f));
        for (Tensor t : global.tensors()) {
            AlgoFixtures.assertBitIdentical(top.contains(t.name()) ? local.get(t.name()) : t, keep.get(t.name()));
        }
        ModelState half = FedAla.combine(local, global, filled(global, top, 0.5f));
        for (String n : top) {
            for (int i = 0; i < global.get(n).size(); i++) {
                float k = local.get(n).data()[i];
                float g = global.get(n).data()[i];
                assertEquals((float) (0.5 * g + 0.5 * k), half.get(n).data()[i], 0.0, n);
            }
        }
    }

    @Test
    void weightStepFollowsTheRuleAndIsClippedToTheUnitInterval() {
        ModelState layout = handMade(1);
        List<String> top = List.of("head.bias");
        ModelState w = filled(layout, top, 0.5f);
        ModelState local = filled(layout, top, 1.0f);
        ModelState global = filled(layout, top, 1.5f);          // θ_g − θ_k = 0.5
        ModelState grad = new ModelState();
        grad.put(layout.get("head.bias").withData(new float[] {0.4f}));
        // 0.5 − 1·0.4·0.5 = 0.3
        assertEquals(0.3f, FedAla.updateWeights(w, grad, local, global, 1.0).get("head.bias").data()[0], 1e-7);
        assertEquals(0f, FedAla.updateWeights(w, grad, local, global, 100.0).get("head.bias").data()[0], 0.0);
        grad.put(layout.get("head.bias").withData(new float[] {-0.4f}));
        assertEquals(1f, FedAla.updateWeights(w, grad, local, global, 100.0).get("head.bias").data()[0], 0.0);
        assertEquals(0.5f, FedAla.updateWeights(w, grad, local, global, 0.0).get("head.bias").data()[0], 0.0);
    }

    @Test
    void theDefaultTopTensorsAreTheDecodersLastStageAndTheHead() {
        ModelState layout = UNetArchitecture.layout(TINY);
        List<String> expected = new ArrayList<>();
        for (Tensor t : layout.tensors()) {
            if (t.role().trainable() && (t.name().startsWith("u.1.") || t.part() == NetworkPart.HEAD)) {
                expected.add(t.name());
            }
        }
        assertEquals(14, expected.size());
        assertEquals(expected, FedAla.topTensors(layout, 0));
        assertEquals(List.of("head.weight", "head.bias"), FedAla.topTensors(layout, 2));
        assertThrows(ConfigException.class, () -> FedAla.topTensors(layout, 1000));
        assertThrows(ConfigException.class, () -> AlgorithmRegistry.create("fedala:layers=0"));
        assertThrows(ConfigException.class, () -> AlgorithmRegistry.create("fedala:layers=top"));
    }

    @Test
    void withEtaZeroTheSiteTakesTheGlobalModelExactly() {
        SiteParticipant ctx = context();
        FedAla.Client c = (FedAla.Client) AlgorithmRegistry.create("fedala:eta=0").newClient("s");
        c.setup(ctx, initial(3));
        c.fit(ctx, 1, Message.empty());
        ModelState global = initial(4);
        c.receive(ctx, 1, Message.of(global));
        assertBitIdentical(global, c.model());
        for (Tensor w : c.weights().tensors()) {
            for (float v : w.data()) {
                assertEquals(1f, v, 0.0);
            }
        }
        assertFalse(c.startPhase(), "the first ALA ran");
    }

    @Test
    void learnedWeightsStayInTheUnitIntervalAndOnlyTouchTheTopTensors() {
        SiteParticipant ctx = context();
        FedAla.Client c = (FedAla.Client) AlgorithmRegistry.create("fedala:eta=1000,max_steps=3").newClient("s");
        c.setup(ctx, initial(3));
        c.fit(ctx, 1, Message.empty());
        ModelState local = c.model();
        ModelState global = initial(4);
        c.receive(ctx, 1, Message.of(global));
        ModelState w = c.weights();
        int below = 0;
        for (Tensor t : w.tensors()) {
            for (float v : t.data()) {
                assertTrue(v >= 0f && v <= 1f, t.name() + ": " + v);
                below += v < 1f ? 1 : 0;
            }
        }
        assertTrue(below > 0, "some weights were learned");
        ModelState hat = c.model();
        for (Tensor g : global.tensors()) {
            if (!w.contains(g.name())) {
                AlgoFixtures.assertBitIdentical(g, hat.get(g.name())); // lower tensors (and all running statistics) take θ_g
                continue;
            }
            float[] wd = w.get(g.name()).data();
            float[] kd = local.get(g.name()).data();
            for (int i = 0; i < g.size(); i++) {
                float expected = (float) ((double) wd[i] * g.data()[i] + (1.0 - wd[i]) * kd[i]);
                assertEquals(expected, hat.get(g.name()).data()[i], 0.0, g.name());
            }
        }
    }

    @Test
    void theFirstAlaIteratesAndLaterRoundsMakeOnePass() {
        SiteParticipant ctx = context();
        FedAla.Client c = (FedAla.Client) AlgorithmRegistry.create("fedala:threshold=0,max_steps=4").newClient("s");
        ModelState initial = initial(3);
        c.setup(ctx, initial);
        // a global model equal to the site's own: nothing to learn, ALA is skipped and stays in its start phase
        c.receive(ctx, 0, Message.of(initial));
        assertTrue(c.startPhase());
        assertBitIdentical(initial, c.model());

        Message up = c.fit(ctx, 1, Message.empty());
        c.receive(ctx, 1, Message.of(shifted(up.tensors(), 0.02f)));
        assertFalse(c.startPhase());
        c.fit(ctx, 2, Message.empty());
        assertEquals(4.0, c.stats().get("ala_passes"), "threshold 0: the first ALA runs max_steps passes");
        c.receive(ctx, 2, Message.of(shifted(c.model(), 0.02f)));
        c.fit(ctx, 3, Message.empty());
        assertEquals(1.0, c.stats().get("ala_passes"));
    }
}
