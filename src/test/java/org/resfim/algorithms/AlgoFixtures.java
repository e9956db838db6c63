package org.resfim.algorithms;

import org.resfim.data.Augmentation;
import org.resfim.data.Sample;
import org.resfim.data.SiteDataset;
import org.resfim.engine.AdamState;
import org.resfim.engine.Batch;
import org.resfim.engine.TrainingHooks;
import org.resfim.engine.UNet;
import org.resfim.federation.ClientContext;
import org.resfim.federation.Message;
import org.resfim.federation.SiteParticipant;
import org.resfim.federation.TrainingSettings;
import org.resfim.model.NormType;
import org.resfim.model.UNetConfig;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Tiny networks, tiny in-memory sites and hand-made states for the algorithm tests. */
final class AlgoFixtures {
    private AlgoFixtures() {
    }

    /** The eleven baselines of METHOD.md. */
    static final List<String> BASELINES = List.of("local", "fedavg", "fedprox", "fedbn", "siobn", "fedper", "lg-fedavg",
            "fedrep", "ditto", "apfl", "fedala");

    static final UNetConfig TINY = new UNetConfig(3, 1, 4, 3, NormType.BATCH, 2);

    static TrainingSettings training(double lr, int epochs) {
        return new TrainingSettings(lr, 5e-4, 2, epochs, 0.5, 0.25);
    }

    /** The initial model every site starts from. */
    static ModelState initial(long seed) {
        try (UNet net = new UNet(TINY, seed)) {
            return net.toState();
        }
    }

