package org.resfim.bench;

import org.resfim.data.FederationData;
import org.resfim.data.Sample;
import org.resfim.data.SiteDataset;
import org.resfim.engine.Batch;
import org.resfim.federation.Batches;
import org.resfim.model.UNetConfig;
import org.resfim.report.EvalRecord;
import org.resfim.report.MetricsLog;
import org.resfim.report.Selection;
import org.resfim.run.RunDirectory;
import org.resfim.run.Simulation;
import org.resfim.run.RunPlan;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.RawExport;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.resfim.state.Jackson;

/**
 * Training quality against the same recipe in plain PyTorch ({@code resfim bench quality}). ResFIM trains the plan
 * (a run directory under {@code OUT/resfim}); then, per seed, ResFIM's preprocessed split (the very arrays its
 * training reads, masks thresholded as its batches are) and its initial weights are exported, and the twin
 * ({@code quality_twin.py}: the peer's U-Net and loss, {@code torch.optim.Adam}, the same schedule, batches,
 * augmentation and evaluation) trains the same methods from them into {@code OUT/twin}, writing ResFIM's own
 * metrics format. Both go through ResFIM's one selection rule; the table compares per site the test Dice at the
 * best validation round after T/2 and the mean test Dice of the last 10 rounds (less selection noise).
 */
public final class QualityTwin {

    /**
     * @param init        the twin's initial weights: resfim-weights (ResFIM's, exactly), kaiming-fan-out or torch-default
     * @param augmentPer  sample (ResFIM's rule: each sample its own draw) or batch (one draw for a batch)
     * @param stacks      which stacks to run: resfim, twin or both (the other's results are read if present)
     */
    public record Options(Path peerScript, String init, String augmentPer, int threads, String stacks) {
    }

    /** One site's figures of one stack and seed: test Dice at the selected round, mean of the last 10 rounds. */
    public record Figures(double selected, double last10) {
    }

    private QualityTwin() {
    }

