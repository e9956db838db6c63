package org.resfim.run.html;

import org.resfim.report.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.resfim.data.FederationConfig;
import org.resfim.federation.EvaluationSettings;
import org.resfim.run.ModelSettings;
import org.resfim.run.ResumeInfo;
import org.resfim.run.RunDirectory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.resfim.state.Jackson;

/**
 * A run directory read back on its own (the configuration file it came from is not needed): the resolved
 * configuration, provenance, the per-round metrics of every method, seed and fold, and what follows from
 * them (the result table, the data configuration, the model configuration).
 */
public final class RunResults {
    private static final ObjectMapper JSON = Jackson.MAPPER;
    public static final String RESOLVED = "config.resolved.json";

    private final Path root;
    private final JsonNode resolved;
    private final JsonNode provenance;
    private final JsonNode runInfo;
    private final List<String> methods;
    private final List<Long> seeds;
    private final int rounds;
    private final int folds;
    private final EvaluationSettings evaluation;
    private final ModelSettings model;
    private final List<EvalRecord> records = new ArrayList<>();
    private final List<String> sites;

    private RunResults(Path root) {
        this.root = root;
        this.resolved = RunDirectory.upgrade(readJson(root.resolve(RESOLVED), true));
        this.provenance = readJson(root.resolve("provenance.json"), false);
        this.runInfo = readJson(root.resolve(ResumeInfo.FILE), false);
        List<String> m = new ArrayList<>();
        resolved.path("methods").forEach(x -> m.add(x.asText()));
        if (m.isEmpty()) {
            throw new IllegalArgumentException(root.resolve(RESOLVED) + " names no methods: not a run directory written by `resfim simulate`");
        }
        this.methods = List.copyOf(m);
        List<Long> s = new ArrayList<>();
        resolved.path("seeds").forEach(x -> s.add(x.asLong()));
        this.seeds = s.isEmpty() ? List.of(0L) : List.copyOf(s);
        this.rounds = resolved.path("federation").path("rounds").asInt(0);
        JsonNode e = resolved.path("evaluation");
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("select_after", e.path("select_after").asDouble(0.5));
        ev.put("folds", e.path("folds").asInt(1));
        ev.put("reference", e.path("reference").asText(""));
        ev.put("bootstrap", e.path("bootstrap").asInt(2000));
        this.evaluation = EvaluationSettings.from(ev);
        this.folds = Math.max(1, evaluation.folds());
        JsonNode md = resolved.path("model");
        Map<String, Object> ms = new LinkedHashMap<>();
        if (md.isObject()) {
            ms.put("width", md.path("width").asInt(16));
            ms.put("depth", md.path("depth").asInt(5));
            ms.put("norm", md.path("norm").asText("batch").toLowerCase(Locale.ROOT));
            ms.put("groups", md.path("groups").asInt(8));
        }
        this.model = ModelSettings.from(ms);
        Set<String> siteNames = new LinkedHashSet<>(manifestSites());
        for (String method : methods) {
            for (long seed : seeds) {
                for (int fold = 0; fold < folds; fold++) {
                    for (EvalRecord r : MetricsLog.readEvaluations(metrics(method, seed, fold))) {
                        records.add(r);
                        siteNames.add(r.site());
                    }
                }
            }
        }
        this.sites = List.copyOf(siteNames);
    }

