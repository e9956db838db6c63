package org.resfim.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;


/**
 * THE local-training loop. Every algorithm trains through {@link #train}; what algorithms add comes in
 * through {@link TrainingHooks}. Each step runs in its own native scope: inputs, activations, gradients
 * and optimizer temporaries are freed when the step ends, so native memory does not grow with steps.
 */
public final class LocalTrainer {
    private LocalTrainer() {
    }

    /** Summary of one local training: optimizer steps, mean batch loss, loss of the last step. */
    public record Result(int steps, double meanLoss, double lastLoss) {
    }

    public static Result train(UNet net, Adam adam, Iterable<Batch> batches, double lr, TrainingHooks hooks) {
        int steps = 0;
        double sum = 0;
        double last = Double.NaN;
        for (Batch b : batches) {
            last = step(net, adam, b, lr, hooks, steps);
            sum += last;
            hooks.afterStep(steps, last);
            steps++;
        }
        return new Result(steps, steps == 0 ? Double.NaN : sum / steps, last);
    }

    /** One optimizer step on one batch; returns the batch loss (including any extra term). */
    public static double step(UNet net, Adam adam, Batch b, double lr, TrainingHooks hooks, int index) {
        try (NDManager step = net.manager().newSubManager()) {
            double lossValue;
            JniUtils.setGradMode(true);
            try {
                NDArray x = input(step, b);
                NDArray y = target(step, b);
                NDArray loss = SegmentationLoss.loss(net.forward(x, true), y);
                NDArray extra = hooks.extraLoss(net, step);
                if (extra != null) {
                    loss = loss.add(extra);
                }
                lossValue = loss.getFloat();
                if (!Double.isFinite(lossValue)) {
                    zeroGradients(net);
                    throw new NonFiniteLossException(index, lossValue);
                }
                backward(loss, step);
            } finally {
                JniUtils.setGradMode(false);
            }
            adam.beginStep();
            for (UNet.Param p : net.params()) {
                if (!p.trainable()) {
                    continue;
                }
                if (!hooks.frozen(p.name())) {
                    NDArray g = Scopes.into(step, p.array().getGradient());
                    adam.update(p.name(), p.array(), g, lr);
                }
                JniUtils.zeroGrad(p.array());
            }
            return lossValue;
        }
    }

    static void backward(NDArray loss, NDManager step) {
        PtNDArray ones = (PtNDArray) step.ones(loss.getShape());
        JniUtils.backward((PtNDArray) loss, ones, false, false);
    }

    static void zeroGradients(UNet net) {
        for (UNet.Param p : net.params()) {
            if (p.trainable()) {
                JniUtils.zeroGrad(p.array());
            }
        }
    }

    /**
     * The image batch as a native (N, C, H, W) array whose memory is channels-last (N, H, W, C): libtorch
     * then keeps every activation channels-last and oneDNN convolves without reordering activations to
     * and from its blocked layout. Same values, same shapes, another stride order; measured on 2 cores
     * at 3×128×128 it gives +24% inference and +15% forward/backward images/s.
     */
    static NDArray input(NDManager m, Batch b) {
        int n = b.n();
        int c = b.channels();
        int hw = b.height() * b.width();
        float[] src = b.images();
        float[] nhwc = new float[src.length];
        for (int i = 0; i < n; i++) {
            int base = i * c * hw;
            for (int k = 0; k < c; k++) {
                int from = base + k * hw;
                for (int p = 0; p < hw; p++) {
                    nhwc[base + p * c + k] = src[from + p];
                }
            }
        }
        PtNDArray stored = NativeArrays.copyOf(m, nhwc, new Shape(n, b.height(), b.width(), c));
        return JniUtils.permute(stored, CHANNELS_FIRST_VIEW);
    }

    private static final long[] CHANNELS_FIRST_VIEW = {0, 3, 1, 2};

    static NDArray target(NDManager m, Batch b) {
        return NativeArrays.copyOf(m, b.targets(), new Shape(b.n(), b.classes(), b.height(), b.width()));
    }
}
