package org.resfim.cli;

import org.junit.jupiter.api.Test;
import org.resfim.algorithms.AlgorithmRegistry;
import org.resfim.algorithms.AlgorithmSpec;
import org.resfim.config.ConfigKey;
import org.resfim.data.FederationConfig;
import org.resfim.federation.EvaluationSettings;
import org.resfim.federation.FederationSettings;
import org.resfim.federation.TrainingSettings;
import org.resfim.run.ModelSettings;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

class ConfigCommandTest {

    @Test
    void explainListsEveryDeclaredKeyWithItsDefaultAndMeaning() {
        Cli.Result r = Cli.run("config", "explain");
        assertEquals(0, r.code(), r.err());
        Map<String, List<ConfigKey>> sections = ConfigCommand.sections();
        for (String group : List.of(ConfigCommand.TOP_LEVEL, "data", "data.synthetic", "data.split", "data.preprocess", "data.augment", "data.sites[]",
                "data.sites[].label", "data.sites[].nifti", "data.sites[].sources[]", "federation", "method", "training", "evaluation", "model",
                "privacy", "privacy.dp", "privacy.style")) {
            assertTrue(sections.containsKey(group), group);
        }
        for (String name : AlgorithmRegistry.names()) {
            assertTrue(sections.containsKey("method." + name), name);
            assertTrue(r.out().contains("method." + name + ": " + AlgorithmRegistry.summary(name)), name);
        }
        String text = r.out();
        int keys = 0;
        for (Map.Entry<String, List<ConfigKey>> e : sections.entrySet()) {
            int at = text.indexOf("\n" + e.getKey());
            assertTrue(at >= 0, "section " + e.getKey());
            for (ConfigKey k : e.getValue()) {
                assertTrue(text.indexOf("  " + k.name() + " ", at) > at, k.fullName());
                assertTrue(text.contains(k.description()), k.fullName());
                keys++;
            }
        }
        int declared = FederationConfig.documentedKeys().size() + FederationSettings.KEYS.size() + TrainingSettings.KEYS.size()
                + EvaluationSettings.KEYS.size() + ModelSettings.KEYS.size() + AlgorithmRegistry.keys().size() + 1 // + method.list
                + AlgorithmRegistry.topLevelSections().stream().mapToInt(x -> x.keys().size()).sum() + org.resfim.privacy.PrivacySettings.TOP_KEYS.size()
                + org.resfim.privacy.PrivacySettings.DP_KEYS.size() + org.resfim.privacy.PrivacySettings.STYLE_KEYS.size();
        assertEquals(declared, keys, "every declared key is listed once");
        assertTrue(text.contains("  rounds ") && text.contains("number of communication rounds T"));
    }

    @Test
    void markdownAndSectionFilter() {
        Cli.Result r = Cli.run("config", "explain", "--markdown", "--section", "method.pfl-resfim");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| `resfim.rho` | `0.2` |"), r.out());
        assertFalse(r.out().contains("### training"), r.out());
        r = Cli.run("config", "explain", "--section", "nosuch");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no section starts with 'nosuch'"), r.err());
    }

    /** Every key of the Section-based lists is accepted, with its documented default, by the component that reads it. */
    @Test
    void everyListedKeyIsAcceptedWithItsDefault() {
        Map<List<ConfigKey>, Function<Map<String, Object>, Object>> readers = Map.of(
                FederationSettings.KEYS, FederationSettings::from,
                TrainingSettings.KEYS, TrainingSettings::from,
                EvaluationSettings.KEYS, EvaluationSettings::from,
                ModelSettings.KEYS, ModelSettings::from);
        readers.forEach((keys, read) -> {
            // the defaults alone: every key the component reads is declared (Section refuses undeclared reads)
            assertNotNull(read.apply(Map.of()));
            for (ConfigKey k : keys) {
                assertDoesNotThrow(() -> read.apply(Map.of(k.name(), k.defaultValue())), k.fullName());
            }
        });
        for (String name : AlgorithmRegistry.names()) {
            assertNotNull(AlgorithmRegistry.create(new AlgorithmSpec(name, name, Map.of())), name);
        }
        for (ConfigKey k : AlgorithmRegistry.keys()) {
            Map<String, Object> p = new HashMap<>();
            p.put(k.name(), k.defaultValue());
            assertDoesNotThrow(() -> AlgorithmRegistry.create(new AlgorithmSpec(k.section(), k.section(), p)), "method." + k.fullName());
        }
    }

    /** The data keys: the documented ones are exactly what parsing accepts (documentedKeys() checks), and defaults parse. */
    @Test
    void dataKeysMatchWhatTheParserAccepts() {
        List<ConfigKey> keys = FederationConfig.documentedKeys();
        for (String section : List.of("data.synthetic", "data.split", "data.preprocess", "data.augment")) {
            StringBuilder yaml = new StringBuilder("data:\n  " + section.substring(5) + ":\n");
            for (ConfigKey k : keys) {
                if (k.section().equals(section) && !k.name().equals("seed")) {
                    yaml.append("    ").append(k.name()).append(": ").append(k.defaultValue()).append('\n');
                }
            }
            assertDoesNotThrow(() -> FederationConfig.parse(yaml.toString(), Path.of("."), section), yaml.toString());
        }
        assertThrows(RuntimeException.class, () -> FederationConfig.parse("data:\n  split: {trian: 0.7}\n", Path.of("."), "typo"));
        // every top-level name the parser accepts is explained: nothing is accepted and then ignored
        for (String s : FederationConfig.SECTIONS) {
            boolean explained = ConfigCommand.sections().containsKey(s)
                    || ConfigCommand.sections().get(ConfigCommand.TOP_LEVEL).stream().anyMatch(k -> k.name().equals(s));
            assertTrue(explained, s);
        }
        assertTrue(ConfigCommand.reservedSections().isEmpty(), ConfigCommand.reservedSections().toString());
        assertFalse(Cli.run("config", "explain").out().contains("not read by this build"));
    }
}
