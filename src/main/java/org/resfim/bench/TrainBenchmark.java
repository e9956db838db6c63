package org.resfim.bench;

import org.resfim.engine.Adam;
import org.resfim.engine.Batch;
import org.resfim.engine.ConvolutionTiming;
import org.resfim.engine.Gradients;
import org.resfim.engine.Inference;
import org.resfim.engine.LocalTrainer;
import org.resfim.engine.OpProfile;
import org.resfim.engine.TrainingHooks;
import org.resfim.engine.UNet;
import org.resfim.model.UNetArchitecture;
import org.resfim.model.UNetConfig;

import java.nio.file.Path;
import java.util.List;

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
        long forward = UNetArchitecture.convolutionMacs(cfg, size, size);
        long macs = switch (figure) {
            case "inference" -> forward;
            case "training", "fisher" -> 3 * forward - UNetArchitecture.inputConvolutionMacs(cfg, size, size);
            default -> throw unknownFigure(figure);
        };
        return 2.0 * macs;
    }

    /**
     * This machine's attainable convolution throughput in GFLOP/s at the current thread count: the best of
     * {@code steps} timed forward passes (after a warm-up) of one large 3×3 convolution (256 → 256 channels, 32×32, batch 8,
     * channels-last, the layout and kernels the U-Net uses), the shape on which oneDNN comes closest to the
     * cores' peak. The U-Net's figures divided by it say how much of the hardware they use.
     */
    public static double convolutionPeakGflops(int steps) {
        UNetArchitecture.ConvLayer probe = new UNetArchitecture.ConvLayer("peak", 256, 256, 3, 32, 32);
        int n = 8;
        return 2.0 * n * probe.macs() / ConvolutionTiming.seconds(probe, n, false, false, steps) / 1e9;
    }

    /** Images/s if a figure were nothing but its convolutions, each run at the speed it reaches alone. */
    public record Ceiling(double trainImagesPerSecond, double inferImagesPerSecond, double fisherImagesPerSecond) {
    }

    /**
     * The ceiling any framework calling these convolution kernels can reach: every convolution of the
     * network (see {@link UNet#convolutions}) timed in isolation on random channels-last data — forward
     * alone at batch {@code batch} (inference), forward and backward at batch {@code batch} (training), forward
     * and backward at batch 1 (per-sample Fisher; the first layer computes no input gradient) — best of
     * {@code reps} after a warm-up, summed over layers. Normalisation, activations, pooling, upsampling,
     * concatenation, the loss and the optimizer cost nothing here, which no real pass achieves.
     */
    public static Ceiling convolutionCeiling(UNetConfig cfg, int size, int batch, int reps) {
        double forward = 0;
        double backward = 0;
        double perSample = 0;
        List<UNetArchitecture.ConvLayer> layers = UNetArchitecture.convolutions(cfg, size, size);
        for (int i = 0; i < layers.size(); i++) {
            UNetArchitecture.ConvLayer l = layers.get(i);
            forward += ConvolutionTiming.seconds(l, batch, false, false, reps);
            backward += ConvolutionTiming.seconds(l, batch, true, i > 0, reps);
            perSample += batch * ConvolutionTiming.seconds(l, 1, true, i > 0, reps);
        }
        return new Ceiling(batch / backward, batch / forward, batch / perSample);
    }

    /** The figures {@link #profile} can record. */
    public static final List<String> FIGURES = List.of("training", "inference", "fisher");

    /**
     * One warm-up, then {@code steps} repetitions of one figure under libtorch's operator profiler, written
     * to {@code trace} (see {@link OpProfile}); for finding where the time goes, not for timing.
     */
    public static void profile(UNetConfig cfg, String figure, int size, int batch, int steps, long seed, Path trace) {
        if (!FIGURES.contains(figure)) {
            throw unknownFigure(figure);
        }
        Batch b = Batch.random(batch, cfg.inChannels(), size, seed);
        try (UNet net = new UNet(cfg, seed); Adam adam = Adam.standard(net, 5e-4, null)) {
            Runnable once = figure(figure, net, adam, b);
            once.run();
            OpProfile.record(trace, () -> repeat(once, steps));
        }
    }

    private static IllegalArgumentException unknownFigure(String figure) {
        return new IllegalArgumentException("unknown figure '" + figure + "'; expected one of " + FIGURES);
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
