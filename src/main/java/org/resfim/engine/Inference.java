package org.resfim.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;

/** Inference with BatchNorm in evaluation mode and no autograd graph. */
public final class Inference {
    private Inference() {
    }

    /** Logits (n, classes, h, w) as a flat array. */
    public static float[] logits(UNet net, Batch b) {
        JniUtils.setGradMode(false);
        try (NDManager step = net.manager().newSubManager()) {
            return net.forward(LocalTrainer.input(step, b), false).toFloatArray();
        }
    }

    /** Binary prediction per pixel: sigmoid(logit) > threshold. */
    public static boolean[] predict(UNet net, Batch b, double threshold) {
        float[] z = logits(net, b);
        // sigmoid(z) > t  ⇔  z > log(t / (1 − t))
        double cut = Math.log(threshold / (1 - threshold));
        boolean[] out = new boolean[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = z[i] > cut;
        }
        return out;
    }

    /** Mean loss of a batch in evaluation mode (validation loss). */
    public static double loss(UNet net, Batch b) {
        JniUtils.setGradMode(false);
        try (NDManager step = net.manager().newSubManager()) {
            NDArray logits = net.forward(LocalTrainer.input(step, b), false);
            return SegmentationLoss.loss(logits, LocalTrainer.target(step, b)).getFloat();
        }
    }
}
