package org.resfim.cli;

import org.resfim.run.BuildInfo;
import org.resfim.run.Cell;
import org.resfim.run.ClusterJobs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.resfim.state.Jackson;

/** {@code resfim sweep list|slurm|k8s DIR}: a planned run directory's cells as cluster jobs. */
@Command(name = "sweep", description = {
        "Run a planned study's cells as Slurm or Kubernetes jobs.",
        "Write the plan first with `resfim simulate --plan-only --out DIR`.",
        "Each cell (method × seed × fold) runs as `resfim simulate --resume DIR --cell I` in the shared run directory;",
        "the cell that completes the plan writes the tables; `resfim report DIR` names the cells still missing."},
        subcommands = {SweepCommand.ListCells.class, SweepCommand.Slurm.class, SweepCommand.Kubernetes.class})
public final class SweepCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            org.resfim.state.AtomicFiles.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static int rounds(Path dir) {
        try {
            return Jackson.MAPPER.readTree(dir.resolve("config.resolved.json").toFile())
                    .path("federation").path("rounds").asInt(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Command(name = "list", description = "The cells of a planned run directory, their index and whether each is complete.")
    static final class ListCells implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "A run directory written by `resfim simulate --plan-only --out DIR`.")
        Path dir;

        @Override
        public Integer call() {
            List<Cell> cells = Cell.of(dir);
            ClusterJobs.list(dir, cells, rounds(dir)).forEach(System.out::println);
            return 0;
        }
    }

    @Command(name = "slurm", description = {"Write an sbatch job array with one task per cell (DIR/sweep/slurm.sbatch).",
            "A log per cell (DIR/sweep/logs/cell-I.log); prints the command that submits it."})
    static final class Slurm implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "A run directory written by `resfim simulate --plan-only --out DIR`, on a file system every node mounts.")
        Path dir;
        @Option(names = "--partition", description = "Slurm partition (default: the cluster's).")
        String partition;
        @Option(names = "--time", description = "Time limit per cell, e.g. 04:00:00 (default: the partition's).")
        String time;
        @Option(names = "--cpus", defaultValue = "1", description = "CPUs per cell (default: ${DEFAULT-VALUE}; libtorch uses the run's threads).")
        int cpus;
        @Option(names = "--gpus", defaultValue = "0", description = "GPUs per cell, as --gres=gpu:G (default: ${DEFAULT-VALUE}).")
        int gpus;
        @Option(names = "--mem", description = "Memory per cell, e.g. 8G (default: the partition's).")
        String memory;
        @Option(names = "--max-parallel", description = "At most this many cells at once (the array's %%N).")
        Integer maxParallel;
        @Option(names = "--resfim", description = "The command that runs ResFIM on the nodes (default: this launcher, $RESFIM_LAUNCHER, else `resfim`).")
        String resfim;

        @Override
        public Integer call() {
            OptionChecks.range("--cpus", cpus, 1, 4096);
            OptionChecks.range("--gpus", gpus, 0, 64);
            if (maxParallel != null) {
                OptionChecks.range("--max-parallel", maxParallel, 1, 1_000_000);
            }
            if (time != null && !time.matches("(\\d+-)?\\d+(:\\d{1,2}){0,2}")) {
                throw new org.resfim.config.OptionException("--time '" + time + "' is not a Slurm time (minutes, MM:SS, HH:MM:SS or D-HH:MM:SS)");
            }
            List<Cell> cells = Cell.of(dir);
            String launcher = resfim != null ? resfim : System.getenv("RESFIM_LAUNCHER") != null ? System.getenv("RESFIM_LAUNCHER") : "resfim";
            Path script = dir.toAbsolutePath().normalize().resolve("sweep").resolve("slurm.sbatch");
            write(script, ClusterJobs.slurm(dir, cells, new ClusterJobs.SlurmOptions(partition, time, cpus, gpus, memory, maxParallel, launcher)));
            try {
                Files.createDirectories(script.getParent().resolve("logs")); // Slurm does not create the log folder
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            System.out.println("wrote " + script + " (" + cells.size() + " cells, array 0-" + (cells.size() - 1) + ")");
            System.out.println("submit with:");
            System.out.println("sbatch " + script);
            return 0;
        }
    }

    @Command(name = "k8s", description = {"Write a Kubernetes Indexed Job with one completion index per cell.",
            "DIR/sweep/k8s-job.yaml, the run directory on a PersistentVolumeClaim; prints the command that applies it."})
    static final class Kubernetes implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "A run directory written by `resfim simulate --plan-only --out DIR`, on the claim's volume.")
        Path dir;
        @Option(names = "--claim", defaultValue = "resfim-runs", description = "PersistentVolumeClaim holding the run directory (default: ${DEFAULT-VALUE}).")
        String claim;
        @Option(names = "--mount-path", description = "Where the claim is mounted in each pod: where it is mounted here (default: the run directory's parent).")
        Path mountPath;
        @Option(names = "--image", description = "Container image (default: resfim:<version>, what deploy/build-image.sh builds).")
        String image;
        @Option(names = "--cpus", defaultValue = "1", description = "CPUs requested per cell (default: ${DEFAULT-VALUE}).")
        int cpus;
        @Option(names = "--mem", defaultValue = "4Gi", description = "Memory requested (and limit) per cell (default: ${DEFAULT-VALUE}).")
        String memory;
        @Option(names = "--gpus", defaultValue = "0", description = "nvidia.com/gpu per cell (default: ${DEFAULT-VALUE}).")
        int gpus;
        @Option(names = "--parallelism", description = "At most this many cells at once (default: all).")
        Integer parallelism;
        @Option(names = "--retries", defaultValue = "2", description = "Failed pods tolerated per cell, on average (backoffLimit = retries × cells; default: ${DEFAULT-VALUE}).")
        int retries;
        @Option(names = "--namespace", description = "Namespace of the Job (default: kubectl's).")
        String namespace;

        @Override
        public Integer call() {
            OptionChecks.range("--cpus", cpus, 1, 4096);
            OptionChecks.range("--gpus", gpus, 0, 64);
            OptionChecks.range("--retries", retries, 0, 100);
            if (parallelism != null) {
                OptionChecks.range("--parallelism", parallelism, 1, 1_000_000);
            }
            if (!memory.matches("\\d+(\\.\\d+)?([EPTGMk]i?)?")) {
                throw new org.resfim.config.OptionException("--mem '" + memory + "' is not a Kubernetes quantity (e.g. 4Gi, 512Mi)");
            }
            List<Cell> cells = Cell.of(dir);
            Path abs = dir.toAbsolutePath().normalize();
            Path mount = mountPath != null ? mountPath.toAbsolutePath().normalize() : abs.getParent();
            String img = image != null ? image : "resfim:" + BuildInfo.version();
            Path file = abs.resolve("sweep").resolve("k8s-job.yaml");
            write(file, ClusterJobs.kubernetes(dir, cells, new ClusterJobs.K8sOptions(img, claim, mount, cpus, memory, gpus, parallelism, retries,
                    namespace)));
            System.out.println("wrote " + file + " (" + cells.size() + " cells, completion indices 0-" + (cells.size() - 1) + ")");
            System.out.println("apply with:");
            System.out.println("kubectl apply -f " + file);
            return 0;
        }
    }
}
