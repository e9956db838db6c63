package org.resfim.engine;

import org.junit.jupiter.api.Test;
import org.resfim.model.UNetConfig;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LocalTrainerTest {
    static final UNetConfig CFG = EngineFixtures.tiny();

    @Test
    void twoAdamStepsMatchAHandWrittenAdamWithWeightDecay() {
        Batch b = EngineFixtures.randomBatch(2, 3, 16, 3);
        double lr = 1e-3;
        double wd = 5e-4;
        try (UNet reference = new UNet(CFG, 5); UNet trained = new UNet(CFG, 5); Adam adam = Adam.standard(trained, wd, null)) {
            ModelState theta = reference.toState();
            ModelState m = zerosLike(theta);
            ModelState v = zerosLike(theta);
            for (int t = 1; t <= 2; t++) {
                ModelState g = Gradients.batch(reference, b, true); // same batch statistics as the step
                LocalTrainer.step(trained, adam, b, lr, TrainingHooks.NONE, t - 1);
                for (Tensor gt : g.tensors()) {
                    float[] th = theta.get(gt.name()).data();
                    float[] mm = m.get(gt.name()).data();
                    float[] vv = v.get(gt.name()).data();
                    for (int i = 0; i < th.length; i++) {
                        double gi = gt.data()[i] + wd * th[i];
                        mm[i] = (float) (0.9 * mm[i] + 0.1 * gi);
                        vv[i] = (float) (0.999 * vv[i] + 0.001 * gi * gi);
                        double denom = Math.sqrt(vv[i]) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8;
                        th[i] = (float) (th[i] - lr / (1 - Math.pow(0.9, t)) * mm[i] / denom);
                    }
                }
                reference.load(theta.filter(x -> x.role().trainable()));
                // running statistics followed the same forward passes
                reference.load(trained.toState().filter(x -> x.role().isNormStatistic()));
            }
            ModelState actual = trained.toState();
            for (Tensor t : theta.tensors()) {
                if (!t.role().trainable() || t.role() == org.resfim.state.TensorRole.CONV_BIAS) {
                    // A conv bias followed by BatchNorm has a structurally zero gradient: Adam normalises float noise there.
                    continue;
                }
                float[] a = actual.get(t.name()).data();
                for (int i = 0; i < a.length; i++) {
                    // 1% of one step: a wrong bias correction or decay term moves an element by ~lr
                    assertEquals(t.data()[i], a[i], 1e-5, t.name() + "[" + i + "]");
                }
            }
            assertEquals(2, adam.step());
        }
    }

    @Test
    void frozenTensorsDoNotMoveAndOthersDo() {
        Batch b = EngineFixtures.randomBatch(2, 3, 16, 4);
        try (UNet net = new UNet(CFG, 1); Adam adam = Adam.standard(net, 5e-4, null)) {
            ModelState before = net.toState();
            LocalTrainer.train(net, adam, List.of(b, b), 1e-2, TrainingHooks.freeze(n -> n.startsWith("d.")));
            ModelState after = net.toState();
            for (Tensor t : before.tensors()) {
                boolean same = java.util.Arrays.equals(t.data(), after.get(t.name()).data());
                if (t.name().startsWith("d.") && t.role().trainable()) {
                    assertTrue(same, t.name() + " is frozen");
                } else if (t.role().trainable()) {
                    assertFalse(same, t.name() + " is trained");
                }
            }
        }
    }

    @Test
    void proximalTermAddsItsValueAndPullsHarderAsMuGrows() {
        Batch b = EngineFixtures.randomBatch(2, 3, 16, 6);
        ModelState start;
        ModelState anchor;
        try (UNet net = new UNet(CFG, 8)) {
            start = net.toState();
        }
        try (UNet other = new UNet(CFG, 9)) {
            anchor = other.toState();
        }
        // Loss of the first step = data loss + μ/2 ‖θ − θ_ref‖² (computed by hand).
        double sq = 0;
        for (Tensor t : start.tensors()) {
            if (t.role().trainable()) {
                float[] a = t.data();
                float[] r = anchor.get(t.name()).data();
                for (int i = 0; i < a.length; i++) {
                    sq += (double) (a[i] - r[i]) * (a[i] - r[i]);
                }
            }
        }
        double plain;
        try (UNet net = UNet.fromState(CFG, start); Adam adam = Adam.standard(net, 0, null)) {
            plain = LocalTrainer.step(net, adam, b, 1e-3, TrainingHooks.NONE, 0);
        }
        double mu = 0.3;
        try (UNet net = UNet.fromState(CFG, start); Adam adam = Adam.standard(net, 0, null); ProximalTerm prox = new ProximalTerm(net, anchor, mu)) {
            double withProx = LocalTrainer.step(net, adam, b, 1e-3, prox, 0);
            assertEquals(plain + mu / 2 * sq, withProx, 1e-3 * (plain + mu / 2 * sq));
        }
        double previous = Double.MAX_VALUE;
        for (double m : new double[] {0.0, 0.1, 10.0}) {
            try (UNet net = UNet.fromState(CFG, start); Adam adam = Adam.standard(net, 0, null); ProximalTerm prox = new ProximalTerm(net, anchor, m)) {
                LocalTrainer.train(net, adam, Collections.nCopies(8, b), 1e-2, prox);
                double d = distance(net.toState(), anchor);
                assertTrue(d < previous, "distance to the anchor shrinks as mu grows: " + d + " vs " + previous);
                previous = d;
            }
        }
    }

    @Test
    void afterStepCallbackSeesEveryStepAndItsLoss() {
        Batch b = EngineFixtures.randomBatch(2, 3, 16, 7);
        List<Double> seen = new ArrayList<>();
        try (UNet net = new UNet(CFG, 1); Adam adam = Adam.standard(net, 5e-4, null)) {
            LocalTrainer.Result r = LocalTrainer.train(net, adam, List.of(b, b, b), 1e-3, new TrainingHooks() {
                @Override
                public void afterStep(int step, double loss) {
                    assertEquals(seen.size(), step);
                    seen.add(loss);
                }
            });
            assertEquals(3, r.steps());
            assertEquals(3, seen.size());
            assertEquals((seen.get(0) + seen.get(1) + seen.get(2)) / 3, r.meanLoss(), 1e-12);
            assertTrue(seen.get(2) < seen.get(0), "loss decreases on a repeated batch");
        }
    }

    @Test
    void nonFiniteLossStopsWithoutTouchingTheWeights() {
        Batch good = EngineFixtures.randomBatch(1, 3, 16, 8);
        float[] x = good.images().clone();
        x[5] = Float.NaN;
        Batch bad = new Batch(x, good.targets(), 1, 3, 1, 16, 16);
        try (UNet net = new UNet(CFG, 1); Adam adam = Adam.standard(net, 5e-4, null)) {
            ModelState before = net.toState().filter(t -> t.role().trainable());
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                    () -> LocalTrainer.train(net, adam, List.of(bad), 1e-3, TrainingHooks.NONE));
            assertTrue(e.getMessage().contains("NaN"), e.getMessage());
            ModelState after = net.toState();
            for (Tensor t : before.tensors()) {
                assertArrayEquals(t.data(), after.get(t.name()).data(), t.name());
            }
        }
    }

    @Test
    void nativeArraysDoNotGrowOver200Steps() {
        Batch b = EngineFixtures.randomBatch(2, 3, 16, 9);
        try (UNet net = new UNet(CFG, 1); Adam adam = Adam.standard(net, 5e-4, null);
             ProximalTerm prox = new ProximalTerm(net, net.toState(), 0.01)) {
            LocalTrainer.step(net, adam, b, 1e-3, prox, 0);
            Inference.logits(net, b);
            int netArrays = net.liveArrays();
            int system = net.manager().getParentManager().getManagedArrays().size();
            LocalTrainer.train(net, adam, Collections.nCopies(200, b), 1e-3, prox);
            for (int i = 0; i < 20; i++) {
                Inference.logits(net, b);
                Gradients.perSample(net, b, 0);
            }
            assertEquals(netArrays, net.liveArrays(), "arrays owned by the model");
            assertEquals(system, net.manager().getParentManager().getManagedArrays().size(), "arrays anywhere in DJL");
        }
    }

    static ModelState zerosLike(ModelState s) {
        ModelState z = new ModelState();
        for (Tensor t : s.tensors()) {
            z.put(t.withData(new float[t.size()]));
        }
        return z;
    }

    static double distance(ModelState a, ModelState b) {
        double sq = 0;
        for (Tensor t : a.tensors()) {
            if (t.role().trainable()) {
                float[] x = t.data();
                float[] y = b.get(t.name()).data();
                for (int i = 0; i < x.length; i++) {
                    sq += (double) (x[i] - y[i]) * (x[i] - y[i]);
                }
            }
        }
        return Math.sqrt(sq);
    }
}