    /**
     * Reads a run directory.
     *
     * @throws IllegalArgumentException naming the directory when it is missing or is not a run directory
     */
    public static RunResults read(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            throw new IllegalArgumentException("run directory " + dir + " does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is a file, not a run directory");
        }
        if (!Files.isRegularFile(dir.resolve(RESOLVED))) {
            throw new IllegalArgumentException(dir + " is not a run directory: it has no " + RESOLVED
                    + " (a run directory is what `resfim simulate --out DIR` writes)");
        }
        return new RunResults(dir);
    }

    /** Fails when no site of any method has finished a round. */
    public RunResults requireResults() {
        if (records.isEmpty()) {
            throw new IllegalArgumentException("run " + root + " has no results yet: no round was evaluated (no evaluate line in any "
                    + "<method>/seed-S/metrics.jsonl); if it was stopped, `resfim simulate --resume " + root + "` continues it");
        }
        return this;
    }

    private static JsonNode readJson(Path f, boolean required) {
        if (!Files.isRegularFile(f)) {
            if (required) {
                throw new IllegalArgumentException(f + " not found");
            }
            return null;
        }
        try {
            return JSON.readTree(f.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + f + ": " + e.getMessage().replace('\n', ' '), e);
        }
    }

    private List<String> manifestSites() {
        List<String> out = new ArrayList<>();
        JsonNode m = readJson(root.resolve("manifests").resolve("seed-" + seeds.get(0) + ".json"), false);
        if (m != null) {
            m.path("sites").forEach(s -> out.add(s.path("site").asText()));
        }
        return out;
    }

    // ------------------------------------------------------------------ accessors

    public Path root() {
        return root;
    }

    /** The directory's name. */
    public String name() {
        Path f = root.toAbsolutePath().normalize().getFileName();
        return f == null ? root.toString() : f.toString();
    }

    public List<String> methods() {
        return methods;
    }

    public List<Long> seeds() {
        return seeds;
    }

    public int rounds() {
        return rounds;
    }

    public int folds() {
        return folds;
    }

    public List<String> sites() {
        return sites;
    }

    public EvaluationSettings evaluation() {
        return evaluation;
    }

    public ModelSettings model() {
        return model;
    }

    public List<EvalRecord> records() {
        return records;
    }

    public JsonNode resolvedConfig() {
        return resolved;
    }

    /** provenance.json, or null while the run has not finished. */
    public JsonNode provenance() {
        return provenance;
    }

    /** run.json (the command-line settings), or null. */
    public JsonNode runInfo() {
        return runInfo;
    }

    /** The folder of one method, seed and fold. */
    public Path methodDir(String method, long seed, int fold) {
        return new RunDirectory(root).runDir(method, seed, fold, folds);
    }

    public Path metrics(String method, long seed, int fold) {
        return methodDir(method, seed, fold).resolve("metrics.jsonl");
    }

    /** The selected personal model of a site. */
    public Path selectedModel(String method, long seed, int fold, String site) {
        return methodDir(method, seed, fold).resolve("sites").resolve(site).resolve("selected-model.rfim");
    }

    /** Lines of one event of a method over all its seeds and folds. */
    public List<JsonNode> events(String method, String event) {
        List<JsonNode> out = new ArrayList<>();
        for (long seed : seeds) {
            for (int fold = 0; fold < folds; fold++) {
                out.addAll(MetricsLog.readEvents(metrics(method, seed, fold), event));
            }
        }
        return out;
    }

    /**
     * The comparison table: of the finished cells when some are finished and others not (cells of one directory run
     * as separate jobs; {@link #missingCells}), else of what the run has evaluated so far.
     */
    public ResultTable table() {
        List<org.resfim.run.Cell> missing = missingCells();
        List<EvalRecord> use = records;
        if (!missing.isEmpty() && missing.size() < cells().size()) {
            Set<String> unfinished = new java.util.HashSet<>();
            missing.forEach(c -> unfinished.add(c.method() + "\u0000" + c.seed() + "\u0000" + c.fold()));
            use = records.stream().filter(r -> !unfinished.contains(r.method() + "\u0000" + r.seed() + "\u0000" + r.fold())).toList();
        }
        return new ResultTable(use, methods, sites, seeds, evaluation.firstSelectableRound(rounds), evaluation.reference(),
                evaluation.bootstrap());
    }

    /** The cells of the plan (method × seed × fold), in the order a one-process run trains them. */
    public List<org.resfim.run.Cell> cells() {
        return org.resfim.run.Cell.all(methods, seeds, folds);
    }

    /** The cells that have not completed all their rounds (not started, running, or stopped). */
    public List<org.resfim.run.Cell> missingCells() {
        List<org.resfim.run.Cell> out = new ArrayList<>();
        for (org.resfim.run.Cell c : cells()) {
            if (!RunDirectory.cellComplete(methodDir(c.method(), c.seed(), c.fold()), rounds)) {
                out.add(c);
            }
        }
        return out;
    }

    /** One line on missing cells ("2 of 6 cells missing: fedavg/0/1 (index 3), ..."), or null when every cell is complete. */
    public String missingNote() {
        List<org.resfim.run.Cell> missing = missingCells();
        if (missing.isEmpty()) {
            return null;
        }
        return missing.size() + " of " + cells().size() + " cells missing (tables from the finished ones): "
                + String.join(", ", missing.stream().map(c -> c.id() + " (index " + c.index() + ")").toList())
                + "; run each with `resfim simulate --resume " + root + " --cell I`";
    }

    /**
     * The data configuration of the run rebuilt from its resolved configuration: the {@code data:} section,
     * relative paths taken from the original configuration's folder, the run's {@code --data-root} and image size.
     */
    public FederationConfig dataConfig() {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("seed", seeds.get(0));
        JsonNode data = resolved.get("data");
        if (data != null && !data.isNull()) {
            doc.set("data", data);
        }
        Path base = Path.of("").toAbsolutePath();
        String config = runInfo == null || runInfo.path("config").isNull() ? resolved.path("source").asText("") : runInfo.path("config").asText("");
        if (!config.isEmpty() && !config.startsWith("<")) {
            Path parent = Path.of(config).toAbsolutePath().getParent();
            if (parent != null) {
                base = parent;
            }
        }
        FederationConfig cfg;
        try {
            cfg = FederationConfig.parse(JSON.writeValueAsString(doc), base, root.resolve(RESOLVED) + " (data)");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        JsonNode size = resolved.path("image_size");
        if (size.isArray() && size.size() == 2) {
            cfg = cfg.withImageSize(size.get(0).asInt(), size.get(1).asInt());
        }
        if (runInfo != null && !runInfo.path("data_root").isNull() && !runInfo.path("data_root").asText("").isEmpty()) {
            cfg = cfg.withDataRoot(Path.of(runInfo.path("data_root").asText()));
        }
        return cfg;
    }

    /**
     * What runs made before {@code method_defaults} was recorded (2026-11-27) left to their build's defaults where
     * today's differ: pFL-ResFIM's variant was the residual until own Fisher became the default.
     */
    static final Map<String, Map<String, Object>> DEFAULTS_BEFORE_RECORDED = Map.of(
            org.resfim.algorithms.PflResFim.NAME, Map.of("resfim.variant", "resfim"));

    /** The parameters of a method as the run used them (its config section, overridden by the spec's own). */
    public Map<String, Object> methodParams(String method) {
        org.resfim.algorithms.AlgorithmSpec spec = org.resfim.algorithms.AlgorithmSpec.parse(method);
        Map<String, Object> fromConfig = new LinkedHashMap<>();
        // first the defaults of the build that ran it (a later build may have others: pfl-resfim's variant changed), then
        // the configuration, then the method spec
        if (!resolved.has("method_defaults")) {
            fromConfig.putAll(DEFAULTS_BEFORE_RECORDED.getOrDefault(spec.name(), Map.of()));
        }
        for (String section : List.of("method_defaults", "method_params")) {
            resolved.path(section).path(spec.name()).fields().forEachRemaining(e -> fromConfig.put(e.getKey(), e.getValue().isNumber()
                    ? e.getValue().numberValue() : e.getValue().isBoolean() ? e.getValue().booleanValue() : e.getValue().asText()));
        }
        return spec.withDefaults(fromConfig).params();
    }
}
