package org.resfim.run;

import org.resfim.data.FederationData;
import org.resfim.data.SiteDataset;
import org.resfim.federation.Algorithm;
import org.resfim.federation.FileSiteStore;
import org.resfim.federation.InProcessTransport;
import org.resfim.federation.ModelCard;
import org.resfim.federation.SetupBound;
import org.resfim.federation.SiteParticipant;
import org.resfim.federation.Transport;
import org.resfim.model.UNetConfig;
import org.resfim.report.EvalRecord;
import org.resfim.report.ResultTable;
import org.resfim.state.ModelState;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.resfim.state.Jackson;

/**
 * Runs every method × seed (× fold) of a plan in this JVM on identical splits, seeds and initial weights, with
 * the {@link RunDriver} a deployment uses too: this class supplies the sites (loaded here, each a
 * {@link SiteParticipant} behind an {@link InProcessTransport}) and the console log.
 */
public final class Simulation {
    private final RunPlan plan;
    private final RunDirectory dir;
    private final PrintStream log;
    private final Progress progress;

    public Simulation(RunPlan plan, PrintStream log) {
        this.plan = plan;
        this.dir = new RunDirectory(plan.out());
        this.log = log;
        this.progress = new Progress(log, plan.methods().size() * plan.seeds().size() * Math.max(1, plan.evaluation().folds())
                * plan.federation().rounds());
    }

    /** Runs (or continues) the whole plan and returns the result table. */
    public ResultTable run() {
        return driver().run(new InProcessSites(false));
    }

    /** Writes the plan (resolved configuration, run.json, split manifests) and trains nothing; returns the cells. */
    public List<Cell> planOnly() {
        return driver().planOnly(new InProcessSites(false));
    }

    /**
     * Runs one cell ({@code cell}: its index or method/seed[/fold]) of the planned run directory; returns the result table
     * when this cell was the last one missing, else null.
     */
    public ResultTable runCell(String cell) {
        RunDriver driver = driver();
        return driver.runCell(new InProcessSites(true), Cell.find(driver.cells(), cell));
    }

    private RunDriver driver() {
        return new RunDriver(plan, new RunDriver.Log() {
            @Override
            public void info(String line) {
                log.println(line);
            }

            @Override
            public void warn(String line) {
                log.println(line);
            }

            @Override
            public void round(RunDriver.Run run, int round, int rounds, List<EvalRecord> evaluated, int done, int total) {
                progress.round(run.label(), round, rounds, EvalRecord.meanValDiceText(evaluated));
            }
        });
    }

    /** The sites in this JVM: every site's data loaded here, each a {@link SiteParticipant} behind an {@link InProcessTransport}. */
    private final class InProcessSites implements RunDriver.Sites {
        private final Map<Long, List<SiteDataset>> loaded = new HashMap<>();
        private List<String> names = List.of();
        private FileSiteStore store;
        /** One cell among others that may run in other processes: an existing split manifest is checked, not rewritten. */
        private final boolean cell;

        InProcessSites(boolean cell) {
            this.cell = cell;
        }

        @Override
        public List<String> names() {
            return names;
        }

        /**
         * #13 item 5: every site loaded and checked before anything is written, so a data error (missing folder,
         * unreadable image, wrong mask size, a site without training images) leaves the run directory as it was.
         */
        @Override
        public void prepare() {
            long firstSeed = plan.seeds().get(0);
            List<SiteDataset> firstSites = FederationData.load(plan.data(), firstSeed, plan.data().imageHeight());
            check(firstSites, firstSeed);
            List<String> noVal = sitesWithoutValidation(firstSites, firstSeed);
            if (!noVal.isEmpty()) {
                log.println("no validation images at " + String.join(", ", noVal) + " (too few images or patients for a validation split):"
                        + " their test scores and selected models are those of the last round");
            }
            loaded.put(firstSeed, firstSites);
            names = firstSites.stream().map(SiteDataset::name).toList();
        }

        @Override
        public void beginSeed(long seed) {
            loaded.keySet().removeIf(s -> s != seed); // one seed's data in memory at a time
            List<SiteDataset> sites = loaded.computeIfAbsent(seed, sd -> FederationData.load(plan.data(), sd, plan.data().imageHeight()));
            if (cell) { // loaded outside the lock; written once (or checked) under it
                dir.locked(() -> dir.writeOrCheckManifest(seed, sites));
            } else {
                dir.writeManifest(seed, sites);
            }
        }

        @Override
        public ModelState initial(long seed) {
            return plan.model().initialState(plan.data().channels(), seed);
        }

        @Override
        public Transport open(RunDriver.Run run, ModelState initial, int completed, SetupBound setup) {
            List<SiteDataset> all = loaded.get(run.seed());
            List<SiteDataset> sites = run.folds() == 1 ? all : Folds.split(all, run.fold(), run.folds(), run.seed());
            int rounds = plan.federation().rounds();
            UNetConfig unet = plan.model().unet(plan.data().channels());
            Map<String, String> provenance = new LinkedHashMap<>();
            provenance.put("method", run.method());
            provenance.put("seed", Long.toString(run.seed()));
            if (run.folds() > 1) {
                provenance.put("fold", run.fold() + " of " + run.folds());
            }
            store = new FileSiteStore(run.dir().resolve("sites"),
                    ModelCard.describing(plan.data(), sites, unet, BuildInfo.version(), BuildInfo.commit(), provenance));
            int first = plan.evaluation().firstSelectableRound(rounds);
            Algorithm algorithm = run.algorithm();
            List<SiteParticipant> participants = new ArrayList<>();
            for (SiteDataset s : sites) {
                SiteParticipant sp = new SiteParticipant(s, algorithm.newClient(s.name()), unet, plan.training(), rounds, run.seed(), store, first,
                        plan.data().augmentation());
                if (plan.federation().offloadSites()) {
                    sp.offloadWith(() -> algorithm.newClient(s.name()));
                }
                participants.add(sp);
            }
            return new InProcessTransport(participants);
        }

        @Override
        public void finished(RunDriver.Run run, boolean complete) {
            if (complete) {
                store.pruneRounds(); // complete: the selected models and the metrics are what remains useful
            }
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

    static String json(Object o) {
        try {
            return Jackson.PRETTY.writeValueAsString(o);
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
