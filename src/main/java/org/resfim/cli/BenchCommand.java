package org.resfim.cli;

import org.resfim.bench.TorchPeer;
import org.resfim.bench.TrainBenchmark;
import org.resfim.engine.Djl;
import org.resfim.engine.UNetConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code resfim bench}: benchmarks, separate from the test suite. */
@Command(name = "bench", description = "Benchmarks (not tests): print figures and the ratio to the PyTorch peer.",
        subcommands = {BenchCommand.Train.class})
public final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Training, inference and per-sample-Fisher images/s of the reference U-Net. */
    @Command(name = "train", description = "Training, inference and per-sample Fisher images/s of the reference U-Net (batch 8).")
    public static final class Train implements Callable<Integer> {
        @Option(names = "--sizes", split = ",", defaultValue = "128,256", description = "Image sizes (default: ${DEFAULT-VALUE}).")
        List<Integer> sizes;
        @Option(names = "--batch", defaultValue = "8", description = "Batch size (default: ${DEFAULT-VALUE}).")
        int batch;
        @Option(names = "--steps", defaultValue = "5", description = "Timed steps per figure (default: ${DEFAULT-VALUE}).")
        int steps;
        @Option(names = "--threads", defaultValue = "0", description = "Threads (0 = all cores).")
        int threads;
        @Option(names = "--peer", description = "Also run the PyTorch peer with the same shapes and threads and print Java/PyTorch ratios.")
        boolean peer;
        @Option(names = "--peer-script", defaultValue = "../shared/bench/torch_unet_bench.py", description = "Peer benchmark script (default: ${DEFAULT-VALUE}).")
        Path peerScript;

        @Override
        public Integer call() throws Exception {
            Djl.setThreads(threads);
            int t = Djl.threads();
            System.out.printf("ResFIM %s, libtorch %s, %d threads, reference U-Net (3,184,721 parameters), batch %d, %d timed steps%n",
                    BuildInfo.version(), Djl.libtorchVersion(), t, batch, steps);
            String fmt = "%-8s %-22s %10s %10s %8s%n";
            System.out.printf(fmt, "size", "figure (images/s)", "ResFIM", "PyTorch", "ratio");
            for (int size : sizes) {
                TrainBenchmark.Result j = TrainBenchmark.run(UNetConfig.reference(), size, batch, steps, 0);
                TorchPeer.Result p = peer ? TorchPeer.run(peerScript, size, batch, t, steps) : null;
                row(fmt, size, "training", j.trainImagesPerSecond(), p == null ? Double.NaN : p.get("train_images_per_s"));
                row(fmt, size, "inference", j.inferImagesPerSecond(), p == null ? Double.NaN : p.get("infer_images_per_s"));
                row(fmt, size, "per-sample Fisher", j.fisherImagesPerSecond(), p == null ? Double.NaN : p.get("fisher_per_sample_images_per_s"));
                if (p != null) {
                    System.out.println("         peer: " + p.header());
                }
            }
            return 0;
        }

        private static void row(String fmt, int size, String what, double java, double torch) {
            System.out.printf(fmt, size + "x" + size, what, String.format("%.2f", java),
                    Double.isNaN(torch) ? "-" : String.format("%.2f", torch),
                    Double.isNaN(torch) ? "-" : String.format("%.2fx", java / torch));
        }
    }
}
