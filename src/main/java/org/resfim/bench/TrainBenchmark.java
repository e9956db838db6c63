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
        Batch b = randomBatch(batch, cfg.inChannels(), size, seed);
        try (UNet net = new UNet(cfg, seed); Adam adam = Adam.standard(net, 5e-4, null)) {
            LocalTrainer.step(net, adam, b, 1e-3, TrainingHooks.NONE, 0); // warm-up
            long t = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                LocalTrainer.step(net, adam, b, 1e-3, TrainingHooks.NONE, i + 1);
            }
            double train = (double) batch * steps / seconds(t);
            Inference.logits(net, b); // warm-up
            t = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                Inference.logits(net, b);
            }
            double infer = (double) batch * steps / seconds(t);
            t = System.nanoTime();
            Gradients.squaredSum(net, List.of(b));
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
        Batch b = randomBatch(batch, cfg.inChannels(), size, seed);
        try (UNet net = new UNet(cfg, seed); Adam adam = Adam.standard(net, 5e-4, null)) {
            Runnable once = switch (figure) {
                case "training" -> () -> LocalTrainer.step(net, adam, b, 1e-3, TrainingHooks.NONE, 0);
                case "inference" -> () -> Inference.logits(net, b);
                default -> () -> Gradients.squaredSum(net, List.of(b));
            };
            once.run();
            OpProfile.record(trace, () -> {
                for (int i = 0; i < steps; i++) {
                    once.run();
                }
            });
        }
    }

    static Batch randomBatch(int n, int c, int size, long seed) {
        return Batch.random(n, c, size, seed);
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
