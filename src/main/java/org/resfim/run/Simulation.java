package org.resfim.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.resfim.algorithms.AlgorithmRegistry;
import org.resfim.algorithms.AlgorithmSpec;
import org.resfim.data.FederationData;
import org.resfim.data.SiteDataset;
import org.resfim.federation.Algorithm;
import org.resfim.federation.ClientState;
import org.resfim.federation.Coordinator;
import org.resfim.federation.CoordinatorCheckpoint;
import org.resfim.federation.FileSiteStore;
import org.resfim.federation.InProcessTransport;
import org.resfim.federation.Message;
import org.resfim.federation.ModelCard;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.RoundListener;
import org.resfim.federation.SiteParticipant;
import org.resfim.model.UNetArchitecture;
import org.resfim.model.UNetConfig;
import org.resfim.report.CostSummary;
import org.resfim.report.EvalRecord;
import org.resfim.report.MetricsLog;
import org.resfim.report.ResultTable;
import org.resfim.state.ModelState;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Runs every method × seed (× fold) of a plan in this JVM on identical splits, seeds and initial weights,
 * writes the run directory, and resumes a killed run exactly where its last complete round ended.
 */
public final class Simulation {
    private final SimulationPlan plan;
    private final RunDirectory dir;
    private final PrintStream log;
    private final Progress progress;

    public Simulation(SimulationPlan plan, PrintStream log) {
        this.plan = plan;
        this.dir = new RunDirectory(plan.out());
        this.log = log;
        this.progress = new Progress(log, plan.methods().size() * plan.seeds().size() * Math.max(1, plan.evaluation().folds())
                * plan.federation().rounds());
    }

    /** Runs (or continues) the whole plan and returns the result table. */
    public ResultTable run() {
        plan.evaluation().validate(plan.federation().rounds());
        for (String m : plan.methods()) {
            AlgorithmRegistry.create(spec(m)); // refuse unknown methods and bad parameters before any work
        }
        String resolved = dir.checkPlan(plan); // a directory holding another run is refused before any work
        // #13 item 5: every site loaded and checked before anything is written, so a data error (missing folder,
        // unreadable image, wrong mask size, a site without training images) leaves the run directory as it was
        long firstSeed = plan.seeds().get(0);
        List<SiteDataset> firstSites = FederationData.load(plan.data(), firstSeed, plan.data().imageHeight());
        check(firstSites, firstSeed);
        List<String> noVal = sitesWithoutValidation(firstSites, firstSeed);
        if (!noVal.isEmpty()) {
            log.println("no validation images at " + String.join(", ", noVal) + " (too few images or patients for a validation split):"
                    + " their test scores and selected models are those of the last round");
        }
        RunDirectory.Start start = dir.start();
        try {
            dir.writePlan(resolved);
            ResumeInfo.write(plan.out(), plan.origin());
            return runAll(firstSeed, firstSites);
        } catch (RuntimeException | Error e) {
            if (!roundCompleted) {
                start.undo(); // a start that trained no round leaves nothing that would refuse the corrected command
            }
            throw e;
        }
    }

    /**
     * The checks on loaded data that would otherwise fail once training runs: the run directory outside every
     * site folder, federation.min_sites against the sites there are, every site with training images in every fold.
     */
    private void check(List<SiteDataset> sites, long seed) {
        FederationData.refuseOutputInside(sites, plan.out());
        try {
            plan.federation().validate(sites.size()); // min_sites against the sites there are: before any training
        } catch (org.resfim.config.ConfigException e) {
            throw new org.resfim.config.ConfigException(plan.data().source() + ": " + e.getMessage());
        }
        int folds = Math.max(1, plan.evaluation().folds());
        for (int fold = 0; fold < folds; fold++) {
            for (SiteDataset s : folds == 1 ? sites : Folds.split(sites, fold, folds, seed)) {
                if (s.train().isEmpty()) {
                    String where = s.manifest() != null && s.manifest().root() != null ? s.manifest().root() + ": " : "";
                    throw new IllegalArgumentException(where + "site '" + s.name() + "' has no training images ("
                            + s.val().size() + " validation, " + s.test().size() + " test"
                            + (folds > 1 ? " in fold " + fold + " of evaluation.folds = " + folds : "") + "): it cannot train");
                }
            }
        }
    }

