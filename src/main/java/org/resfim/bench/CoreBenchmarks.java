package org.resfim.bench;

import org.resfim.algorithms.MaskedAverageServer;
import org.resfim.engine.Batch;
import org.resfim.engine.FisherEstimator;
import org.resfim.engine.UNet;
import org.resfim.federation.Message;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.fisher.PartitionConfig;
import org.resfim.fisher.ResidualFisher;
import org.resfim.fisher.SensitivityPartition;
import org.resfim.model.UNetArchitecture;
import org.resfim.model.UNetConfig;
import org.resfim.spectral.AmplitudeTransfer;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.StateFile;
import org.resfim.state.StateOps;
import org.resfim.state.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The engine-free and pFL-ResFIM hot paths: aggregation, serialization, one full ResFIM estimate, memory. */
public final class CoreBenchmarks {
    private CoreBenchmarks() {
    }

    /**
     * Milliseconds of one aggregation of {@code sites} reference-U-Net uploads (median of {@code reps}): the whole
     * server step (validation of every upload, the masked average, the download), the masked average alone, and
     * the minor page faults of one whole step (fresh memory the kernel had to map: a sign of allocation cost).
     */
    public record Aggregation(int sites, long elements, double fedAvgMs, double maskedMs, double fedAvgAverageMs, double maskedAverageMs,
                              long fedAvgFaults, long maskedFaults) {
    }

