package org.resfim.cli;

import org.junit.jupiter.api.Test;
import org.resfim.algorithms.AlgorithmRegistry;
import org.resfim.algorithms.PflResFim;
import org.resfim.config.ConfigException;
import org.resfim.config.ConfigKey;
import org.resfim.config.Origin;
import org.resfim.config.Section;
import org.resfim.config.Spelled;
import org.resfim.config.Suggest;
import org.resfim.config.TopLevelSection;
import org.resfim.data.FederationConfig;
import org.resfim.fisher.PartitionConfig;
import org.resfim.fisher.Residual;
import org.resfim.run.ConfigSections;
import org.resfim.run.Plans;
import org.resfim.spectral.StyleConfig;
import org.resfim.state.Aggregator;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The one configuration mechanism: keys declared once, one suggester, algorithms declaring their own sections. */
class ConfigMechanismTest {
    private static final String TINY = "data: {synthetic: {sites: 2, samples: 4, size: 32}}\nmethod: {list: [pfl-resfim, fedavg]}\n";

    private static RuntimeException refused(String yaml) {
        return assertThrows(RuntimeException.class, () -> Plans.check(FederationConfig.parse(yaml, Path.of("."), "c.yaml")));
    }

    @Test
    void aKeyDeclaredOnceIsDocumentedAndParsedWithItsDefault() {
        String text = ConfigCommand.text(ConfigCommand.sections());
        for (List<ConfigKey> keys : List.of(StyleConfig.KEYS, PartitionConfig.KEYS)) {
            for (ConfigKey k : keys) {
                // documented in its own top-level section and as a parameter of the method that owns it
                assertTrue(ConfigCommand.sections().get(k.section()).contains(k), k.fullName());
                assertTrue(ConfigCommand.sections().get("method." + PflResFim.NAME).stream()
                        .anyMatch(c -> c.name().equals(k.fullName()) && c.description().equals(k.description())
                                && c.defaultValue().equals(k.defaultValue())), k.fullName());
                assertTrue(text.contains(k.description()), k.fullName());
            }
        }
        // the declared defaults are the values parsed when nothing is written
        Map<String, Object> declared = new LinkedHashMap<>();
        StyleConfig.KEYS.forEach(k -> declared.put(k.fullName(), k.defaultValue()));
        assertEquals(declared, StyleConfig.defaults().toMap());
        PartitionConfig p = PartitionConfig.defaults();
        assertEquals(List.of(p.variant().key(), p.residual().key(), p.scope().key(), p.rho(), p.eps(), p.ties().key(), p.budget().key(), p.gate()),
                PartitionConfig.KEYS.stream().map(ConfigKey::defaultValue).toList());
        // and a value written under the declared name is parsed, from the top-level section and from a method spec
        assertEquals(0.05, StyleConfig.fromParameters(Map.of("style.beta", 0.05, "rho", 0.1)).beta());
        assertEquals(0.1, ((PflResFim) AlgorithmRegistry.create("pfl-resfim:rho=0.1")).partition().rho());
        assertEquals(0.05, ((PflResFim) AlgorithmRegistry.create("pfl-resfim:style.beta=0.05")).style().beta());
    }

    @Test
    void anUnknownKeyGetsOneSuggestionFromTheOneSuggester() {
        // the data section (ConfigNode), a settings section (Section), an algorithm's top-level section and the top level
        String data = assertThrows(ConfigException.class, () -> FederationConfig.parse("data: {image_sise: 64}\n", Path.of("."), "c.yaml")).getMessage();
        assertTrue(data.startsWith("c.yaml: unknown key 'image_sise' in 'data' — did you mean '"
                + Suggest.nearest("image_sise", List.of("root", "image_size", "channels")) + "'?"), data);
        assertEquals("c.yaml: unknown key 'resfim.rhoo' (did you mean 'resfim.rho'?)", refused(TINY + "resfim: {rhoo: 0.1}\n").getMessage());
        assertEquals("c.yaml: unknown key 'bn.stat' (did you mean 'bn.stats'?)", refused(TINY + "bn: {stat: shared}\n").getMessage());
        String top = assertThrows(ConfigException.class, () -> FederationConfig.parse("stlye: {beta: 0.05}\n", Path.of("."), "c.yaml")).getMessage();
        assertTrue(top.contains("unknown key 'stlye' at the top level — did you mean 'style'?"), top);
        // the same word gets the same answer wherever it is mistyped
        ConfigException section = assertThrows(ConfigException.class,
                () -> new Section("s", Map.of("learning_rate", 1), List.of(new ConfigKey("s", "lr", 1, "")), Origin.file("c.yaml")));
        assertEquals("c.yaml: unknown key 's.learning_rate' (did you mean 's.lr'?)", section.getMessage());
        assertEquals("lr", Suggest.nearest("learning_rate", List.of("lr", "batch_size")));
    }

