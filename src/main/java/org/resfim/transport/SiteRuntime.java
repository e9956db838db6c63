package org.resfim.transport;

import org.resfim.algorithms.AlgorithmRegistry;
import org.resfim.algorithms.AlgorithmSpec;
import org.resfim.data.FederationData;
import org.resfim.data.SiteDataset;
import org.resfim.federation.Algorithm;
import org.resfim.federation.FileSiteStore;
import org.resfim.federation.ModelCard;
import org.resfim.federation.ParticipantException;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.Request;
import org.resfim.federation.SiteParticipant;
import org.resfim.model.UNetConfig;
import org.resfim.run.RunDirectory;
import org.resfim.run.RunPlan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A site process's answers: for each run (method × seed) the server starts, the same {@link SiteParticipant}
 * a simulation builds for this site (its own data only, the algorithm's client procedure, the same seeds),
 * with its state saved after every round under {@code STATE_DIR/<method>/seed-S/}, so the site rejoins after
 * a crash, or after a server restart, with its personal state intact.
 */
public final class SiteRuntime implements SiteClient.Handler {
    private final RunPlan plan;
    private final String site;
    private final Path stateDir;
    private final EventLog log;
    private final Map<Long, SiteDataset> data = new HashMap<>();
    private String currentKey;
    private SiteParticipant current;

    public SiteRuntime(RunPlan plan, String site, Path stateDir, EventLog log) {
        this.plan = plan;
        this.site = site;
        this.stateDir = stateDir;
        this.log = log;
        if (!Deployment.siteNames(plan.data()).contains(site)) {
            throw new IllegalArgumentException("site '" + site + "' is not in the configuration (sites: " + Deployment.siteNames(plan.data()) + ")");
        }
        if (plan.evaluation().folds() > 1) {
            throw new IllegalArgumentException("k-fold evaluation (evaluation.folds = " + plan.evaluation().folds()
                    + ") is a simulation feature; a deployment runs folds = 1");
        }
    }

    /** Loads this site's data for the first seed now, so a data error shows before the site connects. */
    public SiteDataset preload() {
        return data(plan.seeds().get(0));
    }

    @Override
    public synchronized Reply handle(String run, long seed, Request request) throws ParticipantException {
        if (!plan.methods().contains(run)) {
            throw new ParticipantException(site, "method '" + run + "' is not in this site's plan " + plan.methods(), true, null);
        }
        if (!plan.seeds().contains(seed)) {
            throw new ParticipantException(site, "seed " + seed + " is not in this site's plan " + plan.seeds(), true, null);
        }
        String key = run + " seed " + seed;
        if (request.phase() == Phase.SETUP) {
            current = participant(run, seed);
            currentKey = key;
            if (request.round() > 0) {
                log.info(key + ": restoring this site's state saved after round " + request.round());
            } else {
                log.info(key + ": setup");
            }
        } else if (current == null || !key.equals(currentKey)) {
            throw new ParticipantException(site, key + " was not set up at this site (expected SETUP first)", false, null);
        }
        Reply r = current.handle(request);
        if (request.phase() == Phase.EVALUATE) {
            double val = r.scores().stream().filter(s -> s.split().equals("val")).mapToDouble(s -> s.metrics().dice()).average().orElse(Double.NaN);
            log.info(String.format(java.util.Locale.ROOT, "%s: round %d evaluated, %s, state saved", key, request.round(),
                    Double.isNaN(val) ? "no validation images (the model of the last round is kept)" : String.format(java.util.Locale.ROOT, "val Dice %.3f", val)));
        }
        return r;
    }

    private SiteParticipant participant(String run, long seed) {
        AlgorithmSpec s = AlgorithmSpec.parse(run);
        Algorithm algorithm = AlgorithmRegistry.create(s.withDefaults(plan.methodParams().get(s.name())));
        int rounds = plan.federation().rounds();
        SiteDataset d = data(seed);
        UNetConfig unet = plan.model().unet(plan.data().channels());
        FileSiteStore store = new FileSiteStore(runDir(run, seed), ModelCard.describing(plan.data(), List.of(d), unet,
                org.resfim.run.BuildInfo.version(), org.resfim.run.BuildInfo.commit(), Map.of("method", run, "seed", Long.toString(seed))));
        return new SiteParticipant(d, algorithm.newClient(site), unet, plan.training(),
                rounds, seed, store, plan.evaluation().firstSelectableRound(rounds), plan.data().augmentation());
    }

    /** Where this site keeps its state of one run: {@code STATE_DIR/<method>/seed-S}. */
    public Path runDir(String run, long seed) {
        return stateDir.resolve(RunDirectory.slug(run)).resolve("seed-" + seed);
    }

    private SiteDataset data(long seed) {
        return data.computeIfAbsent(seed, sd -> {
            SiteDataset d = Deployment.loadSite(plan.data(), site, sd);
            Path f = stateDir.resolve("manifests").resolve("seed-" + sd + ".json");
            try {
                Files.createDirectories(f.getParent());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            FederationData.writeManifest(List.of(d), f);
            return d;
        });
    }
}
