package org.resfim.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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

    /**
     * Paired per-sample sums over samples i: Σ_i (g_i)² of the {@code own} batches, and for every foreign list n
     * (the same samples re-rendered, batch for batch and sample for sample) Σ_i (g_i^n)² and Σ_i (g_i^n − g_i)²,
     * with g_i = ∇θ ℓ(θ; x_i, y_i), BatchNorm in inference mode. One backward pass per sample and list, as many as
     * {@link #squaredSum} on each list; each sum adds its samples in the same order as {@code squaredSum} does.
     *
     * @return own, then per foreign list its squared sum and its squared-difference sum
     */
    public static PairedSums pairedSquaredSums(UNet net, List<Batch> own, List<List<Batch>> foreign) {
        for (int n = 0; n < foreign.size(); n++) {
            List<Batch> f = foreign.get(n);
            if (f.size() != own.size()) {
                throw new IllegalArgumentException("paired gradients: foreign list " + n + " has " + f.size() + " batches, own " + own.size());
            }
            for (int b = 0; b < own.size(); b++) {
                if (f.get(b).n() != own.get(b).n()) {
                    throw new IllegalArgumentException("paired gradients: foreign list " + n + " batch " + b + " has " + f.get(b).n()
                            + " samples, own " + own.get(b).n());
                }
            }
        }
        try (NDManager acc = net.manager().newSubManager()) {
            Map<String, NDArray> ownSum = zeros(net, acc);
            List<Map<String, NDArray>> sq = new ArrayList<>();
            List<Map<String, NDArray>> diff = new ArrayList<>();
            for (int n = 0; n < foreign.size(); n++) {
                sq.add(zeros(net, acc));
                diff.add(zeros(net, acc));
            }
            for (int b = 0; b < own.size(); b++) {
                for (int i = 0; i < own.get(b).n(); i++) {
                    try (NDManager sample = net.manager().newSubManager()) {
                        Map<String, NDArray> g = new LinkedHashMap<>();
                        try (NDManager step = net.manager().newSubManager()) {
                            backward(net, own.get(b).sample(i), step, false);
                            for (UNet.Param p : net.params()) {
                                if (p.trainable()) {
                                    NDArray grad = Scopes.into(step, p.array().getGradient());
                                    ownSum.get(p.name()).addi(grad.square());
                                    g.put(p.name(), Scopes.into(sample, grad.duplicate()));
                                    JniUtils.zeroGrad(p.array());
                                }
                            }
                        }
                        for (int n = 0; n < foreign.size(); n++) {
                            try (NDManager step = net.manager().newSubManager()) {
                                backward(net, foreign.get(n).get(b).sample(i), step, false);
                                for (UNet.Param p : net.params()) {
                                    if (p.trainable()) {
                                        NDArray grad = Scopes.into(step, p.array().getGradient());
                                        sq.get(n).get(p.name()).addi(grad.square());
                                        diff.get(n).get(p.name()).addi(Scopes.into(step, grad.sub(g.get(p.name()))).square());
                                        JniUtils.zeroGrad(p.array());
                                    }
                                }
                            }
                        }
                    }
                }
            }
            List<ModelState> sqOut = new ArrayList<>();
            List<ModelState> diffOut = new ArrayList<>();
            for (int n = 0; n < foreign.size(); n++) {
                sqOut.add(toState(net, sq.get(n)));
                diffOut.add(toState(net, diff.get(n)));
            }
            return new PairedSums(toState(net, ownSum), sqOut, diffOut);
        }
    }

    /** Sums of {@link #pairedSquaredSums}: own Σ g², per foreign list Σ (g^n)² and Σ (g^n − g)². */
    public record PairedSums(ModelState own, List<ModelState> foreign, List<ModelState> diffs) {
    }

    private static Map<String, NDArray> zeros(UNet net, NDManager acc) {
        Map<String, NDArray> sums = new LinkedHashMap<>();
        for (UNet.Param p : net.params()) {
            if (p.trainable()) {
                sums.put(p.name(), acc.zeros(UNet.toShape(p.shape())));
            }
        }
        return sums;
    }

    private static ModelState toState(UNet net, Map<String, NDArray> sums) {
        ModelState out = new ModelState();
        for (UNet.Param p : net.params()) {
            if (p.trainable()) {
                out.put(new Tensor(p.name(), p.role(), p.part(), p.shape(), sums.get(p.name()).toFloatArray()));
            }
        }
        return out;
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
