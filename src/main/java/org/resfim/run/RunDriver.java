package org.resfim.run;

import org.resfim.algorithms.AlgorithmRegistry;
import org.resfim.algorithms.AlgorithmSpec;
import org.resfim.federation.Algorithm;
import org.resfim.federation.ProcedureState;
import org.resfim.federation.Coordinator;
import org.resfim.federation.CoordinatorCheckpoint;
import org.resfim.federation.Message;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.RoundListener;
import org.resfim.federation.ServerProcedure;
import org.resfim.federation.SetupBound;
import org.resfim.federation.Transport;
import org.resfim.federation.UploadSummary;
import org.resfim.report.CostSummary;
import org.resfim.report.EvalRecord;
import org.resfim.report.MetricsLog;
import org.resfim.report.ResultTable;
import org.resfim.state.ModelState;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The run driver of simulation and deployment alike: for every seed × fold × method of a plan, the
 * {@link Coordinator} with the algorithm's server procedure over the transport the caller supplies; per run the
 * metrics log, the coordinator checkpoint after every round and the resume from it; for the plan the resolved
 * configuration ({@code config.resolved.json}, refusing a directory that holds a run with other settings),
 * {@code run.json}, and at the end the result tables with their cost section and provenance, and {@code report.html}.
 * A simulation supplies sites in this process ({@link Sites}), a deployment the connected site processes; each also
 * supplies its {@link Log}.
 */
public final class RunDriver {
    /** One run of the plan: a method at a seed (and fold). */
    public record Run(String method, long seed, int fold, int folds, Path dir, String label, Algorithm algorithm) {
    }

    /** Where the sites of the runs are: in this process (simulation) or connected site processes (deployment). */
    public interface Sites {
        /** The sites' names, in the federation's order. */
        List<String> names();

        /** Before the first run: load and check what the runs need (nothing is written to the run directory yet). */
        default void prepare() {
        }

        /** Before the runs of {@code seed} (a simulation writes its split manifest). */
        default void beginSeed(long seed) {
        }

        /** The common initial model of every method at {@code seed}. */
        ModelState initial(long seed);

        /** The full-model size a FedAvg upload is compared with in the cost section (4 bytes per element of {@code initial}). */
        default long fullModelBytes(ModelState initial) {
            return 4L * initial.numElements();
        }

        /**
         * The sites ready for {@code run} and the transport that reaches them; {@code completed} rounds were done
         * before (a resume), and a SETUP answer may carry {@code setup}.
         */
        Transport open(Run run, ModelState initial, int completed, SetupBound setup);

        /** What else the caller does on the coordinator's events (the server's audit, notices and status). */
        default RoundListener listener(Run run) {
            return new RoundListener() {
            };
        }

        /** After a run ended ({@code complete}: all its rounds done). */
        default void finished(Run run, boolean complete) {
        }

        /** Entries the results' provenance adds (how the sites were reached). */
        default Map<String, Object> provenance() {
            return Map.of();
        }

        /** Whether this process runs the engine (libtorch): a deployment's coordinator does not, so provenance does not ask it. */
        default boolean engine() {
            return true;
        }

        /** Whether a start that completes no round takes back what it wrote to the run directory. */
        default boolean undoFailedStart() {
            return true;
        }
    }

    /** What the driver tells its operator. */
    public interface Log {
        void info(String line);

        void warn(String line);

        /** A round of a run is complete; {@code evaluated}: its evaluations; {@code done}/{@code total}: rounds of the plan. */
        void round(Run run, int round, int rounds, List<EvalRecord> evaluated, int done, int total);
    }

    private final RunPlan plan;
    private final RunDirectory dir;
    private final Log log;
    private final int folds;
    private int roundsDone;
    private boolean roundCompleted;

    public RunDriver(RunPlan plan, Log log) {
        this.plan = plan;
        this.dir = new RunDirectory(plan.out());
        this.log = log;
        this.folds = Math.max(1, plan.evaluation().folds());
    }

    public RunDirectory directory() {
        return dir;
    }

    /** Rounds of all runs of the plan. */
    public int roundsTotal() {
        return plan.methods().size() * plan.seeds().size() * folds * plan.federation().rounds();
    }

    /** The cells of the plan, in the order a one-process run trains them (seed, then fold, then method). */
    public List<Cell> cells() {
        return Cell.all(plan.methods(), plan.seeds(), folds);
    }

    /**
     * Writes the plan of a run directory and trains nothing: the resolved configuration, {@code run.json} and every
     * seed's split manifest, so that each cell can then run on its own ({@link #runCell}).
     */
    public List<Cell> planOnly(Sites sites) {
        checkMethods();
        String resolved = dir.checkPlan(plan);
        sites.prepare();
        RunDirectory.Start start = dir.start();
        try {
            dir.locked(() -> {
                dir.writePlan(resolved);
                ResumeInfo.write(plan.out(), plan.origin(), sites.engine());
                for (long seed : plan.seeds()) {
                    sites.beginSeed(seed);
                }
            });
        } catch (RuntimeException | Error e) {
            start.undo();
            throw e;
        }
        return cells();
    }

