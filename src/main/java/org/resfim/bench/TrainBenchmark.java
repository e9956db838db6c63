package org.resfim.bench;

import org.resfim.engine.Adam;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import org.resfim.engine.Batch;
import org.resfim.engine.Djl;
import org.resfim.engine.Gradients;
import org.resfim.engine.Inference;
import org.resfim.engine.LocalTrainer;
import org.resfim.engine.OpProfile;
import org.resfim.engine.TrainingHooks;
import org.resfim.engine.UNet;
import org.resfim.engine.UNetConfig;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Images per second of the reference U-Net for a training step (Adam, weight decay), inference and a
 * per-sample Fisher pass — the same three figures, shapes and protocol as the PyTorch peer
 * (one warm-up step, then {@code steps} timed steps on a fixed random batch).
 */
public final class TrainBenchmark {
    private TrainBenchmark() {
    }

    /** The measured throughputs. */
    public record Result(int size, int batch, double trainImagesPerSecond, double inferImagesPerSecond, double fisherImagesPerSecond) {
    }

    public static Result run(UNetConfig cfg, int size, int batch, int steps, long seed) {
        Batch b = Batch.random(batch, cfg.inChannels(), size, seed);
        try (UNet net = new UNet(cfg, seed); Adam adam = Adam.standard(net, 5e-4, null)) {
            double train = (double) batch * steps / warmThenTime(figure("training", net, adam, b), steps);
            double infer = (double) batch * steps / warmThenTime(figure("inference", net, adam, b), steps);
            long t = System.nanoTime();
            figure("fisher", net, adam, b).run(); // one pass over the batch, one backward per sample
            double fisher = batch / seconds(t);
            return new Result(size, batch, train, infer, fisher);
        }
    }

    /**
     * Nominal convolution floating-point operations per image of a figure: 2 per multiply-accumulate of a
     * forward pass (see {@link UNet#convolutionMacs}); a training step and a per-sample Fisher pass add the
     * backward's data and weight gradients (each the forward's size), less the first layer's data gradient,
     * which nothing needs. Same network, same count for the peer.
     */
    public static double flopsPerImage(UNetConfig cfg, String figure, int size) {
        long forward = UNet.convolutionMacs(cfg, size, size);
        long macs = switch (figure) {
            case "inference" -> forward;
            case "training", "fisher" -> 3 * forward - UNet.inputConvolutionMacs(cfg, size, size);
            default -> throw new IllegalArgumentException("unknown figure '" + figure + "'; expected one of " + FIGURES);
        };
        return 2.0 * macs;
    }

    /**
     * This machine's attainable convolution throughput in GFLOP/s at the current thread count: the best of
     * {@code steps} timed forward passes of one large 3×3 convolution (256 → 256 channels, 32×32, batch 8,
     * channels-last, the layout and kernels the U-Net uses), the shape on which oneDNN comes closest to the
     * cores' peak. The U-Net's figures divided by it say how much of the hardware they use.
     */
    public static double convolutionPeakGflops(int steps) {
        int n = 8;
        int c = 256;
        int s = 32;
        try (NDManager m = Djl.engine().newBaseManager()) {
            SplittableRandom rng = new SplittableRandom(0);
            float[] x = new float[n * s * s * c];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rng.nextDouble();
            }
            float[] w = new float[c * c * 9];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (rng.nextDouble() - 0.5) * 0.05f;
            }
            PtNDArray input = JniUtils.permute((PtNDArray) m.create(FloatBuffer.wrap(x), new Shape(n, s, s, c), DataType.FLOAT32),
                    new long[] {0, 3, 1, 2});
            PtNDArray weight = (PtNDArray) m.create(FloatBuffer.wrap(w), new Shape(c, c, 3, 3), DataType.FLOAT32);
            PtNDArray bias = (PtNDArray) m.zeros(new Shape(c));
            Shape one = new Shape(1, 1);
            double best = Double.MAX_VALUE;
            for (int i = 0; i <= steps; i++) {
                long t = System.nanoTime();
                PtNDArray y = JniUtils.convolution(input, weight, bias, one, one, one, 1);
                double seconds = (System.nanoTime() - t) / 1e9;
                y.close();
                if (i > 0) { // the first call builds oneDNN's kernel
                    best = Math.min(best, seconds);
                }
            }
            return 2.0 * n * c * c * 9 * s * s / best / 1e9;
        }
    }

    /** The figures {@link #profile} can record. */
    public static final List<String> FIGURES = List.of("training", "inference", "fisher");

    /**
     * One warm-up, then {@code steps} repetitions of one figure under libtorch's operator profiler, written
     * to {@code trace} (see {@link OpProfile}); for finding where the time goes, not for timing.
     */
    public static void profile(UNetConfig cfg, String figure, int size, int batch, int steps, long seed, Path trace) {
        if (!FIGURES.contains(figure)) {
            throw new IllegalArgumentException("unknown figure '" + figure + "'; expected one of " + FIGURES);
        }
        Batch b = Batch.random(batch, cfg.inChannels(), size, seed);
        try (UNet net = new UNet(cfg, seed); Adam adam = Adam.standard(net, 5e-4, null)) {
            Runnable once = figure(figure, net, adam, b);
            once.run();
            OpProfile.record(trace, () -> repeat(once, steps));
        }
    }

    /** One repetition of a figure: a training step (Adam, weight decay), an inference, or a per-sample Fisher pass. */
    private static Runnable figure(String figure, UNet net, Adam adam, Batch b) {
        return switch (figure) {
            case "training" -> () -> LocalTrainer.step(net, adam, b, 1e-3, TrainingHooks.NONE, 0);
            case "inference" -> () -> Inference.logits(net, b);
            default -> () -> Gradients.squaredSum(net, List.of(b));
        };
    }

    /** Seconds for {@code steps} repetitions after one warm-up. */
    private static double warmThenTime(Runnable once, int steps) {
        once.run();
        long t = System.nanoTime();
        repeat(once, steps);
        return seconds(t);
    }

    private static void repeat(Runnable once, int steps) {
        for (int i = 0; i < steps; i++) {
            once.run();
        }
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