    /** Runs the plan (its run directory is {@code out/resfim}) and the twin ({@code out/twin}); returns the table. */
    public static String run(RunPlan plan, Path out, Options o, PrintStream log) throws IOException, InterruptedException {
        if (!plan.out().toAbsolutePath().normalize().equals(out.resolve("resfim").toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("the plan's run directory must be " + out.resolve("resfim") + ", got " + plan.out());
        }
        if (!o.init().matches("resfim-weights|kaiming-fan-out|torch-default")) {
            throw new IllegalArgumentException("--twin-init must be resfim-weights, kaiming-fan-out or torch-default, got '" + o.init() + "'");
        }
        if (!o.augmentPer().matches("sample|batch")) {
            throw new IllegalArgumentException("--augment-per must be sample or batch, got '" + o.augmentPer() + "'");
        }
        for (String m : plan.methods()) {
            if (!m.equals("local") && !m.equals("fedavg")) {
                throw new IllegalArgumentException("the twin trains local and fedavg; --methods has '" + m + "'");
            }
        }
        UNetConfig unet = plan.model().unet(plan.data().channels());
        if (!unet.equals(UNetConfig.reference().withInChannels(unet.inChannels()))) {
            throw new IllegalArgumentException("the twin is the peer's reference U-Net (width 16, depth 5, BatchNorm); the configuration's model is "
                    + unet);
        }
        if (!o.stacks().equals("twin")) {
            new Simulation(plan, log).run();
        }
        Path twinDir = out.resolve("twin");
        if (!o.stacks().equals("resfim")) {
            Path script = extractScript(out);
            for (long seed : plan.seeds()) {
                if (twinComplete(plan, twinDir, seed, o)) {
                    log.println("twin seed " + seed + ": complete, results read from " + twinDir);
                    continue;
                }
                Path data = twinDir.resolve("data-seed-" + seed);
                Path recipe = twinDir.resolve("recipe-seed-" + seed + ".json");
                export(plan, seed, unet, data, recipe, o);
                runTwin(script, o.peerScript(), data, recipe, twinDir, log);
            }
        }
        String table = table(plan, twinDir);
        Files.writeString(out.resolve("quality.md"), table);
        return table;
    }

    /** Whether the twin already trained every method of this seed for every round with this recipe (init, augmentation, rounds). */
    static boolean twinComplete(RunPlan plan, Path twinDir, long seed, Options o) throws IOException {
        Path recipe = twinDir.resolve("recipe-seed-" + seed + ".json");
        if (!Files.isRegularFile(recipe)) {
            return false;
        }
        var given = Jackson.MAPPER.readTree(recipe.toFile());
        if (!given.path("init").asText().equals(o.init()) || !given.path("augment_per").asText().equals(o.augmentPer())
                || given.path("rounds").asInt() != plan.federation().rounds()) {
            return false; // another recipe: train again
        }
        for (String m : plan.methods()) {
            List<EvalRecord> r = MetricsLog.readEvaluations(twinDir.resolve(RunDirectory.slug(m)).resolve("seed-" + seed).resolve("metrics.jsonl"));
            if (r.stream().noneMatch(e -> e.round() == plan.federation().rounds())) {
                return false;
            }
        }
        return true;
    }

    /** The seed's preprocessed split and initial weights as a raw export, and the recipe the twin follows. */
    static void export(RunPlan plan, long seed, UNetConfig unet, Path dataDir, Path recipeFile, Options o) throws IOException {
        List<SiteDataset> sites = FederationData.load(plan.data(), seed, plan.data().imageHeight());
        ModelState all = new ModelState();
        List<Map<String, Object>> siteList = new ArrayList<>();
        for (SiteDataset s : sites) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", s.name());
            for (String split : List.of("train", "val", "test")) {
                List<Sample> samples = switch (split) {
                    case "train" -> s.train();
                    case "val" -> s.val();
                    default -> s.test();
                };
                entry.put(split, samples.stream().map(Sample::id).toList());
                if (samples.isEmpty()) {
                    continue;
                }
                Batch b = Batches.of(samples, unet.inChannels(), null, null); // exactly what training and evaluation read
                all.put(new Tensor(s.name() + "/" + split + "/x", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER,
                        new int[] {b.n(), b.channels(), b.height(), b.width()}, b.images()));
                all.put(new Tensor(s.name() + "/" + split + "/y", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER,
                        new int[] {b.n(), 1, b.height(), b.width()}, b.targets()));
            }
            siteList.add(entry);
        }
        // the initial weights every ResFIM method of this seed starts from
        for (Tensor t : plan.model().initialState(unet.inChannels(), seed).tensors()) {
            all.put(new Tensor("init." + t.name(), t.role(), t.part(), t.shape(), t.data()));
        }
        Files.createDirectories(dataDir);
        RawExport.write(all, dataDir);
        var a = plan.data().augmentation();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("seed", seed);
        r.put("rounds", plan.federation().rounds());
        r.put("local_epochs", plan.training().localEpochs());
        r.put("batch_size", plan.training().batchSize());
        r.put("lr", plan.training().learningRate());
        r.put("weight_decay", plan.training().weightDecay());
        r.put("lr_decay", plan.training().lrDecayFactor());
        r.put("lr_decay_every", plan.training().lrDecayEvery());
        r.put("augment", Map.of("hflip", a.hflip(), "vflip", a.vflip(), "rot90", a.rot90()));
        r.put("augment_per", o.augmentPer());
        r.put("init", o.init());
        r.put("methods", plan.methods());
        r.put("threads", o.threads());
        r.put("sites", siteList);
        Files.writeString(recipeFile, Jackson.PRETTY.writeValueAsString(r));
    }