    /**
     * Runs exactly one cell of a planned run directory (continuing it from its own checkpoint when it was stopped),
     * while other processes may run other cells of the same directory: the cell writes only its own folder (locked, so
     * that a second process cannot run the same cell at once); the split manifests are written under the directory's
     * lock, and checked against the plan's when they exist. The cell that finds every cell complete writes the result
     * tables and the report, under the lock. Returns the result table then, else null.
     */
    public ResultTable runCell(Sites sites, Cell cell) {
        checkMethods();
        if (!java.nio.file.Files.isRegularFile(plan.out().resolve(RunDirectory.RESOLVED))) {
            throw new IllegalArgumentException(plan.out() + " holds no plan (" + RunDirectory.RESOLVED + " is missing): write it first with "
                    + "`resfim simulate --plan-only --out " + plan.out() + "`");
        }
        dir.checkPlan(plan);
        sites.prepare();
        Path runDir = dir.runDir(cell.method(), cell.seed(), cell.fold(), folds);
        try (RunDirectory.CellLock lock = dir.lockCell(runDir, cell.id())) {
            sites.beginSeed(cell.seed()); // a simulation writes the seed's manifest under the directory's lock, or checks it
            ModelState initial = sites.initial(cell.seed());
            long fullBytes = sites.fullModelBytes(initial);
            runOne(sites, cell.method(), cell.seed(), cell.fold(), initial);
            ResultTable[] table = new ResultTable[1];
            dir.locked(() -> {
                List<Cell> missing = missingCells();
                if (missing.isEmpty()) {
                    table[0] = finish(sites, readAll(), fullBytes);
                } else {
                    log.info(cell.label() + " is complete; " + missing.size() + " of " + cells().size() + " cells still to run: "
                            + String.join(", ", missing.stream().map(Cell::id).toList()));
                }
            });
            return table[0];
        }
    }

    /** The cells of the plan that have not completed all their rounds. */
    public List<Cell> missingCells() {
        List<Cell> out = new ArrayList<>();
        for (Cell c : cells()) {
            if (!RunDirectory.cellComplete(dir.runDir(c.method(), c.seed(), c.fold(), folds), plan.federation().rounds())) {
                out.add(c);
            }
        }
        return out;
    }

    /** Every cell's evaluations, read from their metrics logs in the order a one-process run produces them. */
    private List<EvalRecord> readAll() {
        List<EvalRecord> all = new ArrayList<>();
        for (Cell c : cells()) {
            all.addAll(MetricsLog.readEvaluations(dir.runDir(c.method(), c.seed(), c.fold(), folds).resolve("metrics.jsonl")));
        }
        return all;
    }

    private void checkMethods() {
        plan.evaluation().validate(plan.federation().rounds());
        for (String m : plan.methods()) {
            AlgorithmRegistry.create(spec(m)); // refuse unknown methods and bad parameters before any work
        }
    }

    /** Runs (or continues) the whole plan with {@code sites} and returns the result table. */
    public ResultTable run(Sites sites) {
        checkMethods();
        String resolved = dir.checkPlan(plan); // a directory holding another run is refused before any work
        sites.prepare();
        RunDirectory.Start start = dir.start();
        try {
            dir.writePlan(resolved);
            ResumeInfo.write(plan.out(), plan.origin(), sites.engine());
            return runAll(sites);
        } catch (RuntimeException | Error e) {
            if (!roundCompleted && sites.undoFailedStart()) {
                start.undo(); // a start that trained no round leaves nothing that would refuse the corrected command
            }
            throw e;
        }
    }

    private ResultTable runAll(Sites sites) {
        List<EvalRecord> all = new ArrayList<>();
        long fullBytes = 0;
        for (long seed : plan.seeds()) {
            sites.beginSeed(seed);
            ModelState initial = sites.initial(seed);
            fullBytes = sites.fullModelBytes(initial);
            for (int fold = 0; fold < folds; fold++) {
                for (String method : plan.methods()) {
                    all.addAll(runOne(sites, method, seed, fold, initial));
                }
            }
        }
        return finish(sites, all, fullBytes);
    }

    /** The result tables, their cost section and provenance, and the report, from the evaluations of every run. */
    private ResultTable finish(Sites sites, List<EvalRecord> all, long fullBytes) {
        ResultTable table = new ResultTable(all, plan.methods(), sites.names(), plan.seeds(),
                plan.evaluation().firstSelectableRound(plan.federation().rounds()), plan.evaluation().reference(), plan.evaluation().bootstrap());
        List<CostSummary> costs = costs(fullBytes);
        costs.forEach(c -> log.info(c.describe()));
        dir.writeResults(table, plan, costs, sites.provenance(), sites.engine());
        try {
            log.info("Report: " + org.resfim.run.html.RunReport.write(plan.out()).toAbsolutePath());
        } catch (RuntimeException | LinkageError e) { // the results stand without the report (e.g. no engine to draw it)
            log.warn("Report not written: " + e.getMessage() + " (retry with `resfim report " + plan.out() + "`)");
        }
        return table;
    }

