package org.resfim.run;

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
