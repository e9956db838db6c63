package org.resfim.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * {@code resfim data check}: loads every site of a configuration and reports, per site, the sample counts per
 * split, stored image sizes and channels, stored mask values, foreground fraction and field-of-view coverage.
 * Any problem (a site that fails to load, no training or test samples, no foreground at all) makes the result
 * not {@link Result#ok() ok}; a command exits non-zero on it.
 */
public final class DataCheck {
    /**
     * @param report   the text to print
     * @param problems what makes the data unusable as configured (each naming the site, and the file where one is
     *                 at fault)
     * @param warnings what looks suspicious but can be used
     * @param sites    the sites that loaded
     */
    public record Result(String report, List<String> problems, List<String> warnings, List<SiteDataset> sites) {
        public Result {
            problems = List.copyOf(problems);
            warnings = List.copyOf(warnings);
            sites = List.copyOf(sites);
        }

        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private DataCheck() {
    }

    /**
     * Checks a configuration file; a configuration that cannot be read or parsed is reported as a problem.
     *
     * @param dataRoot replaces {@code data.root} ({@code --data-root}), or null
     */
    public static Result run(java.nio.file.Path configFile, java.nio.file.Path dataRoot) {
        return run(configFile, dataRoot, null);
    }

    /**
     * As {@link #run(java.nio.file.Path, java.nio.file.Path)}, and first checks the configuration's other sections
     * with {@code otherSections} (which throws, naming the file and key, on the first problem); null: data only.
     */
    public static Result run(java.nio.file.Path configFile, java.nio.file.Path dataRoot, Consumer<FederationConfig> otherSections) {
        FederationConfig config;
        try {
            config = FederationConfig.load(configFile);
        } catch (DataException | org.resfim.config.ConfigException e) {
            List<String> problems = List.of(e.getMessage());
            return new Result("data check: " + configFile + "\n" + summary(List.of(), problems), problems, List.of(), List.of());
        }
        config = dataRoot == null ? config : config.withDataRoot(dataRoot);
        List<String> problems = new ArrayList<>();
        String checked = null;
        if (otherSections != null) {
            try {
                otherSections.accept(config);
                checked = "ok";
            } catch (RuntimeException e) {
                problems.add(e.getMessage());
                checked = "problem 1 below";
            }
        }
        return run(config, problems, checked);
    }

    public static Result run(FederationConfig config) {
        return run(config, new ArrayList<>(), null);
    }

    /** {@code problems}: found before the data were looked at; {@code otherSections}: what their check found, or null when not checked. */
    private static Result run(FederationConfig config, List<String> problems, String otherSections) {
        StringBuilder out = new StringBuilder();
        List<String> warnings = new ArrayList<>();
        List<SiteDataset> loaded = new ArrayList<>();
        out.append(String.format(Locale.ROOT, "data check: %s%n  %s, training size %dx%d, %d channel%s, seed %d,"
                        + " split %.0f/%.0f/%.0f%n", config.source(),
                config.isSynthetic() ? "synthetic federation, " + config.synthetic().sites() + " sites"
                        : config.sites().size() + " site" + (config.sites().size() == 1 ? "" : "s"),
                config.imageHeight(), config.imageWidth(), config.channels(), config.channels() == 1 ? "" : "s",
                config.seed(), 100 * config.splitRatios().train(), 100 * config.splitRatios().val(),
                100 * config.splitRatios().test()));
        if (otherSections != null) {
            out.append("  other sections (").append(String.join(", ", FederationConfig.otherSections())).append("): ").append(otherSections)
                    .append('\n');
        }
        if (config.isSynthetic()) {
            try {
                for (SiteDataset s : FederationData.load(config)) {
                    loaded.add(s);
                    describe(s, null, out, problems, warnings);
                }
            } catch (DataException | org.resfim.config.ConfigException e) {
                problems.add(e.getMessage());
                out.append(String.format(Locale.ROOT, "%n  FAILED (problem %d below)%n", problems.size()));
            }
        } else {
            List<SplitManifest> manifests = null;
            try {
                manifests = config.manifest() == null ? null : SplitManifest.read(config.manifest());
            } catch (DataException | org.resfim.config.ConfigException e) {
                problems.add(e.getMessage());
            }
            for (SiteConfig sc : config.sites()) {
                try {
                    SiteDataset s = FederationData.loadSite(config, sc, manifests);
                    loaded.add(s);
                    describe(s, sc, out, problems, warnings);
                } catch (DataException | org.resfim.config.ConfigException e) {
                    problems.add("site " + sc.name() + ": " + e.getMessage());
                    out.append(String.format(Locale.ROOT, "%nsite %s  (%s)%n  FAILED (problem %d below)%n", sc.name(),
                            config.siteFolder(sc), problems.size()));
                }
            }
        }
        out.append(summary(warnings, problems));
        return new Result(out.toString(), problems, warnings, loaded);
    }

    /** The warnings and the numbered problems, each once. */
    private static String summary(List<String> warnings, List<String> problems) {
        StringBuilder out = new StringBuilder("\n");
        if (!warnings.isEmpty()) {
            out.append("warnings:\n");
            for (String w : warnings) {
                out.append("  - ").append(w).append('\n');
            }
        }
        if (problems.isEmpty()) {
            out.append("problems: none\n");
        } else {
            out.append("problems (").append(problems.size()).append("):\n");
            for (int i = 0; i < problems.size(); i++) {
                out.append("  ").append(i + 1).append(". ").append(problems.get(i)).append('\n');
            }
        }
        return out.toString();
    }

    private static void describe(SiteDataset s, SiteConfig sc, StringBuilder out, List<String> problems,
                                 List<String> warnings) {
        SplitManifest m = s.manifest();
        out.append(String.format(Locale.ROOT, "%nsite %s  (%s)%n", s.name(), m == null ? "" : m.root()));
        Set<String> patients = new HashSet<>();
        for (Sample x : s.all()) {
            patients.add(x.patientId());
        }
        boolean official = sc != null && sc.sources().stream().anyMatch(src -> src.split() != null);
        int files = m == null ? s.size() : m.entries().size();
        out.append(String.format(Locale.ROOT, "  samples      %d = train %d / val %d / test %d  (%d patient%s%s%s)%n",
                s.size(), s.train().size(), s.val().size(), s.test().size(), patients.size(),
                patients.size() == 1 ? "" : "s", files != s.size() ? ", from " + files + " volumes" : "",
                official ? ", official split declared" : ""));
        if (m != null) {
            Map<String, Integer> sizes = new TreeMap<>();
            Map<Integer, Integer> channels = new TreeMap<>();
            TreeSet<Integer> values = new TreeSet<>();
            Map<String, String> hashes = new HashMap<>();
            for (SplitManifest.Entry e : m.entries()) {
                sizes.merge(e.width() + "x" + e.height(), 1, Integer::sum);
                channels.merge(e.channels(), 1, Integer::sum);
                values.addAll(e.maskValues());
                if (e.imageSha256() != null) {
                    String other = hashes.put(e.imageSha256(), e.id());
                    if (other != null) {
                        warnings.add("site " + s.name() + ": " + e.image() + " has the same content as " + other);
                    }
                }
            }
            out.append("  image sizes  ").append(counts(sizes)).append('\n');
            out.append("  channels     ").append(counts(channels)).append('\n');
            int[] v = values.stream().mapToInt(Integer::intValue).toArray();
            out.append("  mask values  ").append(LabelRule.describeValues(v)).append(" stored");
            if (sc != null) {
                out.append(", rule ").append(sc.label().signature());
            }
            out.append('\n');
        }
        long withFov = s.all().stream().filter(x -> x.fov() != null).count();
        out.append(String.format(Locale.ROOT, "  fov          %d of %d samples%n", withFov, s.size()));
        double sum = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        TreeSet<Float> labels = new TreeSet<>();
        for (Sample x : s.all()) {
            double f = x.foregroundFraction();
            sum += f;
            min = Math.min(min, f);
            max = Math.max(max, f);
            for (float l : x.mask()) {
                if (labels.size() < 64) {
                    labels.add(l);
                }
            }
        }
        double mean = s.size() == 0 ? 0 : sum / s.size();
        out.append(String.format(Locale.ROOT, "  foreground   %.1f%% of pixels at %dx%d (min %.1f%%, max %.1f%%);"
                        + " labels %s%n", 100 * mean, s.size() == 0 ? 0 : s.height(), s.size() == 0 ? 0 : s.width(),
                100 * (s.size() == 0 ? 0 : min), 100 * max, labels));
        if (s.train().isEmpty()) {
            problems.add("site " + s.name() + ": no training samples");
        }
        if (s.test().isEmpty()) {
            problems.add("site " + s.name() + ": no test samples");
        }
        if (s.val().isEmpty()) {
            warnings.add("site " + s.name() + ": no validation samples (too few patients for the val ratio):"
                    + " a run takes its test scores and model at the last round");
        }
        if (s.size() > 0 && max == 0) {
            problems.add("site " + s.name() + ": no foreground in any mask — check the label rule (threshold, values,"
                    + " invert)");
        } else if (mean > 0.6) {
            warnings.add(String.format(Locale.ROOT, "site %s: foreground covers %.0f%% of pixels on average — is the"
                    + " label inverted (label.invert)?", s.name(), 100 * mean));
        }
        for (Sample x : s.all()) {
            if (x.foregroundFraction() == 0 && max > 0) {
                warnings.add("site " + s.name() + ": " + x.sourcePath() + " has no foreground at training size");
            }
        }
    }

    private static <K> String counts(Map<K, Integer> m) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<K, Integer> e : m.entrySet()) {
            parts.add(e.getKey() + " (" + e.getValue() + ")");
        }
        return String.join(", ", parts);
    }
}