    /** Time and upload cost of every method, from the metrics logs of all its runs. */
    private List<CostSummary> costs(long fullBytes) {
        List<CostSummary> out = new ArrayList<>();
        for (String m : plan.methods()) {
            List<Path> logs = new ArrayList<>();
            for (long seed : plan.seeds()) {
                for (int f = 0; f < folds; f++) {
                    logs.add(dir.runDir(m, seed, f, folds).resolve("metrics.jsonl"));
                }
            }
            out.add(CostSummary.of(m, logs, fullBytes));
        }
        return out;
    }

    private AlgorithmSpec spec(String method) {
        AlgorithmSpec s = AlgorithmSpec.parse(method);
        return s.withDefaults(plan.methodParams().get(s.name()));
    }

    private List<EvalRecord> runOne(Sites sites, String method, long seed, int fold, ModelState initial) {
        Path runDir = dir.runDir(method, seed, fold, folds);
        Path metricsFile = runDir.resolve("metrics.jsonl");
        CoordinatorCheckpoint ckpt = new CoordinatorCheckpoint(runDir.resolve("checkpoint"));
        int rounds = plan.federation().rounds();
        String label = method + " seed " + seed + (folds > 1 ? " fold " + fold : "");
        if (ckpt.completedRound() == rounds) {
            roundsDone += rounds;
            log.info(label + ": complete, results read from " + runDir);
            return MetricsLog.readEvaluations(metricsFile);
        }
        Algorithm algorithm = AlgorithmRegistry.create(spec(method));
        Run run = new Run(method, seed, fold, folds, runDir, label, algorithm);
        MetricsLog metrics = new MetricsLog(metricsFile);
        List<EvalRecord> records = new ArrayList<>();
        Coordinator[] coordinator = new Coordinator[1];
        RoundListener extra = sites.listener(run);
        RoundListener listener = new RoundListener() {
            @Override
            public void onSetup(List<Reply> replies, Message broadcast) {
                ckpt.saveBroadcast(broadcast);
                extra.onSetup(replies, broadcast);
            }

            @Override
            public void onFit(int round, Reply reply) {
                metrics.fit(round, reply.site(), reply.numSamples(), reply.stats());
                extra.onFit(round, reply);
            }

            @Override
            public void onAggregate(int round, List<UploadSummary> uploads) {
                uploads.forEach(u -> metrics.upload(round, u));
                extra.onAggregate(round, uploads);
            }

            @Override
            public void onEvaluate(int round, Reply reply) {
                EvalRecord r = new EvalRecord(method, seed, fold, round, reply.site(), reply.scores());
                records.add(r);
                metrics.evaluate(r);
                extra.onEvaluate(round, reply);
            }

            @Override
            public void onFailure(int round, Phase phase, String site, String message, boolean permanent) {
                metrics.failure(round, phase.name().toLowerCase(Locale.ROOT), site, message, permanent);
                log.warn(label + ": round " + round + ", " + site + " failed in " + phase + ": " + message
                        + (permanent ? " — the site stops for this run; the run and its results so far are kept" : " — skipped this round"));
                extra.onFailure(round, phase, site, message, permanent);
            }

            @Override
            public void onRoundEnd(int round, ProcedureState serverState) {
                ckpt.save(round, serverState, coordinator[0].dropped());
                roundCompleted = true;
                roundsDone++;
                log.round(run, round, rounds, records.stream().filter(r -> r.round() == round).toList(), roundsDone, roundsTotal());
                extra.onRoundEnd(round, serverState);
            }
        };
        int done = ckpt.completedRound();
        // the sites' images are loaded at imageHeight × imageHeight
        SetupBound setup = algorithm.setupBound(plan.data().channels(), plan.data().imageHeight(), plan.data().imageHeight());
        Transport transport = sites.open(run, initial, done, setup);
        try {
            ServerProcedure server = algorithm.newServer(initial);
            server.expectSetup(setup); // the style bank's shape comes from the configuration, not from the first answer
            Coordinator c = new Coordinator(transport, server, plan.federation(), listener, seed);
            coordinator[0] = c;
            if (done > 0) {
                metrics.truncateAfter(done);
                records.addAll(MetricsLog.readEvaluations(metricsFile));
                roundsDone += done;
                log.info(label + ": resuming after round " + done + "; every site restores its state of that round");
                c.resume(done, ckpt.serverState(done), ckpt.broadcast(), ckpt.dropped());
            } else {
                metrics.truncateAfter(0);
                log.info(label + ": starting, " + rounds + " rounds");
                c.run(initial);
            }
        } finally {
            metrics.close();
        }
        sites.finished(run, ckpt.completedRound() == rounds);
        return records;
    }
}
