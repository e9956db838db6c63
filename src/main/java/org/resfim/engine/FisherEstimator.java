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