    /** Sites with no validation images (in any fold), in site order: model selection takes their last round. */
    private List<String> sitesWithoutValidation(List<SiteDataset> sites, long seed) {
        int folds = Math.max(1, plan.evaluation().folds());
        Set<String> out = new LinkedHashSet<>();
        for (int fold = 0; fold < folds; fold++) {
            for (SiteDataset s : folds == 1 ? sites : Folds.split(sites, fold, folds, seed)) {
                if (s.val().isEmpty()) {
                    out.add(s.name());
                }
            }
        }
        return List.copyOf(out);
    }

    private boolean roundCompleted;

    private ResultTable runAll(long firstSeed, List<SiteDataset> firstSites) {
        List<EvalRecord> all = new ArrayList<>();
        List<String> siteNames = null;
        for (long seed : plan.seeds()) {
            List<SiteDataset> sites = seed == firstSeed ? firstSites : FederationData.load(plan.data(), seed, plan.data().imageHeight());
            dir.writeManifest(seed, sites);
            int folds = Math.max(1, plan.evaluation().folds());
            for (int fold = 0; fold < folds; fold++) {
                List<SiteDataset> runSites = folds == 1 ? sites : Folds.split(sites, fold, folds, seed);
                if (siteNames == null) {
                    siteNames = runSites.stream().map(SiteDataset::name).toList();
                }
                UNetConfig unet = plan.model().unet(plan.data().channels());
                ModelState initial = plan.model().initialState(plan.data().channels(), seed);
                for (String method : plan.methods()) {
                    all.addAll(runOne(method, seed, fold, folds, runSites, unet, initial));
                }
            }
        }
        ResultTable table = new ResultTable(all, plan.methods(), siteNames, plan.seeds(),
                plan.evaluation().firstSelectableRound(plan.federation().rounds()), plan.evaluation().reference(), plan.evaluation().bootstrap());
        List<CostSummary> costs = costs();
        costs.forEach(c -> log.println(c.describe()));
        dir.writeResults(table, plan, costs);
        return table;
    }

    /** Time and upload cost of every method, from the metrics logs of all its runs. */
    private List<CostSummary> costs() {
        long full = 4L * UNetArchitecture.layout(plan.model().unet(plan.data().channels())).numElements();
        List<CostSummary> out = new ArrayList<>();
        int folds = Math.max(1, plan.evaluation().folds());
        for (String m : plan.methods()) {
            List<Path> logs = new ArrayList<>();
            for (long seed : plan.seeds()) {
                for (int f = 0; f < folds; f++) {
                    logs.add(dir.runDir(m, seed, f, folds).resolve("metrics.jsonl"));
                }
            }
            out.add(CostSummary.of(m, logs, full));
        }
        return out;
    }

    private AlgorithmSpec spec(String method) {
        AlgorithmSpec s = AlgorithmSpec.parse(method);
        return s.withDefaults(plan.methodParams().get(s.name()));
    }

