package org.resfim.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A run directory continues only with the settings it started with: an edited configuration file or a
 * build with other method defaults is refused, naming the setting; the same settings continue.
 */
class ContinueSettingsTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @Test
    void changedSettingsAreRefusedNamingTheSetting(@TempDir Path tmp) throws Exception {
        Path cfg = TinyRuns.config(tmp, 2);
        Path out = tmp.resolve("run");
        List<String> methods = List.of("fedavg", "ditto");
        String table = TinyRuns.table(runOnce(cfg, out, methods));
        String resolved = Files.readString(out.resolve("config.resolved.json"));
        assertTrue(resolved.contains("\"method_defaults\""), "the defaults this build applied are recorded");
        assertTrue(resolved.contains("\"lambda\""), "Ditto's λ default is among them:\n" + resolved);

        // the same settings: continues (here: nothing left to do) and keeps the table
        assertEquals(table, TinyRuns.table(runOnce(cfg, out, methods)));

        // the configuration file edited since
        Files.writeString(cfg, TinyRuns.yaml(2).replace("lr: 0.003", "lr: 0.005"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> runOnce(cfg, out, methods));
        assertTrue(e.getMessage().contains(out.toString()) && e.getMessage().contains("0.003 → 0.005"), e.getMessage());
        Files.writeString(cfg, TinyRuns.yaml(2));

        // a build whose Ditto default differs from the one that started the run
        ObjectMapper json = new ObjectMapper();
        ObjectNode doc = (ObjectNode) json.readTree(resolved);
        ((ObjectNode) doc.path("method_defaults").path("ditto")).put("lambda", 0.5);
        Files.writeString(out.resolve("config.resolved.json"), json.writeValueAsString(doc));
        e = assertThrows(IllegalArgumentException.class, () -> runOnce(cfg, out, methods));
        assertTrue(e.getMessage().contains("method_defaults.ditto.lambda: 0.5 → "), e.getMessage());
        assertEquals(table, TinyRuns.table(out), "a refused continuation leaves the results as they were");
    }

    /**
     * config.resolved.json holds the settings under their configuration keys (training.lr, model.norm: batch).
     * A run directory started by a build that wrote them under Java names (learningRate, "BATCH") still continues
     * with the same settings, and is refused, naming the key, with other ones.
     */
    @Test
    void settingsAreWrittenUnderTheirKeysAndRunsWrittenWithJavaNamesStillContinue(@TempDir Path tmp) throws Exception {
        Path cfg = TinyRuns.config(tmp, 2);
        Path out = tmp.resolve("run");
        List<String> methods = List.of("fedavg");
        String table = TinyRuns.table(runOnce(cfg, out, methods));
        ObjectMapper json = new ObjectMapper();
        JsonNode now = json.readTree(out.resolve("config.resolved.json").toFile());
        assertEquals(2, now.path("format").asInt());
        assertEquals(0.003, now.path("training").path("lr").asDouble());
        assertEquals(4, now.path("training").path("batch_size").asInt());
        assertEquals(0.5, now.path("evaluation").path("select_after").asDouble());
        assertEquals("batch", now.path("model").path("norm").asText());
        assertEquals(1.0, now.path("federation").path("sample_fraction").asDouble());
        String text = Files.readString(out.resolve("config.resolved.json"));
        for (String javaName : List.of("learningRate", "selectAfter", "sampleFraction", "BATCH", "lrDecayFactor")) {
            assertFalse(text.contains(javaName), javaName + " in\n" + text);
        }

        // what the build before format 2 wrote: the settings records as Jackson serialises them
        RunPlan plan = Plans.build(TinyRuns.overrides(cfg, out, methods));
        ObjectNode legacy = (ObjectNode) now.deepCopy();
        legacy.remove("format");
        legacy.set("federation", json.valueToTree(plan.federation()));
        ObjectNode training = json.valueToTree(plan.training());
        training.remove("device"); // added after format 2 (#20): the builds that wrote Java names had no device
        legacy.set("training", training);
        legacy.set("evaluation", json.valueToTree(plan.evaluation()));
        legacy.set("model", json.valueToTree(plan.model()));
        assertEquals("BATCH", legacy.path("model").path("norm").asText(), "the old form");
        assertTrue(legacy.path("training").has("learningRate"), "the old form");
        assertEquals(now, RunDirectory.upgrade(legacy), "read back as the current form");
        Files.writeString(out.resolve("config.resolved.json"), json.writeValueAsString(legacy));
        assertEquals(table, TinyRuns.table(runOnce(cfg, out, methods)), "the same settings continue");
        assertEquals(2, json.readTree(out.resolve("config.resolved.json").toFile()).path("format").asInt(), "rewritten in the current form");

        ((ObjectNode) legacy.path("training")).put("learningRate", 0.002);
        Files.writeString(out.resolve("config.resolved.json"), json.writeValueAsString(legacy));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> runOnce(cfg, out, methods));
        assertTrue(e.getMessage().contains("training.lr: 0.002 → 0.003"), e.getMessage());
    }

    @Test
    void runsFromBeforeModelInitWereKaimingAndAnotherInitIsRefused(@TempDir Path tmp) throws Exception {
        ObjectMapper json = new ObjectMapper();
        // both formats without model.init: every such run drew Kaiming fan-out weights
        assertEquals("kaiming-fan-out", RunDirectory.upgrade(json.readTree("{\"model\":{\"width\":4,\"norm\":\"BATCH\"}}"))
                .path("model").path("init").asText());
        assertEquals("kaiming-fan-out", RunDirectory.upgrade(json.readTree("{\"format\":2,\"model\":{\"width\":4}}"))
                .path("model").path("init").asText());
        assertEquals("torch-default", RunDirectory.upgrade(json.readTree("{\"model\":{\"init\":\"TORCH_DEFAULT\"}}"))
                .path("model").path("init").asText());
        // a run started with one initialisation does not continue with another one
        Path cfg = TinyRuns.config(tmp, 2);
        Path out = tmp.resolve("run");
        new Simulation(Plans.build(TinyRuns.overrides(cfg, out, List.of("fedavg"))), new java.io.PrintStream(
                new java.io.ByteArrayOutputStream(), true, java.nio.charset.StandardCharsets.UTF_8)).run();
        Files.writeString(cfg, TinyRuns.yaml(2).replace("init: kaiming-fan-out", "init: torch-default"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Simulation(Plans.build(TinyRuns.overrides(cfg, out, List.of("fedavg"))), System.out).run());
        assertTrue(e.getMessage().contains("model.init: \"kaiming-fan-out\" → \"torch-default\""), e.getMessage());
    }

    @Test
    void firstDifferenceWalksObjectsAndArraysAndComparesNumbersByValue() throws Exception {
        ObjectMapper json = new ObjectMapper();
        assertNull(RunDirectory.firstDifference("", json.readTree("{\"a\":[1,2.0],\"b\":{\"c\":1}}"), json.readTree("{\"a\":[1.0,2],\"b\":{\"c\":1.00}}")));
        assertEquals("a[1]: 2 → 3", RunDirectory.firstDifference("", json.readTree("{\"a\":[1,2]}"), json.readTree("{\"a\":[1,3]}")));
        assertEquals("b.d: absent → true", RunDirectory.firstDifference("", json.readTree("{\"b\":{}}"), json.readTree("{\"b\":{\"d\":true}}")));
        assertEquals("a: [1] → [1,2]", RunDirectory.firstDifference("", json.readTree("{\"a\":[1]}"), json.readTree("{\"a\":[1,2]}")));
    }

    private static Path runOnce(Path cfg, Path out, List<String> methods) {
        new Simulation(Plans.build(TinyRuns.overrides(cfg, out, methods)), QUIET).run();
        return out;
    }
}
