package org.resfim.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

import java.nio.FloatBuffer;

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
                    adam.update(p.name(), p.array(), g, lr, step);
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

    static NDArray input(NDManager m, Batch b) {
        return m.create(FloatBuffer.wrap(b.images()), new Shape(b.n(), b.channels(), b.height(), b.width()), DataType.FLOAT32);
    }

    static NDArray target(NDManager m, Batch b) {
        return m.create(FloatBuffer.wrap(b.targets()), new Shape(b.n(), b.classes(), b.height(), b.width()), DataType.FLOAT32);
    }
}
