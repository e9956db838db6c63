package org.resfim.engine;

import org.junit.jupiter.api.Test;
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
