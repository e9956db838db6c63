package org.resfim.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Gradients of the segmentation loss without an optimizer step: of a whole batch (either BatchNorm
 * mode), and of single samples with BatchNorm in inference mode (running statistics used and never
 * updated). The Fisher estimate is built on {@link #squaredSum}.
 */
public final class Gradients {
    private Gradients() {
    }

    /** The gradient of ℓ(θ; x_i, y_i) for sample {@code i} of the batch, BatchNorm in inference mode. */
    public static ModelState perSample(UNet net, Batch batch, int i) {
        return batch(net, batch.sample(i), false);
    }

    /**
     * The gradient of the mean batch loss, trainable tensors only. With {@code training} true,
     * BatchNorm uses batch statistics and updates its running statistics, as in a training step.
     */
    public static ModelState batch(UNet net, Batch batch, boolean training) {
        try (NDManager step = net.manager().newSubManager()) {
            backward(net, batch, step, training);
            ModelState g = new ModelState();
            for (UNet.Param p : net.params()) {
                if (p.trainable()) {
                    NDArray grad = Scopes.into(step, p.array().getGradient());
                    g.put(new Tensor(p.name(), p.role(), p.part(), p.shape(), grad.toFloatArray()));
                    JniUtils.zeroGrad(p.array());
                }
            }
            return g;
        }
    }

    /**
     * Σ_i (∇θ ℓ(θ; x_i, y_i))² over every sample of every batch, accumulated natively; the caller
     * divides by the count to get the diagonal empirical Fisher.
     */
    public static ModelState squaredSum(UNet net, Iterable<Batch> batches) {
        try (NDManager acc = net.manager().newSubManager()) {
            Map<String, NDArray> sums = new LinkedHashMap<>();
            for (UNet.Param p : net.params()) {
                if (p.trainable()) {
                    sums.put(p.name(), acc.zeros(UNet.toShape(p.shape())));
                }
            }
            for (Batch b : batches) {
                for (int i = 0; i < b.n(); i++) {
                    Batch one = b.sample(i);
                    try (NDManager step = net.manager().newSubManager()) {
                        backward(net, one, step, false);
                        for (UNet.Param p : net.params()) {
                            if (p.trainable()) {
                                NDArray grad = Scopes.into(step, p.array().getGradient());
                                sums.get(p.name()).addi(grad.square());
                                JniUtils.zeroGrad(p.array());
                            }
                        }
                    }
                }
            }
            ModelState out = new ModelState();
            for (UNet.Param p : net.params()) {
                if (p.trainable()) {
                    out.put(new Tensor(p.name(), p.role(), p.part(), p.shape(), sums.get(p.name()).toFloatArray()));
                }
            }
            return out;
        }
    }

    private static void backward(UNet net, Batch b, NDManager step, boolean training) {
        JniUtils.setGradMode(true);
        try {
            NDArray loss = SegmentationLoss.loss(net.forward(LocalTrainer.input(step, b), training), LocalTrainer.target(step, b));
            LocalTrainer.backward(loss, step);
        } finally {
            JniUtils.setGradMode(false);
        }
    }
}