    private List<EvalRecord> runOne(String method, long seed, int fold, int folds, List<SiteDataset> sites, UNetConfig unet, ModelState initial) {
        Path runDir = dir.runDir(method, seed, fold, folds);
        Path metricsFile = runDir.resolve("metrics.jsonl");
        CoordinatorCheckpoint ckpt = new CoordinatorCheckpoint(runDir.resolve("checkpoint"));
        int rounds = plan.federation().rounds();
        if (ckpt.completedRound() == rounds) {
            progress.skip(rounds);
            log.printf("%s seed %d%s: complete, results read from %s%n", method, seed, folds > 1 ? " fold " + fold : "", runDir);
            return MetricsLog.readEvaluations(metricsFile);
        }
        Algorithm algorithm = AlgorithmRegistry.create(spec(method));
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("method", method);
        provenance.put("seed", Long.toString(seed));
        if (folds > 1) {
            provenance.put("fold", fold + " of " + folds);
        }
        FileSiteStore store = new FileSiteStore(runDir.resolve("sites"),
                ModelCard.describing(plan.data(), sites, unet, BuildInfo.version(), BuildInfo.commit(), provenance));
        int first = plan.evaluation().firstSelectableRound(rounds);
        List<SiteParticipant> participants = new ArrayList<>();
        for (SiteDataset s : sites) {
            SiteParticipant sp = new SiteParticipant(s, algorithm.newClient(s.name()), unet, plan.training(), rounds, seed, store, first,
                    plan.data().augmentation());
            if (plan.federation().offloadSites()) {
                sp.offloadWith(() -> algorithm.newClient(s.name()));
            }
            participants.add(sp);
        }
        MetricsLog metrics = new MetricsLog(metricsFile);
        String label = method + " seed " + seed + (folds > 1 ? " fold " + fold : "");
        List<EvalRecord> records = new ArrayList<>();
        RoundListener listener = new RoundListener() {
            @Override
            public void onSetup(List<Reply> replies, Message broadcast) {
                ckpt.saveBroadcast(broadcast);
            }

            @Override
            public void onFit(int round, Reply reply) {
                metrics.fit(round, reply.site(), reply.numSamples(), reply.stats());
            }

            @Override
            public void onAggregate(int round, List<org.resfim.federation.UploadSummary> uploads) {
                uploads.forEach(u -> metrics.upload(round, u));
            }

            @Override
            public void onEvaluate(int round, Reply reply) {
                EvalRecord r = new EvalRecord(method, seed, fold, round, reply.site(), reply.scores());
                records.add(r);
                metrics.evaluate(r);
            }

            @Override
            public void onFailure(int round, Phase phase, String site, String message, boolean permanent) {
                metrics.failure(round, phase.name().toLowerCase(Locale.ROOT), site, message, permanent);
                log.printf("%s: round %d, %s failed: %s%s%n", label, round, site, message,
                        permanent ? " — the site stops; the run and its results so far are kept" : " — skipped this round");
            }

            @Override
            public void onRoundEnd(int round, ClientState serverState) {
                ckpt.save(round, serverState, currentCoordinator[0].dropped());
                roundCompleted = true;
                progress.round(label, round, rounds, EvalRecord.meanValDiceText(records.stream().filter(r -> r.round() == round).toList()));
            }
        };
        try (InProcessTransport transport = new InProcessTransport(participants)) {
            org.resfim.federation.ServerProcedure server = algorithm.newServer(initial);
            // the sites' images are loaded at imageHeight × imageHeight (FederationData.load above)
            server.expectSetup(algorithm.setupBound(plan.data().channels(), plan.data().imageHeight(), plan.data().imageHeight()));
            Coordinator c = new Coordinator(transport, server, plan.federation(), listener, seed);
            currentCoordinator[0] = c;
            int done = ckpt.completedRound();
            if (done > 0) {
                metrics.truncateAfter(done);
                records.addAll(MetricsLog.readEvaluations(metricsFile));
                progress.skip(done);
                log.printf("%s: resuming after round %d%n", label, done);
                c.resume(done, ckpt.serverState(done), ckpt.broadcast(), ckpt.dropped());
            } else {
                metrics.truncateAfter(0);
                c.run(initial);
            }
        } finally {
            metrics.close();
        }
        if (ckpt.completedRound() == rounds) {
            store.pruneRounds(); // complete: the selected models and the metrics are what remains useful
        }
        return records;
    }

    private final Coordinator[] currentCoordinator = new Coordinator[1];

    static String json(Object o) {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code file} atomically and durably (fsync'ed with its folder): results, resolved config, manifests. */
    static void write(Path file, String text) {
        try {
            org.resfim.state.AtomicFiles.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