    private static Path extractScript(Path out) throws IOException {
        Path script = out.resolve("twin").resolve("quality_twin.py");
        Files.createDirectories(script.getParent());
        try (InputStream in = QualityTwin.class.getResourceAsStream("quality_twin.py")) {
            if (in == null) {
                throw new IOException("quality_twin.py is missing from the build");
            }
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        return script;
    }

    private static void runTwin(Path script, Path peer, Path data, Path recipe, Path out, PrintStream log)
            throws IOException, InterruptedException {
        if (!Files.isRegularFile(peer)) {
            throw new IOException("peer U-Net not found: " + peer.toAbsolutePath() + " (--peer-script)");
        }
        List<String> cmd = List.of(TorchPeer.python(), script.toString(), peer.toString(), data.toString(), recipe.toString(), out.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder tail = new StringBuilder();
        try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                log.println(line);
                tail.append(line).append('\n');
                if (tail.length() > 4000) {
                    tail.delete(0, tail.length() - 4000);
                }
            }
        }
        if (!p.waitFor(1, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("the PyTorch twin failed (" + String.join(" ", cmd) + "):\n" + tail.toString().strip()
                    + (tail.toString().contains("No module named 'torch'") ? "\ninstall it with: apt-get install -y python3-torch" : ""));
        }
    }

    /** Per seed and site, both stacks' figures and the gap; then the mean over seeds. */
    static String table(RunPlan plan, Path twinDir) {
        RunDirectory dir = new RunDirectory(plan.out());
        int rounds = plan.federation().rounds();
        int first = plan.evaluation().firstSelectableRound(rounds);
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Test Dice (%%) at the best validation round after round %d, and the mean of the last 10 rounds; "
                + "gap = ResFIM - PyTorch.%n%n", first - 1));
        b.append("| method | seed | site | ResFIM best-val | PyTorch best-val | gap | ResFIM last 10 | PyTorch last 10 | gap |\n");
        b.append("|---|---:|---|---:|---:|---:|---:|---:|---:|\n");
        for (String m : plan.methods()) {
            Map<String, double[]> sums = new LinkedHashMap<>();
            int seeds = 0;
            for (long seed : plan.seeds()) {
                Map<String, Figures> ours = figures(MetricsLog.readEvaluations(dir.runDir(m, seed, 0, 1).resolve("metrics.jsonl")), first, rounds);
                Map<String, Figures> twin = figures(MetricsLog.readEvaluations(twinDir.resolve(RunDirectory.slug(m)).resolve("seed-" + seed)
                        .resolve("metrics.jsonl")), first, rounds);
                if (ours.isEmpty() || twin.isEmpty()) {
                    b.append(String.format(Locale.ROOT, "| %s | %d | (%s) | | | | | | |%n", m, seed, ours.isEmpty() ? "no ResFIM results" : "no twin results"));
                    continue;
                }
                seeds++;
                for (String site : ours.keySet()) {
                    Figures a = ours.get(site);
                    Figures t = twin.get(site);
                    if (t == null) {
                        continue;
                    }
                    b.append(row(m, String.valueOf(seed), site, a, t));
                    double[] s = sums.computeIfAbsent(site, k -> new double[4]);
                    s[0] += a.selected();
                    s[1] += t.selected();
                    s[2] += a.last10();
                    s[3] += t.last10();
                }
            }
            if (seeds > 0) {
                double[] mean = new double[4];
                for (var e : sums.entrySet()) {
                    double[] s = e.getValue();
                    b.append(row(m, "mean", e.getKey(), new Figures(s[0] / seeds, s[2] / seeds), new Figures(s[1] / seeds, s[3] / seeds)));
                    for (int i = 0; i < 4; i++) {
                        mean[i] += s[i] / seeds / sums.size();
                    }
                }
                b.append(row(m, "mean", "**all sites**", new Figures(mean[0], mean[2]), new Figures(mean[1], mean[3])));
            }
        }
        return b.toString();
    }

    private static String row(String method, String seed, String site, Figures ours, Figures twin) {
        return String.format(Locale.ROOT, "| %s | %s | %s | %.2f | %.2f | %+.2f | %.2f | %.2f | %+.2f |%n", method, seed, site,
                100 * ours.selected(), 100 * twin.selected(), 100 * (ours.selected() - twin.selected()),
                100 * ours.last10(), 100 * twin.last10(), 100 * (ours.last10() - twin.last10()));
    }

    /** Per site: test Dice at the round ResFIM's selection rule picks, and the mean over the last 10 rounds. */
    static Map<String, Figures> figures(List<EvalRecord> records, int firstRound, int rounds) {
        Map<String, Figures> out = new LinkedHashMap<>();
        Map<Selection.Key, Selection.Selected> selected = Selection.select(records, firstRound);
        for (var e : selected.entrySet()) {
            String site = e.getKey().site();
            double sel = e.getValue().test().stream().mapToDouble(s -> s.metrics().dice()).average().orElse(Double.NaN);
            double last = records.stream().filter(r -> r.site().equals(site) && r.round() > rounds - 10)
                    .mapToDouble(r -> r.scores().stream().filter(s -> s.split().equals("test")).mapToDouble(s -> s.metrics().dice())
                            .average().orElse(Double.NaN)).average().orElse(Double.NaN);
            out.put(site, new Figures(sel, last));
        }
        return out;
    }
}
