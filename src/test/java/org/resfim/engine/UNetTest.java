package org.resfim.engine;

import org.junit.jupiter.api.Test;
import org.resfim.model.NormType;
import org.resfim.model.UNetArchitecture;
import org.resfim.model.UNetConfig;
import org.resfim.model.WeightInit;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class UNetTest {

    /**
     * Inference reuses BatchNorm folded into the convolutions until a parameter may have changed. After an
     * optimizer step, a training-mode pass (running statistics move) and a load, inference must equal that
     * of a fresh network built from the same state — bit for bit — and the cached fold must equal the one
     * built with autograd on.
     */
    @Test
    void evaluationNeverUsesStaleFoldedWeights() {
        UNetConfig cfg = EngineFixtures.tiny();
        Batch b = EngineFixtures.randomBatch(2, 3, 16, 7);
        try (UNet net = new UNet(cfg, 3); Adam adam = Adam.standard(net, 5e-4, null); UNet other = new UNet(cfg, 4)) {
            float[] before = Inference.logits(net, b);
            assertArrayEquals(before, Inference.logits(net, b), "cached fold, same parameters");
            assertArrayEquals(before, freshLogits(cfg, net.toState(), b));
            ai.djl.pytorch.jni.JniUtils.setGradMode(true); // the uncached fold, as the per-sample Fisher builds it
            try (ai.djl.ndarray.NDManager m = net.manager().newSubManager()) {
                assertArrayEquals(before, net.forward(LocalTrainer.input(m, b), false).toFloatArray());
            } finally {
                ai.djl.pytorch.jni.JniUtils.setGradMode(false);
            }

            LocalTrainer.step(net, adam, b, 1e-2, TrainingHooks.NONE, 0);          // Adam changes the weights
            float[] afterStep = Inference.logits(net, b);
            assertFalse(Arrays.equals(before, afterStep));
            assertArrayEquals(freshLogits(cfg, net.toState(), b), afterStep);

            Gradients.batch(net, b, true);                                          // only running statistics move
            float[] afterStats = Inference.logits(net, b);
            assertFalse(Arrays.equals(afterStep, afterStats));
            assertArrayEquals(freshLogits(cfg, net.toState(), b), afterStats);

            try (ai.djl.ndarray.NDManager m = net.manager().newSubManager()) {       // an update outside a training step (APFL)
                adam.beginStep();
                UNet.Param p = net.param("d.0.c1.weight");
                adam.update(p.name(), p.array(), m.ones(UNet.toShape(p.shape())), 1e-2);
            }
            float[] afterUpdate = Inference.logits(net, b);
            assertFalse(Arrays.equals(afterStats, afterUpdate));
            assertArrayEquals(freshLogits(cfg, net.toState(), b), afterUpdate);

            net.load(other.toState());                                              // a whole new state
            assertArrayEquals(Inference.logits(other, b), Inference.logits(net, b));
        }
    }

    private static float[] freshLogits(UNetConfig cfg, ModelState state, Batch b) {
        try (UNet fresh = UNet.fromState(cfg, state)) {
            return Inference.logits(fresh, b);
        }
    }

    @Test
    void referenceNetworkHasThePinnedParameterCount() {
        try (UNet net = new UNet(UNetConfig.reference(), 0)) {
            assertEquals(3_184_721L, net.numParameters());
            // 5 encoder stages × 3 (conv + BN) + decoder (3 + 3·(2+... )) — every BN has 4 tensors.
            long stats = net.params().stream().filter(p -> p.role().isNormStatistic()).count();
            long affine = net.params().stream().filter(p -> p.role().isNormAffine()).count();
            assertEquals(stats, affine);
            assertEquals(NetworkPart.HEAD, net.param("head.weight").part());
            assertArrayEquals(new int[] {1, 32, 1, 1}, net.param("head.weight").shape());
            assertArrayEquals(new int[] {256, 256, 3, 3}, net.param("u.0.c3.weight").shape());
            assertArrayEquals(new int[] {128, 256, 1, 1}, net.param("u.0.c2.weight").shape());
            assertArrayEquals(new int[] {128, 256, 3, 3}, net.param("u.1.c1.weight").shape());
        }
    }

    /**
     * Convolution cost, by hand for a small network and, for the reference one, against an independent count
     * from the built network's own weight shapes times the resolution each layer runs at (read off its name).
     */
    @Test
    void convolutionMacsMatchHandCountAndTheNetworksOwnWeights() {
        // width 4, depth 2, 1 channel in, 1 class, 8×8: d.0 1→4, 4→4, 4→4 at 64 px; d.1 4→8, 8→8, 8→8 at 16 px;
        // u.0: 1×1 8→4 and 3×3 8→8 at 64 px; head 8→1 at 64 px.
        long hand = (1 * 4 * 9 + 2 * 4 * 4 * 9) * 64 + (4 * 8 * 9 + 2 * 8 * 8 * 9) * 16 + (8 * 4 + 8 * 8 * 9) * 64 + 8 * 64;
        assertEquals(83_200L, hand);
        UNetConfig small = new UNetConfig(1, 1, 4, 2, NormType.BATCH, 1);
        assertEquals(hand, UNetArchitecture.convolutionMacs(small, 8, 8));
        assertEquals(1 * 4 * 9 * 64, UNetArchitecture.inputConvolutionMacs(small, 8, 8));
        for (UNetConfig cfg : new UNetConfig[] {small, UNetConfig.reference(), new UNetConfig(1, 2, 8, 4, NormType.GROUP, 4)}) {
            for (int size : new int[] {16, 128, 256}) {
                assertEquals(fromWeights(cfg, size, size * 2), UNetArchitecture.convolutionMacs(cfg, size, size * 2), cfg + " at " + size);
            }
        }
        assertEquals(1_324_613_632L, UNetArchitecture.convolutionMacs(UNetConfig.reference(), 128, 128));
        // the listed layers are exactly the network's convolutions, with their weights' shapes
        try (UNet net = new UNet(UNetConfig.reference(), 0)) {
            java.util.List<UNetArchitecture.ConvLayer> layers = UNetArchitecture.convolutions(UNetConfig.reference(), 64, 32);
            long convWeights = net.params().stream()
                    .filter(p -> p.role() == TensorRole.CONV_WEIGHT || p.role() == TensorRole.HEAD_WEIGHT).count();
            assertEquals(convWeights, layers.size());
            for (UNetArchitecture.ConvLayer l : layers) {
                assertArrayEquals(new int[] {l.out(), l.in(), l.kernel(), l.kernel()}, net.param(l.name() + ".weight").shape(), l.name());
            }
        }
    }

    private static long fromWeights(UNetConfig cfg, int h, int w) {
        long macs = 0;
        try (UNet net = new UNet(cfg, 0)) {
            for (UNet.Param p : net.params()) {
                if (p.role() != TensorRole.CONV_WEIGHT && p.role() != TensorRole.HEAD_WEIGHT) {
                    continue;
                }
                String[] part = p.name().split("\\.");
                int level;
                if (part[0].equals("head")) {
                    level = 0;
                } else if (part[0].equals("d")) {
                    level = Integer.parseInt(part[1]);
                } else { // u.j: c1 runs before the upsampling, c2 and c3 after it
                    int j = Integer.parseInt(part[1]);
                    level = cfg.depth() - 1 - j - (part[2].equals("c1") ? 0 : 1);
                }
                long numel = Arrays.stream(p.shape()).asLongStream().reduce(1, (a, b) -> a * b);
                macs += numel * (h >> level) * (w >> level);
            }
        }
        return macs;
    }

    @Test
    void widthDepthChannelsAndClassesAreOptions() {
        UNetConfig cfg = new UNetConfig(1, 2, 8, 4, NormType.GROUP, 4);
        try (UNet net = new UNet(cfg, 1)) {
            assertArrayEquals(new int[] {8, 1, 3, 3}, net.param("d.0.c1.weight").shape());
            assertArrayEquals(new int[] {64, 64, 3, 3}, net.param("d.3.c3.weight").shape());
            assertArrayEquals(new int[] {2, 16, 1, 1}, net.param("head.weight").shape());
            assertFalse(net.toState().contains("d.0.b1.running_mean"), "GroupNorm has no running statistics");
            float[] z = Inference.logits(net, new Batch(new float[2 * 16 * 16], null, 2, 1, 2, 16, 16));
            assertEquals(2 * 2 * 16 * 16, z.length);
        }
        try (UNet net = new UNet(new UNetConfig(3, 1, 4, 3, NormType.NONE, 1), 1)) {
            assertTrue(net.params().stream().noneMatch(p -> p.role().isNorm()));
        }
    }

    @Test
    void kaimingFanOutInitialisationHasTheExpectedSpread() {
        try (UNet net = new UNet(UNetConfig.reference(), 7)) {
            float[] w = net.param("d.4.c2.weight").array().toFloatArray(); // 256·256·9 values
            double sum = 0;
            double sq = 0;
            for (float v : w) {
                sum += v;
                sq += v * v;
            }
            double mean = sum / w.length;
            double std = Math.sqrt(sq / w.length - mean * mean);
            double expected = Math.sqrt(2.0 / (256 * 9));
            assertEquals(0, mean, 3 * expected / Math.sqrt(w.length));
            assertEquals(expected, std, expected * 0.01);
            float[] bnw = net.param("d.4.b2.weight").array().toFloatArray();
            for (float v : bnw) {
                assertEquals(1f, v);
            }
        }
    }

    @Test
    void sameSeedSameWeightsDifferentSeedDifferentWeights() {
        try (UNet a = new UNet(EngineFixtures.tiny(), 3); UNet b = new UNet(EngineFixtures.tiny(), 3); UNet c = new UNet(EngineFixtures.tiny(), 4)) {
            assertArrayEquals(a.param("d.1.c1.weight").array().toFloatArray(), b.param("d.1.c1.weight").array().toFloatArray());
            assertFalse(Arrays.equals(a.param("d.1.c1.weight").array().toFloatArray(), c.param("d.1.c1.weight").array().toFloatArray()));
        }
    }

    @Test
    void stateRoundTripIsBitExactIncludingRunningStatistics() {
        UNetConfig cfg = EngineFixtures.tiny();
        Batch b = EngineFixtures.randomBatch(2, 3, 16, 1);
        ModelState trained;
        try (UNet net = new UNet(cfg, 11); Adam adam = Adam.standard(net, 5e-4, null)) {
            LocalTrainer.step(net, adam, b, 1e-2, TrainingHooks.NONE, 0);
            trained = net.toState();
        }
        // running statistics moved away from their initial values (0 and 1)
        float[] rm = trained.get("d.0.b1.running_mean").data();
        assertTrue(Arrays.stream(toDouble(rm)).anyMatch(v -> v != 0), "running mean updated by training");
        try (UNet other = new UNet(cfg, 99)) {
            other.load(trained);
            ModelState back = other.toState();
            assertEquals(trained.names(), back.names());
            for (Tensor t : trained.tensors()) {
                Tensor u = back.get(t.name());
                assertEquals(t.role(), u.role());
                for (int i = 0; i < t.size(); i++) {
                    assertEquals(Float.floatToRawIntBits(t.data()[i]), Float.floatToRawIntBits(u.data()[i]), t.name() + "[" + i + "]");
                }
            }
            // and the network computes the same function
            try (UNet again = UNet.fromState(cfg, trained)) {
                assertArrayEquals(Inference.logits(again, b), Inference.logits(other, b));
            }
        }
    }

    @Test
    void loadRefusesWrongShapeOrUnknownTensorNamingIt() {
        try (UNet net = new UNet(EngineFixtures.tiny(), 0)) {
            ModelState bad = new ModelState();
            bad.put(new Tensor("d.0.c1.weight", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {4, 1, 3, 3}, new float[36]));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.load(bad));
            assertTrue(e.getMessage().contains("d.0.c1.weight") && e.getMessage().contains("[4, 3, 3, 3]"), e.getMessage());
            ModelState unknown = new ModelState();
            unknown.put(new Tensor("d.9.c1.weight", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {1}, new float[1]));
            e = assertThrows(IllegalArgumentException.class, () -> net.load(unknown));
            assertTrue(e.getMessage().contains("d.9.c1.weight"), e.getMessage());
        }
    }

    @Test
    void torchDefaultInitialisationIsPyTorchsConv2dRule() {
        UNetConfig cfg = UNetConfig.reference();
        try (UNet net = new UNet(cfg, 3, WeightInit.TORCH_DEFAULT); UNet again = new UNet(cfg, 3, WeightInit.TORCH_DEFAULT);
             UNet kaiming = new UNet(cfg, 3)) {
            assertArrayEquals(net.param("d.2.c1.weight").array().toFloatArray(), again.param("d.2.c1.weight").array().toFloatArray(),
                    "same seed, same weights");
            for (String conv : List.of("d.0.c1", "d.2.c1", "u.0.c3", "u.1.c2", "head")) {
                UNet.Param w = net.param(conv + ".weight");
                int fanIn = w.shape()[1] * w.shape()[2] * w.shape()[3];
                double bound = 1 / Math.sqrt(fanIn);
                float[] data = w.array().toFloatArray();
                double sq = 0;
                for (float v : data) {
                    assertTrue(Math.abs(v) <= bound, conv + " weight " + v + " outside ±" + bound);
                    sq += v * v;
                }
                // U(-b, b) has variance b²/3: within 3 standard errors of the sample variance
                double var = sq / data.length;
                double se = bound * bound / 3 * Math.sqrt(0.8 / data.length) * 3 + 1e-12;
                assertEquals(bound * bound / 3, var, Math.max(se, 0.05 * bound * bound / 3), conv + " weight variance");
                float[] bias = net.param(conv + ".bias").array().toFloatArray();
                double biasSq = 0;
                for (float v : bias) {
                    assertTrue(Math.abs(v) <= bound, conv + " bias " + v + " outside ±" + bound);
                    biasSq += v * v;
                }
                assertTrue(biasSq > 0, conv + ": biases are drawn, not zero");
                // Kaiming fan-out: zero biases, std sqrt(2 / (C_out k²))
                assertEquals(0.0, Arrays.stream(toDouble(kaiming.param(conv + ".bias").array().toFloatArray())).map(Math::abs).sum());
            }
            assertArrayEquals(new float[] {1, 1, 1, 1}, Arrays.copyOf(net.param("d.0.b1.weight").array().toFloatArray(), 4), "norm weight 1");
        }
        assertEquals(WeightInit.TORCH_DEFAULT, WeightInit.parse(" Torch-Default "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightInit.parse("xavier"));
        assertEquals("model.init must be kaiming-fan-out or torch-default, got 'xavier'", e.getMessage());
    }

    @Test
    void batchNormUsesRunningStatisticsInEvaluationAndLeavesThemUntouched() {
        UNetConfig cfg = EngineFixtures.tiny();
        Batch b = EngineFixtures.randomBatch(2, 3, 16, 5);
        try (UNet net = new UNet(cfg, 2)) {
            ModelState before = net.toState();
            float[] z1 = Inference.logits(net, b);
            Gradients.perSample(net, b, 0);
            Gradients.squaredSum(net, java.util.List.of(b));
            float[] z2 = Inference.logits(net, b);
            assertArrayEquals(z1, z2);
            ModelState after = net.toState();
            for (Tensor t : before.tensors()) {
                if (t.role().isNormStatistic()) {
                    assertArrayEquals(t.data(), after.get(t.name()).data(), t.name());
                }
            }
            // evaluation of one sample does not depend on the other samples of the batch (libtorch may pick other
            // convolution kernels for a batch of one, so the bound is relative to the logits' scale)
            float[] single = Inference.logits(net, b.sample(1));
            float[] firstOfTwo = Arrays.copyOfRange(z1, 16 * 16, 2 * 16 * 16);
            float scale = 0;
            for (float v : firstOfTwo) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertArrayEquals(firstOfTwo, single, 1e-5f * Math.max(1f, scale));
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
