package org.resfim.cli;

import org.resfim.engine.Djl;
import org.resfim.report.ResultTable;
import org.resfim.run.BuildInfo;
import org.resfim.run.Plans;
import org.resfim.run.ResumeInfo;
import org.resfim.run.Simulation;
import org.resfim.run.RunPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code resfim simulate}: every method on identical splits, seeds and initial weights, in one JVM. */
@Command(name = "simulate", description = {
        "Simulate a federation in this process and compare methods.",
        "Without options: the embedded synthetic 4-site federation, pFL-ResFIM vs FedAvg vs Local (a few minutes on 2 cores)."})
public final class SimulateCommand implements Callable<Integer> {
    @Option(names = "--config", description = "Federation configuration (YAML); default: the embedded synthetic federation.")
    Path config;
    @Option(names = "--data-root", description = "Folder that relative data paths of the configuration are resolved against.")
    Path dataRoot;
    @Option(names = "--methods", split = ",", description = "Methods to compare, e.g. pfl-resfim,fedavg,local or fedprox:mu=0.1 (first = reference).")
    List<String> methods;
    @Option(names = "--seeds", split = ",", description = "Seeds, e.g. 0,1,2 (splits, initial weights and training order).")
    List<Long> seeds;
    @Option(names = "--rounds", description = "Communication rounds T.")
    Integer rounds;
    @Option(names = "--local-epochs", description = "Local epochs E per round.")
    Integer localEpochs;
    @Option(names = "--folds", description = "k-fold evaluation (every image tested exactly once).")
    Integer folds;
    @Option(names = "--out", description = "Run directory (default: runs/run-<time>).")
    Path out;
    @Option(names = "--resume", description = "Continue a killed run in this directory with its own settings.")
    Path resume;
    @Option(names = "--threads", defaultValue = "0", description = "libtorch threads (0 = all cores).")
    int threads;
    @Option(names = "--device", paramLabel = "cpu|cuda[:N]", description = {"Where libtorch trains (default: training.device, else cpu);",
            "cuda needs the CUDA build (mvn -Pcuda). Also with --resume (e.g. a cell on a GPU node)."})
    String device;
    @Option(names = "--plan-only", description = {"Write the run directory's plan (resolved configuration, run.json, split manifests)",
            "and train nothing; then run its cells with --resume DIR --cell I (`resfim sweep` writes Slurm and Kubernetes jobs)."})
    boolean planOnly;
    @Option(names = "--cell", paramLabel = "I|METHOD/SEED/FOLD", description = {"With --resume: run exactly this cell of the plan",
            "(its index from 0, or method/seed/fold); cells of one directory may run at once in separate processes."})
    String cell;

    @Override
    public Integer call() {
        OptionChecks.threads(threads); // --rounds, --local-epochs and --folds are checked with the configuration keys they replace
        Plans.Overrides o;
        if (cell != null && resume == null) {
            throw new IllegalArgumentException("--cell runs one cell of a planned run directory: give it with --resume DIR"
                    + " (write the plan with `resfim simulate --plan-only --out DIR`)");
        }
        if (planOnly && resume != null) {
            throw new IllegalArgumentException("--plan-only writes a new plan: give --out DIR, not --resume");
        }
        if (resume != null) {
            if (threads == 0) {
                threads = ResumeInfo.threads(resume); // same threads, same float reductions, same numbers
            }
            if (config != null || methods != null || seeds != null || rounds != null || localEpochs != null || folds != null || out != null) {
                throw new IllegalArgumentException("--resume takes the run's own settings; give no other option");
            }
            o = ResumeInfo.read(resume);
            String started = ResumeInfo.startedBy(resume);
            if (started != null && !started.equals(BuildInfo.commit())) {
                System.err.println("warning: " + resume + " was started by ResFIM " + started + " and continues with " + BuildInfo.commit()
                        + ": its settings are checked, but an engine change can still move the numbers of the rounds still to run");
            }
        } else {
            o = new Plans.Overrides(config, dataRoot, methods, seeds, rounds, localEpochs, folds, out);
        }
        RunPlan plan = Plans.build(o); // before libtorch starts: a configuration error needs none
        Djl.setThreads(threads);
        if (!planOnly) { // a plan trains nothing: it can be written on a machine without the GPU its cells will use
            if (device != null && !device.trim().toLowerCase(java.util.Locale.ROOT).matches(org.resfim.federation.TrainingSettings.DEVICE_PATTERN)) {
                throw new org.resfim.config.OptionException("--device '" + device + "' must be cpu, cuda or cuda:N (a GPU's index)");
            }
            Djl.setDevice(device != null ? device : plan.training().device());
        } else if (device != null) {
            throw new IllegalArgumentException("--device is where cells train: give it to the cells (--resume DIR --cell I --device ...),"
                    + " or write training.device in the configuration");
        }
        System.out.printf("ResFIM simulate: %s, methods %s, seeds %s, %d rounds, E = %d, %d threads%s -> %s%n",
                plan.data().source(), plan.methods(), plan.seeds(), plan.federation().rounds(), plan.training().localEpochs(),
                Djl.threads(), Djl.onGpu() ? ", " + Djl.deviceName() : "", plan.out());
        if (planOnly) {
            List<org.resfim.run.Cell> cells = new Simulation(plan, System.out).planOnly();
            System.out.println("Planned " + cells.size() + " cells in " + plan.out().toAbsolutePath() + "; run each with");
            System.out.println("  resfim simulate --resume " + plan.out() + " --cell I      (I = 0.." + (cells.size() - 1) + ")");
            System.out.println("or write a job array: resfim sweep slurm " + plan.out() + "  |  resfim sweep k8s " + plan.out());
            return 0;
        }
        if (cell != null) {
            ResultTable table = new Simulation(plan, System.out).runCell(cell);
            if (table != null) {
                System.out.println();
                System.out.println(table.markdown());
                System.out.println("Run directory: " + plan.out().toAbsolutePath() + " (every cell complete)");
            }
            return 0;
        }
        ResultTable table = new Simulation(plan, System.out).run();
        System.out.println();
        System.out.println(table.markdown());
        System.out.println("Run directory: " + plan.out().toAbsolutePath()); // with report.html, written by the run driver
        return 0;
    }
}
