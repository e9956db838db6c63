package org.resfim.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.resfim.data.FederationData;
import org.resfim.data.SiteDataset;
import org.resfim.engine.Djl;
import org.resfim.report.ResultTable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.resfim.state.Jackson;

/**
 * A run is a directory: {@code plan.json} (resolved configuration), {@code provenance.json},
 * {@code manifests/seed-S.json} (splits with content hashes), {@code <method>/seed-S[/fold-F]/}
 * (metrics.jsonl, checkpoint/, sites/ with each site's state and selected model), and the final
 * tables {@code results.md|csv|tex}, each headed by its provenance.
 */
public final class RunDirectory {
    private final Path root;

    public RunDirectory(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path runDir(String method, long seed, int fold, int folds) {
        Path p = root.resolve(slug(method)).resolve("seed-" + seed);
        return folds > 1 ? p.resolve("fold-" + fold) : p;
    }

    /** A method spec as a folder name: {@code pfl-resfim:rho=0.1} → {@code pfl-resfim_rho=0.1}. */
    public static String slug(String method) {
        return method.trim().replace(':', '_').replace(',', '_').replaceAll("[^A-Za-z0-9._=+-]", "-");
    }

    /**
     * The resolved configuration of {@code plan} (what {@code config.resolved.json} holds), read-only. A directory
     * that already holds a run continues only with exactly the settings it started with — the configuration file,
     * the options and every method default ResFIM applies — or rounds done before and after would come from
     * different experiments: refused, naming the first setting that differs, before anything is written.
     */
    String checkPlan(RunPlan plan) {
        String resolved = Simulation.json(resolvedConfig(plan));
        requireSameSettings(resolved);
        return resolved;
    }

    /** Writes {@code config.resolved.json}: a resolved configuration that {@link #checkPlan} accepted. */
    void writePlan(String resolved) {
        Simulation.write(root.resolve(RESOLVED), resolved);
    }

    /**
     * What the run directory held before a start, so that a start that fails before it completes a round can
     * take back what it wrote: only in a directory that held no run ({@code config.resolved.json} absent), and
     * only the entries this start created (everything else in the folder, the user's files, stays).
     */
    Start start() {
        return new Start(root);
    }

    static final class Start {
        private final Path root;
        private final boolean existed;
        private final boolean fresh;
        private final Set<Path> before = new java.util.HashSet<>();

        Start(Path root) {
            this.root = root;
            this.existed = Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            this.fresh = !Files.exists(root.resolve(RESOLVED), java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (existed && Files.isDirectory(root)) {
                try (var s = Files.list(root)) {
                    s.forEach(p -> before.add(p.getFileName()));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot list " + root, e);
                }
            }
        }

        /** Deletes what this start created (nothing when the directory held a run before); best effort. */
        void undo() {
            if (!fresh || !Files.isDirectory(root)) {
                return;
            }
            try (var s = Files.list(root)) {
                for (Path p : s.toList()) {
                    if (!before.contains(p.getFileName())) {
                        org.resfim.state.AtomicFiles.deleteTree(p);
                    }
                }
                if (!existed) {
                    try (var left = Files.list(root)) {
                        if (left.findAny().isEmpty()) {
                            Files.delete(root);
                        }
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                // best effort: the failure being reported matters more than what is left
            }
        }
    }

    static final String RESOLVED = "config.resolved.json";

    private void requireSameSettings(String resolved) {
        Path f = root.resolve(RESOLVED);
        if (!Files.isRegularFile(f)) {
            return;
        }
        ObjectMapper json = Jackson.MAPPER;
        JsonNode before;
        try {
            // a run started by a build that wrote the settings under Java names continues if the settings are the same
            before = upgrade(json.readTree(f.toFile()));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot continue the run in " + root + ": " + f + " is unreadable (" + e.getMessage() + ")");
        }
        JsonNode now;
        try {
            now = json.readTree(resolved);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        sameSource(before, now);
        String diff = firstDifference("", before, now);
        if (diff != null) {
            throw new IllegalArgumentException("cannot continue the run in " + root + ": it was started with other settings (" + diff
                    + "); the configuration file, the options or ResFIM's defaults changed since. Start a new run with another --out");
        }
    }

    /**
     * A run started with a relative {@code --config} path records it as given, and {@code --resume} (from run.json)
     * loads the same file by its absolute path: the same source, not another setting. Rewrites {@code before}'s source
     * to {@code now}'s when the absolute path ends with the relative one.
     */
    private static void sameSource(JsonNode before, JsonNode now) {
        if (before instanceof com.fasterxml.jackson.databind.node.ObjectNode b && before.path("source").isTextual() && now.path("source").isTextual()) {
            try {
                Path was = Path.of(before.path("source").asText());
                Path is = Path.of(now.path("source").asText());
                if (!was.isAbsolute() && is.isAbsolute() && is.normalize().endsWith(was.normalize())) {
                    b.put("source", now.path("source").asText());
                }
            } catch (java.nio.file.InvalidPathException e) {
                // not paths (e.g. "<built-in synthetic default>"): compared as they are
            }
        }
    }

    /** The first path at which two JSON trees differ, as "path: before → now", or null when they are equal. */
    static String firstDifference(String path, JsonNode a, JsonNode b) {
        if (a == null || b == null || a.isMissingNode() || b.isMissingNode()) {
            return a == b ? null : (path.isEmpty() ? "(root)" : path) + ": " + text(a) + " → " + text(b);
        }
        if (a.isObject() && b.isObject()) {
            Set<String> names = new LinkedHashSet<>();
            a.fieldNames().forEachRemaining(names::add);
            b.fieldNames().forEachRemaining(names::add);
            for (String n : names) {
                String d = firstDifference(path.isEmpty() ? n : path + "." + n, a.get(n), b.get(n));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (a.isArray() && b.isArray() && a.size() == b.size()) {
            for (int i = 0; i < a.size(); i++) {
                String d = firstDifference(path + "[" + i + "]", a.get(i), b.get(i));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        boolean same = a.isNumber() && b.isNumber() ? a.decimalValue().compareTo(b.decimalValue()) == 0 : a.equals(b);
        return same ? null : (path.isEmpty() ? "(root)" : path) + ": " + text(a) + " → " + text(b);
    }

    private static String text(JsonNode n) {
        return n == null || n.isMissingNode() ? "absent" : n.toString();
    }

    /**
     * Version of {@code config.resolved.json}: 2 writes the settings under their configuration keys with the
     * values a configuration file holds ({@code training.lr}, {@code model.norm: batch}); files without it
     * (version 1) hold the settings objects under their Java names ({@code learningRate}, {@code "BATCH"}).
     */
    public static final int RESOLVED_FORMAT = 2;

    /** Version-1 names of the settings, per section: Java name → configuration key. */
    private static final Map<String, Map<String, String>> LEGACY_NAMES = Map.of(
            "federation", Map.of("rounds", "rounds", "sampleFraction", "sample_fraction", "minSites", "min_sites", "offloadSites", "offload_sites"),
            "training", Map.of("learningRate", "lr", "weightDecay", "weight_decay", "batchSize", "batch_size", "localEpochs", "local_epochs",
                    "lrDecayFactor", "lr_decay", "lrDecayEvery", "lr_decay_every"),
            "evaluation", Map.of("selectAfter", "select_after", "folds", "folds", "reference", "reference", "bootstrap", "bootstrap"),
            "model", Map.of("width", "width", "depth", "depth", "norm", "norm", "groups", "groups"));

    /**
     * A {@code config.resolved.json} in the current format: version 1 (settings under Java names, written before
     * version 2) is rewritten with the configuration keys and values; the current format is returned as it is.
     */
    public static JsonNode upgrade(JsonNode resolved) {
        if (!(resolved instanceof com.fasterxml.jackson.databind.node.ObjectNode doc)) {
            return resolved;
        }
        if (resolved.has("format")) {
            return withInit(doc);
        }
        com.fasterxml.jackson.databind.node.ObjectNode out = doc.objectNode();
        out.put("format", RESOLVED_FORMAT);
        doc.fields().forEachRemaining(e -> {
            Map<String, String> names = LEGACY_NAMES.get(e.getKey());
            if (names == null || !e.getValue().isObject()) {
                out.set(e.getKey(), e.getValue());
                return;
            }
            com.fasterxml.jackson.databind.node.ObjectNode section = out.putObject(e.getKey());
            e.getValue().fields().forEachRemaining(f -> {
                JsonNode v = f.getValue();
                if (e.getKey().equals("model") && (f.getKey().equals("norm") || f.getKey().equals("init")) && v.isTextual()) {
                    v = section.textNode(v.asText().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
                }
                section.set(names.getOrDefault(f.getKey(), f.getKey()), v);
            });
        });
        return withInit(out);
    }

    /** Runs written before {@code model.init} existed all drew Kaiming fan-out weights: say so, so they continue. */
    private static JsonNode withInit(com.fasterxml.jackson.databind.node.ObjectNode doc) {
        if (doc.get("model") instanceof com.fasterxml.jackson.databind.node.ObjectNode model && !model.has("init")) {
            model.put("init", org.resfim.model.WeightInit.KAIMING_FAN_OUT.key());
        }
        return doc;
    }

    /**
     * The settings a run starts with, as written to {@code config.resolved.json} (format {@link #RESOLVED_FORMAT}):
     * every section under its configuration keys, as a user writes them.
     */
    public static Map<String, Object> resolvedConfig(RunPlan plan) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", RESOLVED_FORMAT);
        m.put("source", plan.data().source());
        m.put("data", plan.data().raw().get("data"));
        m.put("image_size", List.of(plan.data().imageHeight(), plan.data().imageWidth()));
        m.put("methods", plan.methods());
        m.put("method_params", new TreeMap<>(plan.methodParams()));
        // the defaults this build applies where the configuration is silent: a later build with other defaults
        // must not silently continue a run (requireSameSettings)
        Map<String, Object> defaults = new TreeMap<>();
        for (String method : plan.methods()) {
            String name = org.resfim.algorithms.AlgorithmSpec.parse(method).name();
            defaults.put(name, org.resfim.algorithms.AlgorithmRegistry.defaults(name));
        }
        m.put("method_defaults", defaults);
        m.put("seeds", plan.seeds());
        m.put("federation", plan.federation().toConfig());
        if (plan.federation().aggregation().privacy().active() || plan.federation().aggregation().privacy().styleActive()) { // absent when off: the hash of runs without privacy is unchanged
            m.put("privacy", plan.federation().aggregation().privacy().toConfig());
        }
        m.put("training", plan.training().toConfig());
        m.put("evaluation", plan.evaluation().toConfig());
        m.put("model", plan.model().toConfig());
        return m;
    }

    void writeManifest(long seed, List<SiteDataset> sites) {
        Path f = root.resolve("manifests").resolve("seed-" + seed + ".json");
        try {
            Files.createDirectories(f.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        FederationData.writeManifest(sites, f);
    }

    /**
     * The split manifest of {@code seed} for a cell: written when absent; when present (the plan wrote it), the
     * splits loaded now must be those it holds, or the cell would train on other data than its sibling cells.
     */
    void writeOrCheckManifest(long seed, List<SiteDataset> sites) {
        Path f = root.resolve("manifests").resolve("seed-" + seed + ".json");
        if (!Files.isRegularFile(f)) {
            writeManifest(seed, sites);
            return;
        }
        List<org.resfim.data.SplitManifest> ms = new java.util.ArrayList<>();
        for (SiteDataset s : sites) {
            if (s.manifest() != null) {
                ms.add(s.manifest());
            }
        }
        try {
            String now = org.resfim.data.SplitManifest.toJson(ms);
            if (!now.equals(Files.readString(f))) {
                throw new IllegalArgumentException(f + " differs from the splits of the data loaded now: the data changed since the plan was"
                        + " written, and this cell would train on other images than the others; plan a new run directory");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
    }

    /** The directory's lock file: shared files of a run whose cells run in several processes are written under it. */
    static final String LOCK = ".resfim.lock";
    private static final Object JVM_LOCK = new Object(); // a file lock is held per JVM: threads of one JVM queue here first

    /** Runs {@code body} holding the directory's file lock (an fcntl lock, which NFS v4 shares between machines). */
    void locked(Runnable body) {
        synchronized (JVM_LOCK) {
            try {
                Files.createDirectories(root);
                try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(root.resolve(LOCK),
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
                     java.nio.channels.FileLock ignored = ch.lock()) {
                    body.run();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot lock " + root.resolve(LOCK) + ": " + e.getMessage(), e);
            }
        }
    }

    /** A cell's own lock, held while a process runs it. */
    public interface CellLock extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Locks the folder of one cell for this process: a second process that starts the same cell at the same time
     * (a Slurm requeue while the first still runs, a double submission) is refused instead of interleaving rounds.
     */
    CellLock lockCell(Path runDir, String id) {
        try {
            Files.createDirectories(runDir);
            java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(runDir.resolve(".cell.lock"),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
            java.nio.channels.FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                ch.close();
                throw new IllegalStateException("cell " + id + " is running in another process (" + runDir.resolve(".cell.lock")
                        + " is locked); it continues from its checkpoint when started again after that one stopped");
            }
            java.nio.channels.FileLock held = lock;
            return () -> {
                try {
                    held.release();
                    ch.close();
                } catch (IOException e) {
                    // closing the channel releases the lock in any case
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + runDir + ": " + e.getMessage(), e);
        }
    }

    /** Whether the cell in {@code runDir} completed all {@code rounds} (its coordinator checkpoint holds the last round). */
    public static boolean cellComplete(Path runDir, int rounds) {
        Path server = runDir.resolve("checkpoint").resolve("server");
        if (!Files.isDirectory(server)) {
            return false;
        }
        return new org.resfim.federation.CoordinatorCheckpoint(runDir.resolve("checkpoint")).completedRound() == rounds;
    }

    /**
     * Provenance of everything in this directory: config hash, seeds, data manifest hash, commit, versions, and the
     * machine entries that decide libtorch's float results ({@link org.resfim.engine.NumericEnvironment}).
     */
    public Map<String, Object> provenance(RunPlan plan) {
        return provenance(plan, true);
    }

    /**
     * The provenance written by a process that runs {@code engine} or not: a deployment's coordinator trains nothing
     * and loads no libtorch (its sites do), so it records neither libtorch's version nor the machine entries that
     * decide libtorch's float results, and says so.
     */
    public Map<String, Object> provenance(RunPlan plan, boolean engine) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("config_sha256", sha256(Simulation.json(resolvedConfig(plan)).getBytes(StandardCharsets.UTF_8)));
        p.put("config_source", plan.data().source());
        p.put("seeds", plan.seeds());
        p.put("data_manifest_sha256", manifestHash());
        p.put("git_commit", BuildInfo.commit());
        p.put("resfim_version", BuildInfo.version());
        if (engine) {
            p.put("libtorch", Djl.libtorchVersion());
            p.put("java", System.getProperty("java.version"));
            p.put("threads", Djl.threads());
            if (Djl.onGpu()) { // absent on the CPU, as before devices existed
                p.put("device", Djl.deviceName());
            }
            p.put("machine", org.resfim.engine.NumericEnvironment.describe());
        } else {
            p.put("libtorch", "not loaded (engine-free coordinator; the sites train)");
            p.put("java", System.getProperty("java.version"));
        }
        p.put("written", Instant.now().toString());
        return p;
    }

    private String manifestHash() {
        Path d = root.resolve("manifests");
        if (!Files.isDirectory(d)) {
            return "none";
        }
        try (var files = Files.list(d)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Path f : files.sorted().toList()) {
                md.update(Files.readAllBytes(f));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One "key: value" line per entry; nested maps as dotted keys (machine.cpu: ...). */
    private static void appendFlat(StringBuilder b, String prefix, Map<?, ?> map) {
        map.forEach((k, v) -> {
            if (v instanceof Map<?, ?> nested) {
                appendFlat(b, prefix + k + ".", nested);
            } else {
                b.append(prefix).append(k).append(": ").append(v).append('\n');
            }
        });
    }

    void writeResults(ResultTable table, RunPlan plan, List<org.resfim.report.CostSummary> costs) {
        writeResults(table, plan, costs, Map.of(), true);
    }

    /**
     * The result tables with the cost section, each headed by the provenance ({@code extra}: e.g. how the sites were
     * reached; {@code engine}: whether this process runs libtorch, see {@link #provenance(RunPlan, boolean)}).
     */
    void writeResults(ResultTable table, RunPlan plan, List<org.resfim.report.CostSummary> costs, Map<String, Object> extra, boolean engine) {
        Map<String, Object> prov = new LinkedHashMap<>(provenance(plan, engine));
        prov.putAll(extra);
        Simulation.write(root.resolve("provenance.json"), Simulation.json(prov));
        StringBuilder header = new StringBuilder();
        appendFlat(header, "", prov);
        StringBuilder cost = new StringBuilder("\n## Cost\n\n");
        costs.forEach(c -> cost.append("- ").append(c.describe()).append('\n'));
        Simulation.write(root.resolve("results.md"), "# Results\n\n" + table.markdown() + cost + privacy(plan) + "\n```\n" + header + "```\n");
        Simulation.write(root.resolve("results.csv"), prefixed(header, "# ") + table.csv());
        Simulation.write(root.resolve("results.tex"), prefixed(header, "% ") + table.latex());
    }

    /** The privacy section of results.md: every site's ε per method ({@link org.resfim.report.PrivacySummary}); empty without privacy. */
    private String privacy(RunPlan plan) {
        org.resfim.privacy.PrivacySettings p = plan.federation().aggregation().privacy();
        if (!p.active() && !p.styleActive()) {
            return "";
        }
        int folds = Math.max(1, plan.evaluation().folds());
        Map<String, List<org.resfim.report.PrivacySummary.Row>> rows = new LinkedHashMap<>();
        Map<String, Integer> windows = new LinkedHashMap<>();
        for (String m : plan.methods()) {
            List<Path> logs = new java.util.ArrayList<>();
            for (long seed : plan.seeds()) {
                for (int f = 0; f < folds; f++) {
                    logs.add(runDir(m, seed, f, folds).resolve("metrics.jsonl"));
                }
            }
            rows.put(m, org.resfim.report.PrivacySummary.of(p, logs));
            org.resfim.algorithms.AlgorithmSpec spec = org.resfim.algorithms.AlgorithmSpec.parse(m);
            windows.put(m, org.resfim.algorithms.AlgorithmRegistry.create(spec.withDefaults(plan.methodParams().get(spec.name())))
                    .setupBound(plan.data().channels(), plan.data().imageHeight(), plan.data().imageWidth()).tensors());
        }
        return org.resfim.report.PrivacySummary.markdown(p, rows, windows);
    }

    private static String prefixed(CharSequence text, String prefix) {
        StringBuilder sb = new StringBuilder();
        for (String line : text.toString().split("\n")) {
            sb.append(prefix).append(line).append('\n');
        }
        return sb.toString();
    }
}
