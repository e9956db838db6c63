package org.resfim.engine;

import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The diagonal empirical Fisher F = (1/N) Σ_i (∇θ ℓ(θ; x_i, y_i))² from per-sample gradients, BatchNorm in
 * inference mode (running statistics used, never updated), trainable tensors only (METHOD.md step 3).
 */
public final class FisherEstimator {
    private FisherEstimator() {
    }

    /** F over every sample of {@code batches}; the batches' sizes add up to N. */
    public static ModelState estimate(UNet net, List<Batch> batches) {
        int n = 0;
        for (Batch b : batches) {
            n += b.n();
        }
        if (n == 0) {
            throw new IllegalArgumentException("the Fisher estimate needs at least one sample");
        }
        return divided(Gradients.squaredSum(net, batches), n);
    }

    /**
     * The own Fisher F_k, the foreign Fishers F_{k→n} and the paired squared gradient differences
     * D_n = (1/N) Σ_i (g_i^{k→n} − g_i^k)² (the {@code direction} residual), from N·(1 + foreign lists) per-sample
     * passes; F_k and F_{k→n} equal {@link #estimate} of the same batches.
     *
     * @param foreign the same samples re-rendered, one list per foreign site, batched as {@code own}
     */
    public static Paired paired(UNet net, List<Batch> own, List<List<Batch>> foreign) {
        int n = 0;
        for (Batch b : own) {
            n += b.n();
        }
        if (n == 0) {
            throw new IllegalArgumentException("the Fisher estimate needs at least one sample");
        }
        Gradients.PairedSums s = Gradients.pairedSquaredSums(net, own, foreign);
        List<ModelState> f = new ArrayList<>();
        List<ModelState> d = new ArrayList<>();
        for (int i = 0; i < foreign.size(); i++) {
            f.add(divided(s.foreign().get(i), n));
            d.add(divided(s.diffs().get(i), n));
        }
        return new Paired(divided(s.own(), n), f, d);
    }

    /**
     * {@link #estimate} on parallel workers: the samples, in order, are cut into as many contiguous chunks as there are
     * networks (live copies of one model), each chunk's Σ g² is computed on its own thread with one libtorch thread,
     * and the chunks' sums are added in chunk order. For a given number of networks the result is the same on every
     * run; it equals, to the last bit, the chunk sums computed one after another with one libtorch thread. One network
     * is {@link #estimate} on the calling thread.
     */
    public static ModelState estimate(List<UNet> nets, List<Batch> batches) {
        List<Batch> one = singles(batches);
        int workers = Math.min(nets.size(), one.size());
        if (workers <= 1) {
            return estimate(nets.get(0), batches);
        }
        int[][] c = FisherWorkers.chunks(one.size(), workers);
        List<ModelState> parts = FisherWorkers.run(workers, w -> Gradients.squaredSum(nets.get(w), one.subList(c[w][0], c[w][1])));
        return divided(sum(parts), one.size());
    }

    /** {@link #paired} on parallel workers, chunked and reduced as {@link #estimate(List, List)}. */
    public static Paired paired(List<UNet> nets, List<Batch> own, List<List<Batch>> foreign) {
        List<Batch> one = singles(own);
        int workers = Math.min(nets.size(), one.size());
        if (workers <= 1) {
            return paired(nets.get(0), own, foreign);
        }
        List<List<Batch>> foreignOne = new ArrayList<>();
        for (List<Batch> f : foreign) {
            List<Batch> s = singles(f);
            if (s.size() != one.size()) {
                throw new IllegalArgumentException("paired gradients: a foreign list has " + s.size() + " samples, own " + one.size());
            }
            foreignOne.add(s);
        }
        int[][] c = FisherWorkers.chunks(one.size(), workers);
        List<Gradients.PairedSums> parts = FisherWorkers.run(workers, w -> {
            List<List<Batch>> fw = new ArrayList<>();
            for (List<Batch> f : foreignOne) {
                fw.add(f.subList(c[w][0], c[w][1]));
            }
            return Gradients.pairedSquaredSums(nets.get(w), one.subList(c[w][0], c[w][1]), fw);
        });
        int n = one.size();
        List<ModelState> f = new ArrayList<>();
        List<ModelState> d = new ArrayList<>();
        for (int i = 0; i < foreign.size(); i++) {
            int k = i;
            f.add(divided(sum(parts.stream().map(p -> p.foreign().get(k)).toList()), n));
            d.add(divided(sum(parts.stream().map(p -> p.diffs().get(k)).toList()), n));
        }
        return new Paired(divided(sum(parts.stream().map(Gradients.PairedSums::own).toList()), n), f, d);
    }

    /** Every sample of {@code batches} as a batch of one, in order. */
    private static List<Batch> singles(List<Batch> batches) {
        List<Batch> out = new ArrayList<>();
        for (Batch b : batches) {
            for (int i = 0; i < b.n(); i++) {
                out.add(b.n() == 1 ? b : b.sample(i));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("the Fisher estimate needs at least one sample");
        }
        return out;
    }

    /** The element-wise sum of {@code parts}, added in list order (float arithmetic, so the order is fixed). */
    private static ModelState sum(List<ModelState> parts) {
        ModelState out = new ModelState();
        for (Tensor t : parts.get(0).tensors()) {
            float[] acc = t.data().clone();
            for (int p = 1; p < parts.size(); p++) {
                float[] x = parts.get(p).get(t.name()).data();
                for (int i = 0; i < acc.length; i++) {
                    acc[i] += x[i];
                }
            }
            out.put(new Tensor(t.name(), t.role(), t.part(), t.shape(), acc));
        }
        return out;
    }

    /** F_k, F_{k→n} and D_n of {@link #paired}. */
    public record Paired(ModelState own, List<ModelState> foreign, List<ModelState> diffs) {
    }

    private static ModelState divided(ModelState sum, int n) {
        float inv = 1f / n;
        ModelState out = new ModelState();
        for (Tensor t : sum.tensors()) {
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) {
                d[i] *= inv;
            }
            out.put(t);
        }
        return out;
    }
}
