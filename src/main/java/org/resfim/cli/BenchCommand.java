package org.resfim.cli;

import org.resfim.bench.MachineInfo;
import org.resfim.bench.TorchPeer;
import org.resfim.bench.TraceSummary;
import org.resfim.bench.TrainBenchmark;
import org.resfim.engine.Djl;
import org.resfim.model.UNetConfig;
import org.resfim.run.BuildInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code resfim bench}: benchmarks, separate from the test suite. */
@Command(name = "bench", description = {"Benchmarks (not tests): print figures and the ratio to the PyTorch peer.",
        "Without a subcommand: train --peer (128 and 256) and core, in one invocation."},
        subcommands = {BenchCommand.Train.class, BenchCommand.Core.class, BenchCommand.Quality.class, BenchCommand.Estimate.class,
                BenchCommand.SecAgg.class})
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--threads", defaultValue = "0", description = "Threads (0 = all cores).")
    int threads;

    /** Without a subcommand: every benchmark, side by side with the PyTorch peer, in one invocation. */
    @Override
    public Integer call() throws Exception {
        OptionChecks.threads(threads);
        Train t = new Train();
        t.sizes = List.of(128, 256);
        t.batch = 8;
        t.steps = 10;
        t.threads = threads;
        t.peer = true;
        t.peerScript = Path.of("..", "shared", "bench", "torch_unet_bench.py");
        int a = t.call();
        Core c = new Core();
        c.sites = 10;
        c.size = 128;
        c.samples = 8;
        c.threads = threads;
        return Math.max(a, c.call());
    }

    /** Training quality against the same recipe in plain PyTorch (the twin), on the same split and initial weights. */
    @Command(name = "quality", description = {"Training quality against the same recipe in plain PyTorch.",
            "Trains Local (and FedAvg) in ResFIM and in a PyTorch twin on the same split and prints the per-site Dice gap.",
            "The twin reads ResFIM's preprocessed split and initial weights and follows the configuration's recipe; both stacks' results "
                    + "go through ResFIM's selection rule. Results: OUT/resfim (a run directory), OUT/twin, OUT/quality.md. Rerun the "
                    + "same command to continue an interrupted ResFIM run."})
    public static final class Quality implements Callable<Integer> {
        @Option(names = "--config", required = true, description = "Federation configuration (YAML).")
        Path config;
        @Option(names = "--rounds", description = "Communication rounds T (default: the configuration's).")
        Integer rounds;
        @Option(names = "--seeds", split = ",", description = "Seeds, e.g. 0,1,2 (default: the configuration's).")
        List<Long> seeds;
        @Option(names = "--methods", split = ",", defaultValue = "local", description = "local and/or fedavg (default: ${DEFAULT-VALUE}).")
        List<String> methods;
        @Option(names = "--out", required = true, description = "Output folder.")
        Path out;
        @Option(names = "--stacks", defaultValue = "both", description = "resfim, twin or both (default: ${DEFAULT-VALUE}); the other's results are read if present.")
        String stacks;
        @Option(names = "--twin-init", defaultValue = "resfim-weights",
                description = "The twin's initial weights: resfim-weights (ResFIM's own), kaiming-fan-out or torch-default (default: ${DEFAULT-VALUE}).")
        String twinInit;
        @Option(names = "--augment-per", defaultValue = "sample", description = "The twin's augmentation draws: sample (ResFIM's rule) or batch (default: ${DEFAULT-VALUE}).")
        String augmentPer;
        @Option(names = "--peer-script", defaultValue = "../shared/bench/torch_unet_bench.py", description = "The peer whose U-Net and loss the twin uses (default: ${DEFAULT-VALUE}).")
        Path peerScript;
        @Option(names = "--threads", defaultValue = "0", description = "Threads of each stack (0 = all cores).")
        int threads;

        @Override
        public Integer call() throws Exception {
            if (!stacks.matches("resfim|twin|both")) {
                throw new IllegalArgumentException("--stacks must be resfim, twin or both, got '" + stacks + "'");
            }
            Djl.setThreads(threads);
            org.resfim.run.RunPlan plan = org.resfim.run.Plans.build(new org.resfim.run.Plans.Overrides(config, null, methods, seeds,
                    rounds, null, null, out.resolve("resfim")));
            String table = org.resfim.bench.QualityTwin.run(plan, out, new org.resfim.bench.QualityTwin.Options(peerScript, twinInit, augmentPer,
                    Djl.threads(), stacks), System.out);
            System.out.println();
            System.out.println(table);
            System.out.println("Written: " + out.resolve("quality.md"));
            return 0;
        }
    }

    /** The ResFIM estimate's share of local training time as K grows, with and without max_foreign (issue #15 item 5). */
    @Command(name = "estimate", description = {"The cost of one pFL-ResFIM estimate as a share of local training time.",
            "At K synthetic sites (64x64, 30 images per site, reference U-Net, N = 8): all K - 1 foreign styles, and a seeded sample of "
                    + "max_foreign of them.",
            "Prints per K: per-sample passes, seconds of one training round and of one estimate, and the share at R = 20 (the default) and R = 5."})
    public static final class Estimate implements Callable<Integer> {
        @Option(names = "--sites", split = ",", defaultValue = "3,10,50", description = "Federation sizes K (default: ${DEFAULT-VALUE}).")
        List<Integer> sites;
        @Option(names = "--max-foreign", split = ",", defaultValue = "0,3", description = "max_foreign values, 0 = all (default: ${DEFAULT-VALUE}).")
        List<Integer> maxForeign;
        @Option(names = "--samples", defaultValue = "8", description = "Samples N (default: ${DEFAULT-VALUE}, pfl-resfim's default).")
        int samples;
        @Option(names = "--size", defaultValue = "64", description = "Image size (default: ${DEFAULT-VALUE}, simulate's synthetic default).")
        int size;
        @Option(names = "--threads", defaultValue = "0", description = "Threads (0 = all cores).")
        int threads;
        @Option(names = "--workers", split = ",", defaultValue = "0", description = "pfl-resfim.workers values: parallel workers of the "
                + "estimate's per-sample passes, 0 = as many as threads, 1 = one after another (default: ${DEFAULT-VALUE}).")
        List<Integer> workers;
        @Option(names = "--variants", split = ",", defaultValue = "fim,resfim", description = "resfim.variant values: fim (the default: own "
                + "Fisher, N passes) and resfim (the residual: N per style) (default: ${DEFAULT-VALUE}).")
        List<String> variants;

        @Override
        public Integer call() {
            Djl.setThreads(threads);
            for (String v : variants) {
                if (!v.equals("fim") && !v.equals("resfim")) {
                    throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--variants must be fim or resfim, got '" + v + "'");
                }
            }
            for (int w : workers) {
                if (w < 0) {
                    throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--workers must be >= 0, got " + w);
                }
            }
            for (int k : sites) {
                OptionChecks.range("--sites", k, 2, 10_000);
            }
            for (int m : maxForeign) {
                OptionChecks.range("--max-foreign", m, 0, 10_000, "0 = all");
            }
            OptionChecks.range("--samples", samples, 1, 10_000);
            OptionChecks.imageSize("--size", size);
            OptionChecks.threads(threads);
            System.out.println("machine: " + MachineInfo.describe());
            double load = org.resfim.bench.CoreBenchmarks.loadAverage();
            int cores = Runtime.getRuntime().availableProcessors();
            if (load > cores / 2.0) {
                System.out.printf("warning: the machine is busy (1-minute load %.2f on %d cores): these figures measure sharing, not ResFIM%n", load, cores);
            }
            System.out.printf("| variant | K | max_foreign | workers | foreign styles | passes N(M+1) | training s / round | estimate s | share at R = 20 | share at R = 5 |%n");
            System.out.printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|%n");
            for (String v : variants) {
                for (int k : sites) {
                    // fim uses no foreign style: one row per K; max_foreign >= K - 1 is the same as all (0)
                    java.util.SortedSet<Integer> caps = new java.util.TreeSet<>();
                    for (int m : v.equals("fim") ? List.of(0) : maxForeign) {
                        caps.add(m >= k - 1 ? 0 : m);
                    }
                    for (int m : caps) {
                        for (int w : workers) {
                            org.resfim.bench.EstimateCost.Row r = org.resfim.bench.EstimateCost.measure(v, k, m, samples, size, 30, 0, w);
                            System.out.printf(java.util.Locale.ROOT, "| %s | %d | %s | %s | %d | %d | %.2f | %.2f | %.1f%% | %.1f%% |%n", v, k,
                                    v.equals("fim") ? "—" : m == 0 ? "all" : Integer.toString(m), w == 0 ? Djl.threads() + " (0)" : Integer.toString(w),
                                    r.foreign(), r.passes(), r.trainSeconds(), r.estimateSeconds(), 100 * r.share(20), 100 * r.share(5));
                        }
                    }
                }
            }
            System.out.printf("%d threads; share = estimate / (R x training + estimate), the ratio a run's cost line prints when one round in R estimates.%n",
                    Djl.threads());
            return 0;
        }
    }

    /** The cost of secure aggregation per round (issue #18): time and bytes at K sites against the plain upload. */
    @Command(name = "secagg", description = {"The cost of one round of secure aggregation (privacy.secagg) against the plain upload.",
            "K sites share a fraction of the default U-Net's elements; prints per K the sites' and the coordinator's seconds and the bytes per site."})
    public static final class SecAgg implements Callable<Integer> {
        @Option(names = "--sites", split = ",", defaultValue = "3,10", description = "Numbers of sites (default: ${DEFAULT-VALUE}).")
        List<Integer> sites;
        @Option(names = "--shared", defaultValue = "0.8", description = "Fraction of elements each site shares (default: ${DEFAULT-VALUE}: pFL-ResFIM's rho = 0.2).")
        double shared;
        @Option(names = "--elements", defaultValue = "0", description = "Elements of the vector (0 = the default U-Net's).")
        int elements;

        @Override
        public Integer call() {
            for (int k : sites) {
                OptionChecks.range("--sites", k, 2, 1000);
            }
            if (!(shared > 0 && shared <= 1)) {
                throw new org.resfim.config.OptionException("--shared must be in (0, 1], got " + shared);
            }
            int n = elements > 0 ? elements : (int) org.resfim.model.UNetArchitecture.layout(org.resfim.run.ModelSettings.from(java.util.Map.of()).unet(3)).numElements();
            System.out.println("machine: " + MachineInfo.describe());
            System.out.printf("| K | elements | shared | site s (mean) | coordinator s | round s | bytes / site | plain bytes / site | ratio |%n|---|---|---|---|---|---|---|---|---|%n");
            for (int k : sites) {
                org.resfim.bench.SecAggBenchmark.Result r = org.resfim.bench.SecAggBenchmark.run(k, n, shared, 1);
                System.out.printf(java.util.Locale.ROOT, "| %d | %,d | %.2f | %.2f | %.2f | %.2f | %,d | %,d | %.2f |%n", k, r.elements(), r.shared(),
                        r.siteSeconds(), r.serverSeconds(), r.roundSeconds(), r.bytesPerSite(), r.plainPerSite(), r.bytesPerSite() / (double) r.plainPerSite());
            }
            System.out.println("one thread, every site and the coordinator in turn; bytes: keys, mask, shares, masked vector (8 per shared element, a binary uint64 section), reveal");
            return 0;
        }
    }

    /** Aggregation, serialization, one full ResFIM estimate, peak memory. */
    @Command(name = "core", description = {"Benchmark the server and pFL-ResFIM's own work.",
            "Server aggregation of 10 sites, state serialization MB/s, one full pFL-ResFIM estimate (K = 4), peak RSS."})
    public static final class Core implements Callable<Integer> {
        @Option(names = "--sites", defaultValue = "10", description = "Sites to aggregate (default: ${DEFAULT-VALUE}).")
        int sites;
        @Option(names = "--size", defaultValue = "128", description = "Image size of the ResFIM estimate (default: ${DEFAULT-VALUE}).")
        int size;
        @Option(names = "--samples", defaultValue = "8", description = "Samples N of the ResFIM estimate (default: ${DEFAULT-VALUE}, pfl-resfim's default).")
        int samples;
        @Option(names = "--threads", defaultValue = "0", description = "Threads (0 = all cores).")
        int threads;

        @Override
        public Integer call() throws Exception {
            OptionChecks.range("--sites", sites, 1, 10_000);
            OptionChecks.imageSize("--size", size);
            OptionChecks.range("--samples", samples, 1, 10_000);
            OptionChecks.threads(threads);
            Djl.setThreads(threads);
            System.out.println("machine: " + MachineInfo.describe());
            double load = org.resfim.bench.CoreBenchmarks.loadAverage();
            int cores = Runtime.getRuntime().availableProcessors();
            if (load > cores / 2.0) {
                System.out.printf("warning: the machine is busy (1-minute load %.2f on %d cores): these figures measure sharing, not ResFIM%n", load, cores);
            }
            org.resfim.bench.CoreBenchmarks.Aggregation a = org.resfim.bench.CoreBenchmarks.aggregation(sites, 5);
            System.out.printf("aggregation of %d sites x %,d elements: FedAvg %.1f ms, masked (rho = 0.2) %.1f ms (target < 100 ms);"
                    + " the average alone %.1f / %.1f ms, the rest validation and download; %,d / %,d minor page faults per step%n",
                    a.sites(), a.elements(), a.fedAvgMs(), a.maskedMs(), a.fedAvgAverageMs(), a.maskedAverageMs(), a.fedAvgFaults(), a.maskedFaults());
            org.resfim.bench.CoreBenchmarks.Serialization s = org.resfim.bench.CoreBenchmarks.serialization(5);
            System.out.printf("state file (%.1f MB): encode %.0f MB/s, decode %.0f MB/s, write+read file %.0f MB/s; raw byte copy %.0f MB/s%n",
                    s.megabytes(), s.encodeMBs(), s.decodeMBs(), s.fileRoundTripMBs(), s.rawCopyMBs());
            org.resfim.bench.CoreBenchmarks.Estimate e = org.resfim.bench.CoreBenchmarks.resfimEstimate(4, samples, size);
            System.out.printf("one pFL-ResFIM residual estimate (variant resfim, K = 4, N = %d, %dx%d, %d threads): %.2f s (Fisher %.2f s, spectral transfer %.2f s, residual + partition %.2f s)%n",
                    e.samples(), e.size(), e.size(), Djl.threads(), e.seconds(), e.fisherSeconds(), e.transferSeconds(), e.partitionSeconds());
            org.resfim.bench.CoreBenchmarks.HotPaths h = org.resfim.bench.CoreBenchmarks.hotPaths(5);
            System.out.printf("3x128x128 FFT round trip %.2f ms; 3x584x565 style transfer %.0f ms; residual of %,d elements x 4 foreign %.0f ms;"
                    + " partition per-tensor %.0f ms, global %.0f ms (best of 5)%n", h.fftRoundTripMs(), h.fundusTransferMs(), h.elements(),
                    h.residualMs(), h.partitionPerTensorMs(), h.partitionGlobalMs());
            System.out.printf("peak RSS %.0f MiB%n", org.resfim.bench.CoreBenchmarks.peakRssMiB());
            return 0;
        }
    }

    /** Training, inference and per-sample-Fisher images/s of the reference U-Net. */
    @Command(name = "train", description = {"Benchmark the reference U-Net against the PyTorch peer.",
            "Training, inference and per-sample Fisher images/s (batch 8)."})
    public static final class Train implements Callable<Integer> {
        @Option(names = "--sizes", split = ",", defaultValue = "128,256", description = "Image sizes (default: ${DEFAULT-VALUE}).")
        List<Integer> sizes;
        @Option(names = "--batch", defaultValue = "8", description = "Batch size (default: ${DEFAULT-VALUE}).")
        int batch;
        @Option(names = "--steps", defaultValue = "10", description = "Timed steps per figure, both sides (default: ${DEFAULT-VALUE}).")
        int steps;
        @Option(names = "--threads", defaultValue = "0", description = "Threads (0 = all cores).")
        int threads;
        @Option(names = "--peer", description = "Also run the PyTorch peer with the same shapes and threads and print Java/PyTorch ratios.")
        boolean peer;
        @Option(names = "--peer-script", defaultValue = "../shared/bench/torch_unet_bench.py", description = "Peer benchmark script (default: ${DEFAULT-VALUE}).")
        Path peerScript;
        @Option(names = "--profile", paramLabel = "DIR", description = "After the timed figures, run each once more under libtorch's operator profiler: "
                + "Chrome traces DIR/<figure>-<size>.json and the top operators by self time.")
        Path profile;

        @Override
        public Integer call() throws Exception {
            for (int size : sizes) {
                OptionChecks.imageSize("--sizes", size);
            }
            OptionChecks.range("--batch", batch, 1, 4096);
            OptionChecks.range("--steps", steps, 1, 100_000);
            OptionChecks.threads(threads);
            Djl.setThreads(threads);
            int t = Djl.threads();
            System.out.printf("ResFIM %s, libtorch %s, %d threads, reference U-Net (3,184,721 parameters), batch %d, %d timed steps%n",
                    BuildInfo.version(), Djl.libtorchVersion(), t, batch, steps);
            System.out.println("machine: " + MachineInfo.describe() + " (the peer runs in the same environment)");
            double peak = TrainBenchmark.convolutionPeakGflops(steps);
            System.out.printf("convolution peak: %.0f GFLOP/s (best of %d forward passes of one 3x3 conv, 256->256 channels, 32x32, batch 8, "
                    + "%d threads); %%peak = a figure's nominal convolution GFLOP/s over it%n", peak, steps, t);
            String fmt = "%-8s %-22s %10s %10s %8s %15s %15s%n";
            System.out.printf(fmt, "size", "figure (images/s)", "ResFIM", "PyTorch", "ratio", "ResFIM %peak", "PyTorch %peak");
            for (int size : sizes) {
                TrainBenchmark.Result j = TrainBenchmark.run(UNetConfig.reference(), size, batch, steps, 0);
                TorchPeer.Result p = peer ? TorchPeer.run(peerScript, size, batch, t, steps) : null;
                row(fmt, size, "training", j.trainImagesPerSecond(), p == null ? Double.NaN : p.get("train_images_per_s"), peak);
                row(fmt, size, "inference", j.inferImagesPerSecond(), p == null ? Double.NaN : p.get("infer_images_per_s"), peak);
                row(fmt, size, "fisher", j.fisherImagesPerSecond(), p == null ? Double.NaN : p.get("fisher_per_sample_images_per_s"), peak);
                if (p != null) {
                    System.out.println("         peer: " + p.header());
                }
                TrainBenchmark.Ceiling c = TrainBenchmark.convolutionCeiling(UNetConfig.reference(), size, batch, 3);
                System.out.printf("         convolutions alone (each layer timed in isolation, summed; the most any caller of these "
                        + "kernels reaches): training %.2f, inference %.2f, per-sample Fisher %.2f images/s%n",
                        c.trainImagesPerSecond(), c.inferImagesPerSecond(), c.fisherImagesPerSecond());
            }
            if (profile != null) {
                for (int size : sizes) {
                    for (String figure : TrainBenchmark.FIGURES) {
                        Path trace = profile.resolve(figure + "-" + size + ".json");
                        TrainBenchmark.profile(UNetConfig.reference(), figure, size, batch, steps, 0, trace);
                        System.out.printf("%nprofile %s %dx%d (%d steps, self time per operator) -> %s%n", figure, size, size, steps, trace);
                        TraceSummary.table(TraceSummary.read(trace), 8).forEach(System.out::println);
                    }
                }
            }
            return 0;
        }

        private static void row(String fmt, int size, String figure, double java, double torch, double peak) {
            double flops = TrainBenchmark.flopsPerImage(UNetConfig.reference(), figure, size);
            String label = figure.equals("fisher") ? "per-sample Fisher" : figure;
            System.out.printf(fmt, size + "x" + size, label, String.format("%.2f", java),
                    Double.isNaN(torch) ? "-" : String.format("%.2f", torch),
                    Double.isNaN(torch) ? "-" : String.format("%.2fx", java / torch),
                    percentOfPeak(java, flops, peak), Double.isNaN(torch) ? "-" : percentOfPeak(torch, flops, peak));
        }

        private static String percentOfPeak(double imagesPerSecond, double flopsPerImage, double peak) {
            double gflops = imagesPerSecond * flopsPerImage / 1e9;
            return String.format("%.0f (%.0f%%)", gflops, 100 * gflops / peak);
        }
    }
}
