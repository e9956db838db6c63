package org.resfim.run;

import org.resfim.algorithms.AlgorithmRegistry;
import org.resfim.algorithms.AlgorithmSpec;
import org.resfim.config.ConfigException;
import org.resfim.config.KeyException;
import org.resfim.config.OptionException;
import org.resfim.config.Origin;
import org.resfim.config.Suggest;
import org.resfim.config.TopLevelSection;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Builds a {@link RunPlan} from a configuration file (or the embedded default) and command-line overrides. */
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

    public static RunPlan build(Overrides o) {
        FederationConfig cfg = o.config() == null
                ? FederationConfig.parse(defaultYaml(), Path.of("").toAbsolutePath(), "<built-in synthetic default>")
                : FederationConfig.load(o.config());
        if (o.dataRoot() != null) {
            cfg = cfg.withDataRoot(o.dataRoot());
        }
        Settings s = settings(cfg, o, true);
        Path out = o.out() != null ? o.out() : Path.of("runs", "run-" + java.time.LocalDateTime.now().format(
                java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Overrides origin = new Overrides(o.config() == null ? null : o.config().toAbsolutePath(),
                o.dataRoot() == null ? null : o.dataRoot().toAbsolutePath(), List.copyOf(s.methods), s.seeds, s.fed.rounds(),
                s.training.localEpochs(), s.eval.folds(), out);
        return new RunPlan(cfg, List.copyOf(s.methods), s.params, s.seeds, s.fed, s.training, s.eval, s.model, out, origin);
    }

    /**
     * Checks every section of a configuration that is not {@code data:} (the settings sections and the registered
     * algorithms' own, {@link org.resfim.data.FederationConfig#otherSections}) as {@link #build} reads them, without options; a configuration
     * without {@code method.list} passes (the methods can come from {@code --methods}).
     *
     * @throws ConfigException naming the file and the key at fault
     */
    public static void check(FederationConfig cfg) {
        settings(cfg, new Overrides(null, null, null, null, null, null, null, null), false);
    }

    private record Settings(List<String> methods, Map<String, Map<String, Object>> params, List<Long> seeds, FederationSettings fed,
                            TrainingSettings training, EvaluationSettings eval, ModelSettings model) {
    }

    private static Settings settings(FederationConfig cfg, Overrides o, boolean needMethods) {
        String file = cfg.source();
        String at = file + ": ";
        Origin origin = Origin.file(file);
        Map<String, Object> fedSection = new LinkedHashMap<>(cfg.federation());
        if (o.rounds() != null) {
            fedSection.put("rounds", o.rounds());
            origin = origin.withOption("federation.rounds", "--rounds");
        }
        Map<String, Object> trainingSection = new LinkedHashMap<>(cfg.training());
        if (o.localEpochs() != null) {
            trainingSection.put("local_epochs", o.localEpochs());
            origin = origin.withOption("training.local_epochs", "--local-epochs");
        }
        Map<String, Object> evalSection = new LinkedHashMap<>(cfg.evaluation());
        if (o.folds() != null) {
            evalSection.put("folds", o.folds());
            origin = origin.withOption("evaluation.folds", "--folds");
        }
        FederationSettings fed = FederationSettings.from(fedSection, origin);
        org.resfim.privacy.PrivacySettings privacy = org.resfim.privacy.PrivacySettings.from(cfg.section("privacy"), origin);
        try {
            fed = fed.withPrivacy(privacy); // refuses a combination of federation.* and privacy.* that does not hold
        } catch (KeyException e) {
            throw e;
        } catch (ConfigException e) {
            throw new ConfigException(at + e.getMessage());
        }
        TrainingSettings training = TrainingSettings.from(trainingSection, origin);
        EvaluationSettings eval = EvaluationSettings.from(evalSection, origin);
        eval.validate(fed.rounds(), origin);
        ModelSettings model = ModelSettings.from(cfg.section("model"), origin);
        int multiple = model.unet(cfg.channels()).sizeMultiple();
        if (cfg.imageHeight() % multiple != 0 || cfg.imageWidth() % multiple != 0) {
            throw new ConfigException(at + "data.image_size " + cfg.imageHeight() + "x" + cfg.imageWidth() + " is not a multiple of "
                    + multiple + ", which a U-Net of model.depth = " + model.depth() + " needs (2^(depth-1))");
        }

        // method sections: where each parameter was written, so that an error names the file and key
        Map<String, Object> methodSection = new LinkedHashMap<>(cfg.method());
        Object listed = methodSection.remove("list");
        Map<String, Map<String, Object>> params = new LinkedHashMap<>();
        Map<String, Map<String, String>> paths = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : methodSection.entrySet()) {
            if (!AlgorithmRegistry.names().contains(e.getKey())) {
                String near = Suggest.nearest(e.getKey(), AlgorithmRegistry.names());
                throw new ConfigException(at + "unknown key 'method." + e.getKey() + "'" + (near == null ? "" : " (did you mean 'method." + near + "'?)")
                        + "; method: takes 'list' and one section per method: " + String.join(", ", AlgorithmRegistry.names()));
            }
            if (!(e.getValue() instanceof Map)) {
                throw new ConfigException(at + "method." + e.getKey() + " must be a mapping of that method's parameters");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) e.getValue();
            params.put(e.getKey(), m);
            Map<String, String> where = new LinkedHashMap<>();
            m.keySet().forEach(k -> where.put(k, "method." + e.getKey() + "." + k));
            paths.put(e.getKey(), where);
        }
        // an algorithm's own top-level sections (declared with its registration) give defaults of its parameters
        for (String name : AlgorithmRegistry.names()) {
            Map<String, Object> fromSections = new LinkedHashMap<>();
            Map<String, String> where = new LinkedHashMap<>();
            for (TopLevelSection section : AlgorithmRegistry.sections(name)) {
                section.read(cfg.section(section.name()), origin, fromSections, where);
            }
            if (!fromSections.isEmpty()) {
                fromSections.putAll(params.getOrDefault(name, Map.of()));
                where.putAll(paths.getOrDefault(name, Map.of()));
                params.put(name, fromSections);
                paths.put(name, where);
            }
        }
        String listedBy = o.methods() != null ? "--methods " : at + "method.list entry ";
        List<String> methods = AlgorithmSpec.joinList(o.methods() != null ? o.methods() : listOf(listed, "method.list", at));
        if (methods.isEmpty() && needMethods) {
            throw new ConfigException(at + "no methods: give --methods or method.list");
        }
        // every method section is checked, listed or not: a typo in one is an error, not a silent default
        // (a listed method's section is checked below with the spec's own parameters, which can make a combination valid:
        // resfim: {residual: relative} with --methods pfl-resfim:variant=resfim)
        Set<String> listedNames = new HashSet<>();
        for (String m : methods) {
            try {
                listedNames.add(AlgorithmSpec.parse(m).name());
            } catch (ConfigException ex) {
                // refused below, naming the spec
            }
        }
        for (Map.Entry<String, Map<String, Object>> e : params.entrySet()) {
            if (listedNames.contains(e.getKey())) {
                continue;
            }
            try {
                AlgorithmRegistry.create(new AlgorithmSpec(e.getKey(), e.getKey(), e.getValue()));
            } catch (KeyException ex) {
                throw inFile(at, ex, paths.get(e.getKey()));
            } catch (ConfigException ex) {
                throw new ConfigException(at + "method." + e.getKey() + ": " + ex.getMessage());
            }
        }

        List<String> seen = new ArrayList<>();
        for (String m : methods) {
            AlgorithmSpec spec;
            try {
                spec = AlgorithmSpec.parse(m);
            } catch (ConfigException ex) {
                throw new ConfigException(listedBy + "'" + m + "': " + ex.getMessage());
            }
            if (seen.contains(spec.text())) {
                throw new ConfigException(listedBy + "'" + m + "': the method is listed twice");
            }
            seen.add(spec.text());
            // a combination that does not hold is the file's when the spec adds nothing to its section
            boolean fromFile = spec.params().isEmpty() && AlgorithmRegistry.names().contains(spec.name());
            String where = fromFile ? at + "method." + spec.name() : listedBy + "'" + m + "'";
            org.resfim.federation.Algorithm algorithm;
            try {
                algorithm = AlgorithmRegistry.create(spec.withDefaults(params.get(spec.name())));
            } catch (KeyException ex) {
                if (!spec.params().containsKey(ex.key())) {
                    throw inFile(at, ex, paths.getOrDefault(spec.name(), Map.of()));
                }
                throw new ConfigException(listedBy + "'" + m + "': " + (ex.unknown()
                        ? spec.name() + " has no parameter '" + ex.key() + "'" + (ex.suggestion() == null ? "" : " (did you mean '" + ex.suggestion() + "'?)")
                        + parametersOf(spec.name())
                        : ex.key() + " " + ex.problem()));
            } catch (ConfigException ex) {
                throw new ConfigException(where + ": " + ex.getMessage());
            }
            String unread = algorithm.unreadSetting();
            if (unread != null) {
                throw new ConfigException((fromFile ? at + spec.name() : listedBy + "'" + m + "'") + ": " + unread + "; it would change nothing");
            }
        }
        if (fed.aggregation().privacy().active() && !fed.aggregation().privacy().styleActive()) {
            for (String m : methods) {
                AlgorithmSpec spec = AlgorithmSpec.parse(m);
                if (AlgorithmRegistry.create(spec.withDefaults(params.get(spec.name()))).setupBound(cfg.channels(), cfg.imageHeight(),
                        cfg.imageWidth()).tensors() > 0) {
                    throw new ConfigException(at + "method '" + m + "' shares each site's style windows at SETUP, which privacy.dp (model"
                            + " updates) does not cover: set privacy.style.clip and privacy.style.noise_multiplier (the Gaussian mechanism on"
                            + " the windows, its epsilon reported apart), or a variant that shares no style");
                }
            }
        }
        List<Long> seeds = o.seeds() != null ? o.seeds() : seedsOf(cfg, at);
        if (seeds.isEmpty()) {
            throw new OptionException("--seeds is empty");
        }
        if (!eval.reference().isBlank() && !seen.contains(eval.reference()) && needMethods) {
            throw new ConfigException(at + "evaluation.reference '" + eval.reference() + "' is not one of the methods " + seen);
        }
        return new Settings(methods, params, seeds, fed, training, eval, model);
    }

    /** An error in a method's parameters from the configuration file, naming the key where it is written. */
    private static ConfigException inFile(String at, KeyException ex, Map<String, String> paths) {
        String path = paths.getOrDefault(ex.key(), "method." + ex.section() + "." + ex.key());
        if (!ex.unknown()) {
            return new ConfigException(at + path + " " + ex.problem());
        }
        String suggestion = null;
        if (ex.suggestion() != null) {
            // in the method's own section, or in the algorithm's top-level section the mistyped key was written in
            suggestion = path.startsWith("method.") ? "method." + ex.section() + "." + ex.suggestion() : ex.suggestion();
        }
        return new ConfigException(at + "unknown key '" + path + "'" + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)"));
    }

    /** "; its parameters: a, b" for a method with parameters, else "; it has none". */
    private static String parametersOf(String method) {
        List<String> keys = new ArrayList<>(AlgorithmRegistry.defaults(method).keySet());
        return keys.isEmpty() ? "; it takes none" : "; its parameters: " + String.join(", ", keys);
    }

    private static List<Long> seedsOf(FederationConfig cfg, String at) {
        Object s = cfg.raw().get("seeds");
        if (s == null) {
            return List.of(cfg.seed());
        }
        List<Long> out = new ArrayList<>();
        for (Object x : listOf(s, "seeds", at)) {
            try {
                out.add(Long.parseLong(String.valueOf(x).trim()));
            } catch (NumberFormatException e) {
                throw new ConfigException(at + "seeds must be a list of integers, got '" + x + "'");
            }
        }
        return out;
    }

    private static List<String> listOf(Object v, String key, String at) {
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
            throw new ConfigException(at + key + " is empty");
        }
        return out;
    }
}