    @Test
    void anAlgorithmsOwnSectionsAreAcceptedBecauseItRegistersThem() {
        Set<String> sections = new LinkedHashSet<>();
        AlgorithmRegistry.topLevelSections().forEach(s -> sections.add(s.name()));
        assertEquals(Set.of("style", "resfim", "bn"), sections, "pfl-resfim declares METHOD.md's sections");
        assertEquals(AlgorithmRegistry.sections(PflResFim.NAME), AlgorithmRegistry.topLevelSections(), "no other algorithm owns one");
        for (String name : AlgorithmRegistry.names()) {
            if (!name.equals(PflResFim.NAME)) {
                assertTrue(AlgorithmRegistry.sections(name).isEmpty(), name);
            }
        }
        // the file accepts exactly the data package's keys, the settings sections and the registered algorithms' sections
        Set<String> expected = new LinkedHashSet<>(List.of("name", "description", "seed", "seeds", "data"));
        expected.addAll(ConfigSections.SETTINGS);
        expected.addAll(sections);
        assertEquals(expected, FederationConfig.SECTIONS);
        assertEquals(new LinkedHashSet<>(new ConfigSections().sections()), new LinkedHashSet<>(List.copyOf(FederationConfig.SECTIONS).subList(5, expected.size())));
        // a method's name is not a top-level section: its parameters go under method:
        String m = assertThrows(ConfigException.class, () -> FederationConfig.parse("fedprox: {mu: 0.1}\n", Path.of("."), "c.yaml")).getMessage();
        assertTrue(m.contains("unknown key 'fedprox' at the top level"), m);
        // the section's values become the algorithm's parameters (under the method section's, which win), listed or not
        Plans.check(FederationConfig.parse(TINY + "style: {beta: 0.05}\nbn: {stats: shared}\nresfim: {variant: resfim}\n", Path.of("."), "c.yaml"));
        assertTrue(refused(TINY + "style: {beta: 0.05}\n").getMessage().startsWith("c.yaml: pfl-resfim: style.beta = 0.05 shapes the style windows,"
                + " and with resfim.variant = fim (the default) none is shared"), "own Fisher (the default) shares no window: β would change nothing");
        Plans.check(FederationConfig.parse(TINY.replace("pfl-resfim, ", "") + "style: {beta: 0.05}\n", Path.of("."), "c.yaml"));
        assertEquals("c.yaml: method.pfl-resfim: pfl-resfim: style.beta must be in (0, 0.5], got 0.7",
                refused(TINY + "style: {beta: 0.7}\n").getMessage());
        Map<String, Object> params = new LinkedHashMap<>();
        Map<String, String> at = new LinkedHashMap<>();
        TopLevelSection bn = AlgorithmRegistry.sections(PflResFim.NAME).get(2);
        bn.read(Map.of("stats", "shared"), Origin.NONE, params, at);
        assertEquals(Map.of("bn_stats", "shared"), params);
        assertEquals(Map.of("bn_stats", "bn.stats"), at);
    }

    @Test
    void anEnumValuedKeyListsItsSpellings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Spelled.parse(Residual.class, "resfim.residual", "squared"));
        assertEquals("resfim.residual must be absolute, relative, max, log-ratio or direction, got 'squared'", e.getMessage());
        assertEquals(Residual.LOG_RATIO, Spelled.parse(Residual.class, "resfim.residual", " Log-Ratio "));
        assertEquals(List.of("mean", "median", "trimmed_mean"), Spelled.keys(Aggregator.Kind.class));
        Section s = new Section("federation", Map.of("aggregator", "medain"), List.of(new ConfigKey("federation", "aggregator", "mean", "")),
                Origin.file("c.yaml"));
        ConfigException bad = assertThrows(ConfigException.class, () -> s.getChoice("aggregator", Aggregator.Kind.class));
        assertEquals("c.yaml: federation.aggregator must be one of mean, median, trimmed_mean, got 'medain' (did you mean 'median'?)", bad.getMessage());
        assertEquals(Aggregator.Kind.MEDIAN, new Section("federation", Map.of("aggregator", "median"),
                List.of(new ConfigKey("federation", "aggregator", "mean", ""))).getChoice("aggregator", Aggregator.Kind.class));
    }
}
