package org.resfim.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * 0.5·BCE-with-logits + 0.5·(1 − soft Dice), soft Dice per image with smoothing 1e-6, averaged
 * over the batch (METHOD.md). Targets are (N, C, H, W) in {0, 1}.
 */
public final class SegmentationLoss {
    public static final double SMOOTH = 1e-6;

    private SegmentationLoss() {
    }

    /** Scalar loss (mean over the batch). */
    public static NDArray loss(NDArray logits, NDArray target) {
        return perSample(logits, target).mean();
    }

    /** Loss of each sample, shape (N): BCE averaged over the sample's pixels plus its Dice term. */
    public static NDArray perSample(NDArray logits, NDArray target) {
        long n = logits.getShape().get(0);
        // constants as native tensors: autograd keeps the factors of products for the backward (see NativeArrays)
        NDManager m = logits.getManager();
        NDArray one = NativeArrays.scalar(m, 1f);
        NDArray two = NativeArrays.scalar(m, 2f);
        NDArray half = NativeArrays.scalar(m, 0.5f);
        NDArray smooth = NativeArrays.scalar(m, (float) SMOOTH);
        NDArray z = logits.reshape(n, -1);
        NDArray y = target.reshape(n, -1);
        int[] axis = {1};
        // Numerically stable BCE with logits: max(z,0) − z·y + log(1 + exp(−|z|)).
        NDArray bce = z.clip(0, Float.MAX_VALUE).sub(z.mul(y))
                .add(z.abs().neg().exp().add(one).log())
                .mean(axis);
        NDArray p = z.getNDArrayInternal().sigmoid();
        NDArray inter = p.mul(y).sum(axis);
        NDArray den = p.sum(axis).add(y.sum(axis));
        NDArray dice = inter.mul(two).add(smooth).div(den.add(smooth));
        return bce.mul(half).add(dice.neg().add(one).mul(half));
    }
}
