package org.resfim.engine;

import org.junit.jupiter.api.Test;
import org.resfim.model.UNetConfig;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class GradientsTest {
    static final UNetConfig CFG = EngineFixtures.tiny();

    @Test
    void meanOfPerSampleGradientsIsTheBatchGradientInEvaluationMode() {
        Batch b = EngineFixtures.randomBatch(3, 3, 16, 1);
        try (UNet net = new UNet(CFG, 2)) {
            ModelState batch = Gradients.batch(net, b, false);
            ModelState[] per = {Gradients.perSample(net, b, 0), Gradients.perSample(net, b, 1), Gradients.perSample(net, b, 2)};
            for (Tensor t : batch.tensors()) {
                // A batch of three and a batch of one may run different convolution kernels: elements that cancel
                // to near 0 carry rounding of the tensor's scale, so the bound has a part relative to that scale.
                double scale = 0;
                for (float v : t.data()) {
                    scale = Math.max(scale, Math.abs(v));
                }
                for (int i = 0; i < t.size(); i++) {
                    double mean = (per[0].get(t.name()).data()[i] + per[1].get(t.name()).data()[i] + per[2].get(t.name()).data()[i]) / 3.0;
                    assertEquals(mean, t.data()[i], 1e-5 * scale + 1e-4 * Math.abs(mean), t.name() + "[" + i + "]");
                }
            }
            ModelState sq = Gradients.squaredSum(net, List.of(b));
            for (Tensor t : sq.tensors()) {
                for (int i = 0; i < t.size(); i++) {
                    double expected = 0;
                    for (ModelState p : per) {
                        double g = p.get(t.name()).data()[i];
                        expected += g * g;
                    }
                    assertEquals(expected, t.data()[i], 1e-9 + 1e-5 * expected, t.name() + "[" + i + "]");
                }
            }
        }
    }

    /** The paired sums of the direction residual against per-sample gradients combined by hand. */
    @Test
    void pairedSumsAreSquaredGradientsAndSquaredDifferencesSampleBySample() {
        List<Batch> own = List.of(EngineFixtures.randomBatch(2, 3, 16, 5), EngineFixtures.randomBatch(1, 3, 16, 6));
        List<Batch> other = List.of(EngineFixtures.randomBatch(2, 3, 16, 7), EngineFixtures.randomBatch(1, 3, 16, 8));
        try (UNet net = new UNet(CFG, 3)) {
            Gradients.PairedSums p = Gradients.pairedSquaredSums(net, own, List.of(other, own));
            ModelState[] g = new ModelState[3];
            ModelState[] h = new ModelState[3];
            for (int i = 0; i < 3; i++) {
                g[i] = Gradients.perSample(net, own.get(i / 2), i % 2);
                h[i] = Gradients.perSample(net, other.get(i / 2), i % 2);
            }
            for (Tensor t : p.own().tensors()) {
                for (int e = 0; e < t.size(); e++) {
                    double sq = 0;
                    double sqOther = 0;
                    double diff = 0;
                    for (int i = 0; i < 3; i++) {
                        double a = g[i].get(t.name()).data()[e];
                        double b = h[i].get(t.name()).data()[e];
                        sq += a * a;
                        sqOther += b * b;
                        diff += (b - a) * (b - a);
                    }
                    String at = t.name() + "[" + e + "]";
                    assertEquals(sq, t.data()[e], 1e-9 + 1e-5 * sq, at);
                    assertEquals(sqOther, p.foreign().get(0).get(t.name()).data()[e], 1e-9 + 1e-5 * sqOther, at);
                    assertEquals(diff, p.diffs().get(0).get(t.name()).data()[e], 1e-9 + 1e-5 * (sq + sqOther), at);
                    // the own samples paired with themselves: no difference at all
                    assertEquals(0f, p.diffs().get(1).get(t.name()).data()[e], at);
                }
            }
            // F_k and F_{k→n} of the paired estimate are the plain estimates, bit for bit (same passes, same order)
            FisherEstimator.Paired f = FisherEstimator.paired(net, own, List.of(other));
            ModelState plainOwn = FisherEstimator.estimate(net, own);
            ModelState plainOther = FisherEstimator.estimate(net, other);
            for (Tensor t : plainOwn.tensors()) {
                assertArrayEquals(t.data(), f.own().get(t.name()).data(), t.name());
                assertArrayEquals(plainOther.get(t.name()).data(), f.foreign().get(0).get(t.name()).data(), t.name());
            }
            assertThrows(IllegalArgumentException.class, () -> Gradients.pairedSquaredSums(net, own, List.of(List.of(other.get(0)))));
        }
    }

    @Test
    void perSampleGradientMatchesFiniteDifferences() {
        Batch b = EngineFixtures.randomBatch(2, 3, 16, 3);
        Batch one = b.sample(1);
        try (UNet net = new UNet(CFG, 4)) {
            ModelState g = Gradients.perSample(net, b, 1);
            ModelState base = net.toState();
            String[] names = {"head.weight", "head.bias", "u.1.c3.weight", "d.2.b3.weight", "d.0.c1.weight"};
            for (String name : names) {
                float[] grad = g.get(name).data();
                int idx = argmaxAbs(grad);
                double h = 2e-3;
                double up = lossWith(net, base, name, idx, h, one);
                double down = lossWith(net, base, name, idx, -h, one);
                double fd = (up - down) / (2 * h);
                assertEquals(fd, grad[idx], 3e-2 * Math.abs(fd) + 1e-4, name + "[" + idx + "] analytic vs finite difference");
            }
            net.load(base);
        }
    }

    private static double lossWith(UNet net, ModelState base, String name, int idx, double delta, Batch one) {
        ModelState s = base.copy();
        s.get(name).data()[idx] += (float) delta;
        net.load(s);
        return Inference.loss(net, one);
    }

    private static int argmaxAbs(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (Math.abs(a[i]) > Math.abs(a[best])) {
                best = i;
            }
        }
        return best;
    }
}
