package org.resfim.run;

import org.resfim.algorithms.AlgorithmRegistry;
import org.resfim.algorithms.AlgorithmSpec;
import org.resfim.config.ConfigException;
import org.resfim.config.Section;
import org.resfim.data.FederationConfig;
import org.resfim.federation.EvaluationSettings;
import org.resfim.federation.FederationSettings;
import org.resfim.federation.TrainingSettings;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds a {@link SimulationPlan} from a configuration file (or the embedded default) and command-line overrides. */
public final class Plans {
    public static final String DEFAULT_RESOURCE = "default-simulation.yaml";

    private Plans() {
    }

    /** Command-line overrides; null fields keep the configuration's values. */
    public record Overrides(Path config, Path dataRoot, List<String> methods, List<Long> seeds, Integer rounds, Integer localEpochs,
                            Integer folds, Path out) {
    }

    public static String defaultYaml() {
        try (InputStream in = Plans.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static SimulationPlan build(Overrides o) {
        FederationConfig cfg = o.config() == null
                ? FederationConfig.parse(defaultYaml(), Path.of("").toAbsolutePath(), "<built-in synthetic default>")
                : FederationConfig.load(o.config());
        if (o.dataRoot() != null) {
            cfg = cfg.withDataRoot(o.dataRoot());
        }
        Map<String, Object> methodSection = new LinkedHashMap<>(cfg.method());
        List<String> methods = o.methods() != null ? o.methods() : listOf(methodSection.remove("list"), "method.list");
        methodSection.remove("list");
        Map<String, Map<String, Object>> params = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : methodSection.entrySet()) {
            if (!AlgorithmRegistry.names().contains(e.getKey())) {
                String near = Section.nearest(e.getKey(), AlgorithmRegistry.names());
                throw new ConfigException("unknown key 'method." + e.getKey() + "'" + (near == null ? "" : " (did you mean 'method." + near + "'?)")
                        + "; method: takes 'list' and one section per method: " + String.join(", ", AlgorithmRegistry.names()));
            }
            if (!(e.getValue() instanceof Map)) {
                throw new ConfigException("method." + e.getKey() + " must be a mapping of that method's parameters");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) e.getValue();
            params.put(e.getKey(), m);
        }
        Map<String, Object> resfimDefaults = org.resfim.algorithms.PflResFim.fromSections(cfg.section("style"), cfg.section("resfim"),
                cfg.section("bn"));
        if (!resfimDefaults.isEmpty()) {
            Map<String, Object> merged = new LinkedHashMap<>(resfimDefaults);
            merged.putAll(params.getOrDefault(org.resfim.algorithms.PflResFim.NAME, Map.of()));
            params.put(org.resfim.algorithms.PflResFim.NAME, merged);
        }
        if (methods.isEmpty()) {
            throw new ConfigException("no methods: give --methods or method.list");
        }
        List<String> seen = new ArrayList<>();
        for (String m : methods) {
            AlgorithmSpec spec = AlgorithmSpec.parse(m);
            if (seen.contains(spec.text())) {
                throw new ConfigException("method '" + m + "' is listed twice");
            }
            seen.add(spec.text());
            AlgorithmRegistry.create(spec.withDefaults(params.get(spec.name())));
        }
        List<Long> seeds = o.seeds() != null ? o.seeds() : seedsOf(cfg);
        FederationSettings fed = FederationSettings.from(cfg.federation());
        if (o.rounds() != null) {
            fed = fed.withRounds(o.rounds());
        }
        TrainingSettings training = TrainingSettings.from(cfg.training());
        if (o.localEpochs() != null) {
            training = training.withLocalEpochs(o.localEpochs());
        }
        EvaluationSettings eval = EvaluationSettings.from(cfg.evaluation());
        if (o.folds() != null) {
            eval = eval.withFolds(o.folds());
        }
        eval.validate(fed.rounds());
        if (!eval.reference().isBlank() && !seen.contains(eval.reference())) {
            throw new ConfigException("evaluation.reference '" + eval.reference() + "' is not one of the methods " + seen);
        }
        ModelSettings model = ModelSettings.from(cfg.section("model"));
        Path out = o.out() != null ? o.out() : Path.of("runs", "run-" + java.time.LocalDateTime.now().format(
                java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Overrides origin = new Overrides(o.config() == null ? null : o.config().toAbsolutePath(),
                o.dataRoot() == null ? null : o.dataRoot().toAbsolutePath(), List.copyOf(methods), seeds, fed.rounds(),
                training.localEpochs(), eval.folds(), out);
        return new SimulationPlan(cfg, List.copyOf(methods), params, seeds, fed, training, eval, model, out, origin);
    }

    private static List<Long> seedsOf(FederationConfig cfg) {
        Object s = cfg.raw().get("seeds");
        if (s == null) {
            return List.of(cfg.seed());
        }
        List<Long> out = new ArrayList<>();
        for (Object x : listOf(s, "seeds")) {
            try {
                out.add(Long.parseLong(String.valueOf(x).trim()));
            } catch (NumberFormatException e) {
                throw new ConfigException("seeds must be a list of integers, got '" + x + "'");
            }
        }
        return out;
    }

    private static List<String> listOf(Object v, String key) {
        List<String> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (v instanceof List<?> l) {
            l.forEach(x -> out.add(String.valueOf(x)));
        } else {
            for (String s : String.valueOf(v).split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
        }
        if (out.isEmpty()) {
            throw new ConfigException(key + " is empty");
        }
        return out;
    }
}