    /** One grey 16×16 image with a bright square (the label) on noise. */
    static Sample sample(String id, Random r) {
        int h = 16;
        int w = 16;
        float[] img = new float[h * w];
        float[] mask = new float[h * w];
        int y0 = 2 + r.nextInt(6);
        int x0 = 2 + r.nextInt(6);
        int s = 4 + r.nextInt(4);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean in = y >= y0 && y < y0 + s && x >= x0 && x < x0 + s;
                mask[y * w + x] = in ? 1f : 0f;
                img[y * w + x] = (float) Math.min(1, Math.max(0, (in ? 0.7 : 0.3) + 0.15 * r.nextGaussian()));
            }
        }
        return new Sample(id, id, img, 1, h, w, mask, null, "test");
    }

    static SiteDataset site(String name, int nTrain, long seed) {
        Random r = new Random(seed);
        List<Sample> train = new ArrayList<>();
        for (int i = 0; i < nTrain; i++) {
            train.add(sample(name + "/train" + i, r));
        }
        List<Sample> val = List.of(sample(name + "/val0", r));
        List<Sample> test = List.of(sample(name + "/test0", r));
        return new SiteDataset(name, train, val, test, null);
    }

    /** A real site runtime used as the ClientContext (no procedure, no store). */
    static SiteParticipant context(int nTrain, TrainingSettings t) {
        return new SiteParticipant(site("s", nTrain, 11), null, TINY, t, 8, 7L, null, 1, Augmentation.STANDARD);
    }

    static SiteParticipant context() {
        return context(4, training(1e-2, 1));
    }

    /** A ClientContext that records every call of {@link ClientContext#train}. */
    static final class Recording implements ClientContext {
        record Call(String purpose, ModelState start, ModelState result) {
        }

        final ClientContext inner;
        final List<Call> calls = new ArrayList<>();

        Recording(ClientContext inner) {
            this.inner = inner;
        }

        @Override
        public String site() {
            return inner.site();
        }

        @Override
        public long seed() {
            return inner.seed();
        }

        @Override
        public int rounds() {
            return inner.rounds();
        }

        @Override
        public UNetConfig modelConfig() {
            return inner.modelConfig();
        }

        @Override
        public TrainingSettings training() {
            return inner.training();
        }

        @Override
        public List<Sample> trainSamples() {
            return inner.trainSamples();
        }

        @Override
        public SplittableRandom random(int round, String purpose) {
            return inner.random(round, purpose);
        }

        @Override
        public List<Batch> epochBatches(int round, int epoch, String purpose, SampleTransform transform) {
            return inner.epochBatches(round, epoch, purpose, transform);
        }

        @Override
        public Trained train(ModelState start, AdamState optimizer, int round, int epochs, String purpose,
                             Function<UNet, TrainingHooks> hooks, SampleTransform transform) {
            ModelState before = start.copy();
            Trained t = inner.train(start, optimizer, round, epochs, purpose, hooks, transform);
            calls.add(new Call(purpose, before, t.model()));
            return t;
        }

        @Override
        public UNet open(ModelState state) {
            return inner.open(state);
        }
    }

    // ------------------------------------------------------------------ hand-made states

    /** A small state with every role and part of the U-Net, values not trivially representable. */
    static ModelState handMade(long seed) {
        Random r = new Random(seed);
        ModelState s = new ModelState();
        s.put(fill(r, "d.0.c1.weight", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, 2, 1, 1, 3));
        s.put(fill(r, "d.0.c1.bias", TensorRole.CONV_BIAS, NetworkPart.ENCODER, 2));
        s.put(fill(r, "d.0.b1.weight", TensorRole.NORM_WEIGHT, NetworkPart.ENCODER, 2));
        s.put(fill(r, "d.0.b1.bias", TensorRole.NORM_BIAS, NetworkPart.ENCODER, 2));
        s.put(fill(r, "d.0.b1.running_mean", TensorRole.NORM_RUNNING_MEAN, NetworkPart.ENCODER, 2));
        s.put(fill(r, "d.0.b1.running_var", TensorRole.NORM_RUNNING_VAR, NetworkPart.ENCODER, 2));
        s.put(fill(r, "u.0.c2.weight", TensorRole.CONV_WEIGHT, NetworkPart.DECODER, 1, 2, 1, 1));
        s.put(fill(r, "u.0.b2.weight", TensorRole.NORM_WEIGHT, NetworkPart.DECODER, 1));
        s.put(fill(r, "u.0.b2.running_var", TensorRole.NORM_RUNNING_VAR, NetworkPart.DECODER, 1));
        s.put(fill(r, "head.weight", TensorRole.HEAD_WEIGHT, NetworkPart.HEAD, 1, 2, 1, 1));
        s.put(fill(r, "head.bias", TensorRole.HEAD_BIAS, NetworkPart.HEAD, 1));
        return s;
    }

    private static Tensor fill(Random r, String name, TensorRole role, NetworkPart part, int... shape) {
        float[] d = new float[(int) Tensor.numElements(shape)];
        for (int i = 0; i < d.length; i++) {
            d[i] = i % 5 == 4 ? -0.0f : (float) (r.nextGaussian() * (i % 3 == 0 ? 1e-20 : 1.0));
        }
        return new Tensor(name, role, part, shape, d);
    }

    /** A state with every tensor of {@code s} set to {@code value}. */
    static ModelState constant(ModelState s, float value) {
        ModelState out = new ModelState();
        for (Tensor t : s.tensors()) {
            float[] d = new float[t.size()];
            java.util.Arrays.fill(d, value);
            out.put(t.withData(d));
        }
        return out;
    }

    /** {@code s} with every element moved by {@code delta}·(1 + index mod 3). */
    static ModelState shifted(ModelState s, float delta) {
        ModelState out = new ModelState();
        for (Tensor t : s.tensors()) {
            float[] d = t.data().clone();
            for (int i = 0; i < d.length; i++) {
                d[i] += delta * (1 + i % 3);
            }
            out.put(t.withData(d));
        }
        return out;
    }

    // ------------------------------------------------------------------ assertions

    static void assertBitIdentical(ModelState expected, ModelState actual) {
        assertEquals(expected.names(), actual.names());
        for (Tensor e : expected.tensors()) {
            assertBitIdentical(e, actual.get(e.name()));
        }
    }

    static void assertBitIdentical(Tensor e, Tensor a) {
        assertArrayEquals(e.shape(), a.shape(), e.name());
        for (int i = 0; i < e.size(); i++) {
            if (Float.floatToRawIntBits(e.data()[i]) != Float.floatToRawIntBits(a.data()[i])) {
                assertEquals(e.data()[i], a.data()[i], 0.0, e.name() + "[" + i + "] (bits)");
                throw new AssertionError(e.name() + "[" + i + "]: " + e.data()[i] + " vs " + a.data()[i] + " differ in sign of zero");
            }
        }
    }

    static boolean bitIdentical(Tensor e, Tensor a) {
        for (int i = 0; i < e.size(); i++) {
            if (Float.floatToRawIntBits(e.data()[i]) != Float.floatToRawIntBits(a.data()[i])) {
                return false;
            }
        }
        return true;
    }

    static void assertSameMessage(Message expected, Message actual) {
        assertBitIdentical(expected.tensors(), actual.tensors());
        assertEquals(expected.mask(), actual.mask());
        assertEquals(expected.meta(), actual.meta());
    }
}
