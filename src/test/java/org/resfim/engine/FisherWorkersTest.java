package org.resfim.engine;

import org.junit.jupiter.api.Test;
import org.resfim.state.ModelState;
import org.resfim.model.UNetConfig;
import org.resfim.state.Tensor;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The estimate's per-sample passes on parallel workers: a fixed reduction order, the same bits as the chunks done one by one. */
class FisherWorkersTest {
    static final UNetConfig CFG = EngineFixtures.tiny();

    @Test
    void chunksAreContiguousAndCoverEverySampleOnce() {
        assertArrayEquals(new int[][] {{0, 2}, {2, 4}, {4, 5}}, FisherWorkers.chunks(5, 3));
        assertArrayEquals(new int[][] {{0, 4}, {4, 8}}, FisherWorkers.chunks(8, 2));
        assertArrayEquals(new int[][] {{0, 1}}, FisherWorkers.chunks(1, 1));
    }

    /** Two workers give, bit for bit, the two halves' Σ g² computed one after another with one thread, added in order. */
    @Test
    void parallelEstimateEqualsTheChunksComputedOneByOne() {
        List<Batch> batches = List.of(EngineFixtures.randomBatch(3, 3, 16, 11), EngineFixtures.randomBatch(2, 3, 16, 12));
        int before = Djl.threads();
        try (UNet a = new UNet(CFG, 7); UNet b = new UNet(CFG, 7)) {
            ModelState parallel = FisherEstimator.estimate(List.of(a, b), batches);
            assertEquals(before, Djl.threads(), "libtorch's thread count is restored");
            ModelState again = FisherEstimator.estimate(List.of(a, b), batches);

            List<Batch> one = new ArrayList<>();
            for (Batch x : batches) {
                for (int i = 0; i < x.n(); i++) {
                    one.add(x.sample(i));
                }
            }
            ModelState first;
            ModelState second;
            ModelState sequential;
            Djl.setThreads(1);
            try {
                first = Gradients.squaredSum(a, one.subList(0, 3));  // chunks of 5 for 2 workers: 3 + 2
                second = Gradients.squaredSum(a, one.subList(3, 5));
                sequential = FisherEstimator.estimate(a, batches);
            } finally {
                Djl.setThreads(before);
            }
            for (Tensor t : parallel.tensors()) {
                float[] f = first.get(t.name()).data();
                float[] s = second.get(t.name()).data();
                float[] expected = new float[f.length];
                for (int i = 0; i < f.length; i++) {
                    expected[i] = (f[i] + s[i]) * (1f / 5);
                }
                assertArrayEquals(expected, t.data(), t.name());
                assertArrayEquals(t.data(), again.get(t.name()).data(), t.name() + ": same numbers on every run");
                // against one worker: the same Fisher up to float rounding of the summation order
                float[] q = sequential.get(t.name()).data();
                double scale = 0;
                for (float v : q) {
                    scale = Math.max(scale, Math.abs(v));
                }
                for (int i = 0; i < q.length; i++) {
                    assertEquals(q[i], t.data()[i], 1e-5 * scale + 1e-5 * Math.abs(q[i]), t.name() + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void parallelPairedSumsEqualTheChunksComputedOneByOne() {
        List<Batch> own = List.of(EngineFixtures.randomBatch(4, 3, 16, 21));
        List<Batch> other = List.of(EngineFixtures.randomBatch(4, 3, 16, 22));
        int before = Djl.threads();
        try (UNet a = new UNet(CFG, 9); UNet b = new UNet(CFG, 9)) {
            FisherEstimator.Paired p = FisherEstimator.paired(List.of(a, b), own, List.of(other));
            Gradients.PairedSums h1;
            Gradients.PairedSums h2;
            Djl.setThreads(1);
            try {
                h1 = Gradients.pairedSquaredSums(a, List.of(own.get(0).sample(0), own.get(0).sample(1)),
                        List.of(List.of(other.get(0).sample(0), other.get(0).sample(1))));
                h2 = Gradients.pairedSquaredSums(a, List.of(own.get(0).sample(2), own.get(0).sample(3)),
                        List.of(List.of(other.get(0).sample(2), other.get(0).sample(3))));
            } finally {
                Djl.setThreads(before);
            }
            for (Tensor t : p.own().tensors()) {
                String n = t.name();
                assertArrayEquals(halfSum(h1.own(), h2.own(), n), t.data(), n);
                assertArrayEquals(halfSum(h1.foreign().get(0), h2.foreign().get(0), n), p.foreign().get(0).get(n).data(), n);
                assertArrayEquals(halfSum(h1.diffs().get(0), h2.diffs().get(0), n), p.diffs().get(0).get(n).data(), n);
            }
        }
    }

    private static float[] halfSum(ModelState x, ModelState y, String name) {
        float[] a = x.get(name).data();
        float[] b = y.get(name).data();
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (a[i] + b[i]) * (1f / 4);
        }
        return out;
    }

    @Test
    void aWorkersFailureReachesTheCallerAndTheThreadCountIsRestored() {
        int before = Djl.threads();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> FisherWorkers.run(2, w -> {
            if (w == 1) {
                throw new IllegalStateException("worker 1 failed");
            }
            return w;
        }));
        assertEquals("worker 1 failed", e.getMessage());
        assertEquals(before, Djl.threads());
        assertEquals(List.of(0, 1, 2), FisherWorkers.run(3, w -> w), "results in worker order");
        assertThrows(IllegalArgumentException.class, () -> FisherWorkers.run(0, w -> w));
    }
}
