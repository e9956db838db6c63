package org.resfim.engine;

import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

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
        ModelState sum = Gradients.squaredSum(net, batches);
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