    public static Aggregation aggregation(int sites, int reps) {
        ModelState layout = UNetArchitecture.layout(UNetConfig.reference());
        List<Reply> plain = new ArrayList<>();
        List<Reply> masked = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int k = 0; k < sites; k++) {
            ModelState s = random(layout, k);
            Mask m = Mask.allInvariant(s);
            SplittableRandom r = new SplittableRandom(100 + k);
            for (Tensor t : s.tensors()) {
                for (int i = 0; i < t.size(); i++) {
                    if (r.nextDouble() < 0.2) {
                        m.set(t.name(), i, true);
                    }
                }
            }
            names.add("site-" + k);
            plain.add(new Reply("site-" + k, Phase.FIT, 1, Message.of(s), 10 + k, null, null));
            masked.add(new Reply("site-" + k, Phase.FIT, 1, new Message(StateOps.invariantOnly(s, m), m, null), 10 + k, null, null));
        }
        double a = median(reps, () -> new MaskedAverageServer(layout).aggregate(1, plain, names));
        long fa = minorFaults(() -> new MaskedAverageServer(layout).aggregate(1, plain, names));
        double b = median(reps, () -> new MaskedAverageServer(layout).aggregate(1, masked, names));
        long fb = minorFaults(() -> new MaskedAverageServer(layout).aggregate(1, masked, names));
        List<ModelState> plainStates = plain.stream().map(r -> r.upload().tensors()).toList();
        List<Mask> allShared = plainStates.stream().map(Mask::allInvariant).toList();
        List<ModelState> maskedStates = masked.stream().map(r -> r.upload().tensors()).toList();
        List<Mask> masks = masked.stream().map(r -> r.upload().mask()).toList();
        double[] w = plain.stream().mapToDouble(Reply::numSamples).toArray();
        double avgA = median(reps, () -> StateOps.maskedAverage(plainStates, allShared, w, layout));
        double avgB = median(reps, () -> StateOps.maskedAverage(maskedStates, masks, w, layout));
        return new Aggregation(sites, layout.numElements(), a, b, avgA, avgB, fa, fb);
    }

    /** MB/s of StateFile encode, decode and a file round trip, and of a plain byte copy of the same size. */
    public record Serialization(double megabytes, double encodeMBs, double decodeMBs, double fileRoundTripMBs, double rawCopyMBs) {
    }

    public static Serialization serialization(int reps) throws IOException {
        ModelState s = random(UNetArchitecture.layout(UNetConfig.reference()), 1);
        byte[] bytes = StateFile.toBytes(s);
        double mb = bytes.length / 1e6;
        double enc = median(reps, () -> StateFile.toBytes(s));
        double dec = median(reps, () -> {
            try {
                StateFile.fromBytes(bytes, "bench");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Path tmp = Files.createTempFile("resfim-bench", StateFile.EXTENSION);
        double file = median(reps, () -> {
            try {
                StateFile.write(s, tmp);
                StateFile.read(tmp);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Files.deleteIfExists(tmp);
        byte[] dst = new byte[bytes.length];
        double copy = median(reps, () -> System.arraycopy(bytes, 0, dst, 0, bytes.length));
        return new Serialization(mb, mb / (enc / 1e3), mb / (dec / 1e3), mb / (file / 1e3), mb / (copy / 1e3));
    }

    /** Seconds of one full pFL-ResFIM estimate for one site with K sites: own + (K−1) foreign Fisher passes, residual, partition. */
    public record Estimate(int sites, int samples, int size, double seconds, double fisherSeconds, double transferSeconds, double partitionSeconds) {
    }

    public static Estimate resfimEstimate(int sites, int samples, int size) {
        UNetConfig cfg = UNetConfig.reference();
        Batch own = Batch.random(samples, 3, size, 7);
        List<float[][][]> windows = new ArrayList<>();
        for (int k = 1; k < sites; k++) {
            windows.add(AmplitudeTransfer.window(Batch.random(1, 3, size, 100 + k).images(), 3, size, size, 0.03));
        }
        try (UNet net = new UNet(cfg, 0)) {
            long t0 = System.nanoTime();
            long fisherNs = 0;
            long transferNs = 0;
            long t = System.nanoTime();
            ModelState fk = FisherEstimator.estimate(net, List.of(own));
            fisherNs += System.nanoTime() - t;
            List<ModelState> foreign = new ArrayList<>();
            int per = 3 * size * size;
            for (float[][][] w : windows) {
                t = System.nanoTime();
                float[] x = new float[own.images().length];
                for (int i = 0; i < samples; i++) {
                    float[] img = new float[per];
                    System.arraycopy(own.images(), i * per, img, 0, per);
                    System.arraycopy(AmplitudeTransfer.transfer(img, 3, size, size, w, 1.0), 0, x, i * per, per);
                }
                transferNs += System.nanoTime() - t;
                t = System.nanoTime();
                foreign.add(FisherEstimator.estimate(net, List.of(new Batch(x, own.targets(), samples, 3, 1, size, size))));
                fisherNs += System.nanoTime() - t;
            }
            t = System.nanoTime();
            ModelState score = ResidualFisher.compute(fk, foreign, PartitionConfig.defaults().residual(), 1e-12);
            SensitivityPartition.partition(score, net.toState(), PartitionConfig.defaults(), 0);
            long partNs = System.nanoTime() - t;
            return new Estimate(sites, samples, size, (System.nanoTime() - t0) / 1e9, fisherNs / 1e9, transferNs / 1e9, partNs / 1e9);
        }
    }

    /**
     * The engine-free hot paths of an estimate, each the best of {@code reps} (milliseconds): a 3x128x128 FFT round
     * trip, a style transfer of a fundus-sized 3x584x565 image, the residual of a reference-U-Net-sized Fisher against
     * four foreign ones, and the partition of it (per tensor and global).
     */
    public record HotPaths(double fftRoundTripMs, double fundusTransferMs, long elements, double residualMs, double partitionPerTensorMs,
                           double partitionGlobalMs) {
    }

    public static HotPaths hotPaths(int reps) {
        SplittableRandom r = new SplittableRandom(4);
        double[][] re = new double[3][128 * 128];
        double[][] im = new double[3][128 * 128];
        double fft = best(reps, () -> {
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < re[c].length; i++) {
                    re[c][i] = r.nextDouble();
                    im[c][i] = 0;
                }
                org.resfim.spectral.Fft2.forward(re[c], im[c], 128, 128);
                org.resfim.spectral.Fft2.inverse(re[c], im[c], 128, 128);
            }
        });
        int h = 584;
        int w = 565;
        float[] img = new float[3 * h * w];
        float[] style = new float[3 * h * w];
        for (int i = 0; i < img.length; i++) {
            img[i] = (float) r.nextDouble();
            style[i] = (float) (0.3 + 0.5 * r.nextDouble());
        }
        float[][][] window = AmplitudeTransfer.window(style, 3, h, w, 0.03);
        double transfer = best(reps, () -> AmplitudeTransfer.transfer(img, 3, h, w, window, 1.0));
        ModelState layout = UNetArchitecture.layout(UNetConfig.reference()).filter(t -> t.role().trainable());
        ModelState own = positive(layout, 1);
        List<ModelState> foreign = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            foreign.add(positive(layout, 2 + n));
        }
        ModelState[] score = new ModelState[1];
        double residual = best(reps, () -> score[0] = ResidualFisher.compute(own, foreign, org.resfim.fisher.Residual.ABSOLUTE, 1e-12));
        double perTensor = best(reps, () -> SensitivityPartition.partition(score[0], layout, PartitionConfig.Variant.RESFIM,
                PartitionConfig.Scope.PER_TENSOR, 0.2, 0));
        double global = best(reps, () -> SensitivityPartition.partition(score[0], layout, PartitionConfig.Variant.RESFIM,
                PartitionConfig.Scope.GLOBAL, 0.2, 0));
        return new HotPaths(fft, transfer, layout.numElements(), residual, perTensor, global);
    }

    private static ModelState positive(ModelState layout, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        ModelState s = new ModelState();
        for (Tensor t : layout.tensors()) {
            float[] d = new float[t.size()];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) r.nextDouble();
            }
            s.put(t.withData(d));
        }
        return s;
    }

    private static double best(int reps, Runnable r) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long t = System.nanoTime();
            r.run();
            best = Math.min(best, (System.nanoTime() - t) / 1e6);
        }
        return best;
    }

    /** Minor page faults of this process while {@code r} runs (/proc/self/stat), or -1 where it cannot be read. */
    static long minorFaults(Runnable r) {
        long before = readMinorFaults();
        r.run();
        long after = readMinorFaults();
        return before < 0 || after < 0 ? -1 : after - before;
    }

    private static long readMinorFaults() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[7]); // field 10 of stat(5): minflt (fields after the name start at 3)
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The 1-minute load average (/proc/loadavg), or NaN. */
    public static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Peak resident set size of this process in MiB (VmHWM), or NaN where /proc is not available. */
    public static double peakRssMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    static ModelState random(ModelState layout, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        ModelState s = new ModelState();
        for (Tensor t : layout.tensors()) {
            float[] d = new float[t.size()];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (r.nextDouble() - 0.5);
            }
            s.put(t.withData(d));
        }
        return s;
    }

    private static double median(int reps, Runnable r) {
        r.run(); // warm-up
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t = System.nanoTime();
            r.run();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        java.util.Arrays.sort(ms);
        return ms[reps / 2];
    }
}
