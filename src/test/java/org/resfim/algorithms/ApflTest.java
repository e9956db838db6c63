package org.resfim.algorithms;

import org.junit.jupiter.api.Test;
import org.resfim.engine.Batch;
import org.resfim.engine.Gradients;
import org.resfim.engine.UNet;
import org.resfim.federation.ClientProcedure;
import org.resfim.federation.Message;
import org.resfim.federation.SiteParticipant;
import org.resfim.state.ModelState;
import org.resfim.state.StateOps;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import static org.junit.jupiter.api.Assertions.*;
import static org.resfim.algorithms.AlgoFixtures.*;

class ApflTest {

    /** The evaluated model, recomputed here: (float)(α·v + (1−α)·w) element by element. */
    static void assertIsMixture(Apfl.Client c) {
        double a = c.alpha();
        ModelState m = c.model();
        for (Tensor v : c.personal().tensors()) {
            float[] w = c.global().get(v.name()).data();
            float[] got = m.get(v.name()).data();
            for (int i = 0; i < got.length; i++) {
                float expected = (float) (a * v.data()[i] + (1 - a) * w[i]);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got[i]), v.name() + "[" + i + "]");
            }
        }
    }

    @Test
    void theEvaluatedModelIsExactlyTheMixtureAndAlphaStaysInTheUnitInterval() {
        SiteParticipant ctx = context();
        for (String spec : new String[] {"apfl", "apfl:alpha_lr=1e6", "apfl:alpha=0.9,alpha_lr=1e6"}) {
            Apfl.Client c = (Apfl.Client) AlgorithmRegistry.create(spec).newClient("s");
            c.setup(ctx, initial(3));
            assertIsMixture(c);
            for (int round = 1; round <= 2; round++) {
                Message up = c.fit(ctx, round, Message.empty());
                assertTrue(c.alpha() >= 0 && c.alpha() <= 1, spec + ": α = " + c.alpha());
                assertIsMixture(c);
                c.receive(ctx, round, Message.of(shifted(up.tensors(), 0.01f)));
                assertIsMixture(c);
            }
            if (spec.contains("1e6")) {
                assertTrue(c.alpha() == 0 || c.alpha() == 1, spec + ": a huge α step is clipped, α = " + c.alpha());
            } else {
                assertNotEquals(0.5, c.alpha(), "α is learned");
            }
        }
    }

    @Test
    void theUploadIsTheFedAvgLineAndAFixedAlphaStaysFixed() {
        SiteParticipant ctx = context();
        ModelState initial = initial(3);
        Apfl.Client c = (Apfl.Client) AlgorithmRegistry.create("apfl:alpha=0.25,alpha_lr=0").newClient("s");
        c.setup(ctx, initial);
        Message up = c.fit(ctx, 1, Message.empty());
        ClientProcedure fedavg = AlgorithmRegistry.create("fedavg").newClient("s");
        fedavg.setup(ctx, initial);
        assertSameMessage(fedavg.fit(ctx, 1, Message.empty()), up);
        assertBitIdentical(c.global(), up.tensors());
        assertEquals(0.25, c.alpha());
        assertTrue(StateOps.l2Distance(c.personal().filter(t -> t.role().trainable()), initial.filter(t -> t.role().trainable())) > 0,
                "v was trained");
    }

    @Test
    void oneStepFollowsTheUpdateRules() {
        // two training images, batch 2, E = 1: exactly one step of w, then one of v and α
        SiteParticipant ctx = context(2, training(1e-2, 1));
        ModelState v0 = initial(3);
        double a0 = 0.5;
        double alphaLr = 0.1;
        Apfl.Client c = (Apfl.Client) AlgorithmRegistry.create("apfl:alpha=0.5,alpha_lr=0.1").newClient("s");
        c.setup(ctx, v0);
        Message up = c.fit(ctx, 1, Message.empty());
        ModelState w1 = up.tensors();

        Batch batch = ctx.epochBatches(1, 0, "fit").get(0);
        ModelState g;
        ModelState mixedStats;
        try (UNet mix = ctx.open(StateOps.linear(a0, v0, 1 - a0, w1))) {
            g = Gradients.batch(mix, batch, true);
            mixedStats = mix.toState().filter(t -> t.role().isNormStatistic());
        }
        double dot = 0;
        for (Tensor t : g.tensors()) {
            for (int i = 0; i < t.size(); i++) {
                dot += ((double) v0.get(t.name()).data()[i] - w1.get(t.name()).data()[i]) * t.data()[i];
            }
        }
        double a1 = Math.min(1, Math.max(0, a0 - alphaLr * dot));
        assertEquals(a1, c.alpha(), 1e-6 * Math.abs(a1 - a0) + 1e-12, "α ← α − lr_α·⟨v − w, g_m⟩");
        assertNotEquals(a0, c.alpha());

        // v ← first Adam step on α·g_m (+ weight decay): v − lr·ĝ/(|ĝ| + ε) with ĝ = α·g_m + wd·v
        double lr = 1e-2;
        double wd = ctx.training().weightDecay();
        for (Tensor t : g.tensors()) {
            if (t.role() == TensorRole.CONV_BIAS) {
                continue; // a conv bias before BatchNorm has a structurally zero gradient: Adam normalises float noise
            }
            float[] v = v0.get(t.name()).data();
            float[] got = c.personal().get(t.name()).data();
            for (int i = 0; i < t.size(); i++) {
                double gh = a0 * t.data()[i] + wd * v[i];
                double expected = v[i] - lr * gh / (Math.abs(gh) + 1e-8);
                assertEquals(expected, got[i], 1e-5, t.name() + "[" + i + "]");
            }
        }
        // v's running statistics are the mixture network's after its training-mode forward
        for (Tensor t : mixedStats.tensors()) {
            assertArrayEquals(t.data(), c.personal().get(t.name()).data(), 1e-6f, t.name());
        }
    }
}
