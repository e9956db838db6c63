package org.resfim.bench;

import org.resfim.engine.Adam;
import org.resfim.engine.Batch;
import org.resfim.engine.Gradients;
import org.resfim.engine.Inference;
import org.resfim.engine.LocalTrainer;
import org.resfim.engine.OpProfile;
import org.resfim.engine.TrainingHooks;
import org.resfim.engine.UNet;
import org.resfim.engine.UNetConfig;

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
