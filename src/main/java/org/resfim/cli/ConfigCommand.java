package org.resfim.cli;

import org.resfim.algorithms.AlgorithmRegistry;
import org.resfim.config.ConfigKey;
import org.resfim.data.FederationConfig;
import org.resfim.federation.EvaluationSettings;
import org.resfim.federation.FederationSettings;
import org.resfim.federation.TrainingSettings;
import org.resfim.run.ModelSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/** {@code resfim config explain}: every configuration key with its default and meaning, from the code's own key lists. */
@Command(name = "config", description = "Explain the configuration file's keys.", subcommands = {ConfigCommand.Explain.class})
public final class ConfigCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The list printed by {@code explain}. */
    @Command(name = "explain", description = {
            "List every configuration key with its default and meaning, grouped by section.",
            "Generated from the keys each component declares (the same lists that refuse unknown keys), so it always",
            "matches this build."})
    public static final class Explain implements Callable<Integer> {
        @Option(names = "--markdown", description = "Print Markdown tables instead of plain text.")
        boolean markdown;
        @Option(names = "--section", paramLabel = "NAME", description = "Only the sections whose name starts with NAME (e.g. data, method.pfl-resfim).")
        String section;

        @Override
        public Integer call() {
            Map<String, List<ConfigKey>> groups = sections();
            if (section != null) {
                groups.keySet().removeIf(k -> !k.startsWith(section));
                if (groups.isEmpty()) {
                    throw new IllegalArgumentException("no section starts with '" + section + "'; sections: " + String.join(", ", sections().keySet()));
                }
            }
            System.out.print(markdown ? markdown(groups) : text(groups));
            return 0;
        }
    }

    /** Name shown for the keys at the top of the file. */
    public static final String TOP_LEVEL = "(top level)";

    /**
     * Every documented key grouped by the section it is written in: top level, data (and its sub-sections),
     * federation, method (the list, then one section per algorithm), training, evaluation, model.
     */
    public static Map<String, List<ConfigKey>> sections() {
        Map<String, List<ConfigKey>> g = new LinkedHashMap<>();
        for (ConfigKey k : FederationConfig.documentedKeys()) {
            g.computeIfAbsent(k.section().isEmpty() ? TOP_LEVEL : k.section(), x -> new ArrayList<>()).add(k);
        }
        put(g, FederationSettings.KEYS);
        put(g, org.resfim.privacy.PrivacySettings.TOP_KEYS);
        put(g, org.resfim.privacy.PrivacySettings.DP_KEYS);
        put(g, org.resfim.privacy.PrivacySettings.STYLE_KEYS);
        g.computeIfAbsent("method", x -> new ArrayList<>()).add(new ConfigKey("method", "list", "required (--methods replaces it)",
                "methods to compare, e.g. [pfl-resfim, fedavg, local]; the first is the reference; a name may carry parameters "
                        + "(fedprox:mu=0.1); known: " + String.join(", ", AlgorithmRegistry.names())));
        for (String name : AlgorithmRegistry.names()) {
            g.put("method." + name, new ArrayList<>());
        }
        for (ConfigKey k : AlgorithmRegistry.keys()) {
            g.computeIfAbsent("method." + k.section(), x -> new ArrayList<>()).add(k);
        }
        put(g, TrainingSettings.KEYS);
        put(g, EvaluationSettings.KEYS);
        put(g, ModelSettings.KEYS);
        AlgorithmRegistry.topLevelSections().forEach(s -> put(g, s.keys()));
        return g;
    }

    private static void put(Map<String, List<ConfigKey>> g, List<ConfigKey> keys) {
        for (ConfigKey k : keys) {
            g.computeIfAbsent(k.section(), x -> new ArrayList<>()).add(k);
        }
    }

    /** Top-level names the configuration accepts that no component reads yet. */
    public static List<String> reservedSections() {
        TreeSet<String> r = new TreeSet<>(FederationConfig.SECTIONS);
        for (String s : sections().keySet()) {
            r.remove(s.contains(".") ? s.substring(0, s.indexOf('.')) : s);
        }
        sections().getOrDefault(TOP_LEVEL, List.of()).forEach(k -> r.remove(k.name()));
        return new ArrayList<>(r);
    }

    private static String header(String section, List<ConfigKey> keys) {
        if (section.startsWith("method.")) {
            String name = section.substring("method.".length());
            return section + ": " + AlgorithmRegistry.summary(name) + (keys.isEmpty() ? ""
                    : " (set as method." + name + ": {key: value} or on the method itself, " + name + ":key=value)");
        }
        if (section.endsWith("[]")) {
            return section + " (keys of each list entry)";
        }
        return section;
    }

    static String text(Map<String, List<ConfigKey>> groups) {
        StringBuilder sb = new StringBuilder("Configuration keys (YAML). Keys not listed are refused; top-level keys starting with x- are free.\n");
        groups.forEach((section, keys) -> {
            sb.append('\n').append(header(section, keys)).append('\n');
            if (keys.isEmpty()) {
                sb.append("  (no options)\n");
            }
            int nw = 4;
            int dw = 7;
            for (ConfigKey k : keys) {
                nw = Math.max(nw, k.name().length());
                dw = Math.max(dw, Math.min(28, value(k).length()));
            }
            for (ConfigKey k : keys) {
                sb.append("  ").append(pad(k.name(), nw)).append("  ").append(pad(value(k), dw)).append("  ").append(k.description()).append('\n');
            }
        });
        appendReserved(sb);
        return sb.toString();
    }

    static String markdown(Map<String, List<ConfigKey>> groups) {
        StringBuilder sb = new StringBuilder();
        groups.forEach((section, keys) -> {
            sb.append("\n### ").append(header(section, keys)).append("\n\n");
            if (keys.isEmpty()) {
                sb.append("No options.\n");
                return;
            }
            sb.append("| key | default | meaning |\n|---|---|---|\n");
            for (ConfigKey k : keys) {
                sb.append("| `").append(k.name()).append("` | `").append(value(k).replace("|", "\\|")).append("` | ")
                        .append(k.description().replace("|", "\\|")).append(" |\n");
            }
        });
        appendReserved(sb);
        return sb.toString();
    }

    private static void appendReserved(StringBuilder sb) {
        List<String> reserved = reservedSections();
        if (!reserved.isEmpty()) {
            sb.append("\nAccepted at the top level but not read by this build: ").append(String.join(", ", reserved)).append(".\n");
        }
    }

    static String value(ConfigKey k) {
        Object v = k.defaultValue();
        if (v == null) {
            return "none";
        }
        if (v instanceof String s && s.isEmpty()) {
            return "\"\"";
        }
        return String.valueOf(v);
    }

    private static String pad(String s, int w) {
        return s.length() >= w ? s : s + " ".repeat(w - s.length());
    }
}
