package org.resfim.engine;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import org.resfim.model.UNetArchitecture;

/**
 * One convolution of the U-Net timed alone, straight on libtorch's kernels (for {@code bench train}'s convolution
 * peak and ceiling): random channels-last data, the layout and kernels the U-Net uses.
 */
public final class ConvolutionTiming {
    private ConvolutionTiming() {
    }

    /**
     * The best of {@code reps} timed passes (after one warm-up, which builds oneDNN's kernels) of {@code layer} at batch
     * {@code n}, in seconds: the forward alone, or with {@code backward} the forward and the backward (weight and bias
     * gradients, and the input's with {@code inputGradient}).
     */
    public static double seconds(UNetArchitecture.ConvLayer layer, int n, boolean backward, boolean inputGradient, int reps) {
        try (NDManager m = Djl.engine().newBaseManager()) {
            PtNDArray x = channelsLast(m, n, layer.in(), layer.height(), layer.width());
            PtNDArray w = (PtNDArray) m.randomUniform(-0.1f, 0.1f, new Shape(layer.out(), layer.in(), layer.kernel(), layer.kernel()));
            PtNDArray b = (PtNDArray) m.zeros(new Shape(layer.out()));
            PtNDArray dy = channelsLast(m, n, layer.out(), layer.height(), layer.width());
            Shape one = new Shape(1, 1);
            Shape pad = layer.kernel() == 3 ? one : new Shape(0, 0);
            if (backward) {
                w.setRequiresGradient(true);
                b.setRequiresGradient(true);
                x.setRequiresGradient(inputGradient);
            }
            double best = Double.MAX_VALUE;
            for (int i = 0; i <= reps; i++) {
                JniUtils.setGradMode(backward);
                try {
                    long t = System.nanoTime();
                    PtNDArray y = JniUtils.convolution(x, w, b, one, pad, one, 1);
                    if (backward) {
                        JniUtils.backward(y, dy, false, false);
                    }
                    double seconds = (System.nanoTime() - t) / 1e9;
                    y.close();
                    if (i > 0) { // the first call builds oneDNN's kernels
                        best = Math.min(best, seconds);
                    }
                } finally {
                    JniUtils.setGradMode(false);
                }
                if (backward) {
                    JniUtils.zeroGrad(w);
                    JniUtils.zeroGrad(b);
                    if (inputGradient) {
                        JniUtils.zeroGrad(x);
                    }
                }
            }
            return best;
        }
    }

    /** A random (n, c, h, w) array stored channels-last, as the U-Net's activations are. */
    private static PtNDArray channelsLast(NDManager m, int n, int c, int h, int w) {
        PtNDArray nhwc = (PtNDArray) m.randomUniform(0f, 1f, new Shape(n, h, w, c));
        return JniUtils.permute(nhwc, new long[] {0, 3, 1, 2});
    }
}
