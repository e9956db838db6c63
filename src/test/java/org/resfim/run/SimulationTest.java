package org.resfim.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.config.ConfigException;
import org.resfim.report.ResultTable;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SimulationTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static ResultTable run(RunPlan plan) {
        return new Simulation(plan, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
    }

    @Test
    void sameConfigAndSeedGiveTheSameNumbersAndTheRunDirectoryIsComplete(@TempDir Path tmp) throws Exception {
        Path cfg = TinyRuns.config(tmp, 4);
        ResultTable a = run(Plans.build(TinyRuns.overrides(cfg, tmp.resolve("a"), null)));
        ResultTable b = run(Plans.build(TinyRuns.overrides(cfg, tmp.resolve("b"), null)));
        assertEquals(TinyRuns.table(tmp.resolve("a")), TinyRuns.table(tmp.resolve("b")));
        assertEquals(a.markdown(), b.markdown());
        Path r = tmp.resolve("a");
        for (String f : List.of("config.resolved.json", "provenance.json", "manifests/seed-0.json", "results.md", "results.csv", "results.tex",
                "pfl-resfim/seed-0/metrics.jsonl", "fedavg/seed-0/metrics.jsonl", "run.json")) {
            assertTrue(Files.isRegularFile(r.resolve(f)), f);
        }
        JsonNode prov = JSON.readTree(r.resolve("provenance.json").toFile());
        for (String k : List.of("config_sha256", "seeds", "data_manifest_sha256", "git_commit")) {
            assertFalse(prov.path(k).isMissingNode(), k);
        }
        for (String k : List.of("cpu", "cpu_id", "kernel_flags", "onednn_isa", "caches", "threads")) {
            assertFalse(prov.path("machine").path(k).isMissingNode(), "machine." + k);
        }
        assertEquals("COMPATIBLE".equals(System.getenv("MKL_CBWR")) ? "COMPATIBLE" : System.getenv("MKL_CBWR") == null ? "(unset)"
                : System.getenv("MKL_CBWR"), prov.path("machine").path("environment").path("MKL_CBWR").asText());
        assertTrue(Files.readString(r.resolve("results.csv")).startsWith("# config_sha256: "));
        assertTrue(Files.readString(r.resolve("results.md")).contains("\nmachine.onednn_isa: "), "nested entries as dotted keys");
        String md = Files.readString(r.resolve("results.md"));
        assertTrue(md.contains("pfl-resfim: ") && md.contains("the ResFIM estimate took"), md);
        assertTrue(md.contains("fedavg: ") && md.contains("= 100.0% of a full model"), "FedAvg uploads the whole model:\n" + md);
        // each site's selected personal model is kept; per-round states are pruned once complete
        for (String site : List.of("synthetic-1", "synthetic-2", "synthetic-3")) {
            assertTrue(Files.isRegularFile(r.resolve("pfl-resfim/seed-0/sites/" + site + "/selected-model.rfim")), site);
        }
        // per-round metrics per client: 4 rounds × 3 sites evaluations, and ResFIM observability
        List<String> lines = Files.readAllLines(r.resolve("pfl-resfim/seed-0/metrics.jsonl"));
        assertEquals(12, lines.stream().filter(l -> l.contains("\"event\":\"evaluate\"")).count());
        JsonNode estimate = lines.stream().map(SimulationTest::parse).filter(n -> n.has("resfim_seconds")).findFirst().orElseThrow();
        assertEquals(0.2, estimate.path("sensitive_fraction").asDouble(), 0.01);
        assertTrue(estimate.has("sensitive.d.0.c1.weight"));
        JsonNode fedavgFit = Files.readAllLines(r.resolve("fedavg/seed-0/metrics.jsonl")).stream().map(SimulationTest::parse)
                .filter(n -> n.path("event").asText().equals("fit")).findFirst().orElseThrow();
        assertTrue(estimate.path("upload_bytes").asDouble() < 0.9 * fedavgFit.path("upload_bytes").asDouble(),
                "pFL-ResFIM uploads only invariant values");
    }

    @Test
    void everyMethodStartsFromTheSameSplitsAndWeights(@TempDir Path tmp) throws Exception {
        Path cfg = TinyRuns.config(tmp, 2);
        run(Plans.build(new Plans.Overrides(cfg, null, List.of("local", "fedavg"), null, 2, null, null, tmp.resolve("r"))));
        // round-1 evaluation sees the same val/test images for both methods
        List<String> a = ids(tmp.resolve("r/local/seed-0/metrics.jsonl"));
        List<String> b = ids(tmp.resolve("r/fedavg/seed-0/metrics.jsonl"));
        assertEquals(a, b);
        assertFalse(a.isEmpty());
    }

    private static List<String> ids(Path metrics) throws Exception {
        return Files.readAllLines(metrics).stream().map(SimulationTest::parse).filter(n -> n.path("round").asInt() == 1
                && n.path("event").asText().equals("evaluate")).flatMap(n -> {
                    List<String> out = new java.util.ArrayList<>();
                    n.path("images").forEach(i -> out.add(n.path("site").asText() + "/" + i.path("split").asText() + "/" + i.path("id").asText()));
                    return out.stream();
                }).toList();
    }

    static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void badConfigurationsAreRefusedNamingTheKeyOrMethod(@TempDir Path tmp) throws Exception {
        Path cfg = TinyRuns.config(tmp, 4);
        ConfigException e = assertThrows(ConfigException.class, () -> Plans.build(TinyRuns.overrides(cfg, tmp.resolve("x"), List.of("fedvag"))));
        assertTrue(e.getMessage().contains("did you mean 'fedavg'"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Plans.build(new Plans.Overrides(cfg, null, List.of("fedavg"), null, 1, null, null, tmp.resolve("y"))));
        assertTrue(e.getMessage().contains("evaluation.select_after"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Plans.build(TinyRuns.overrides(cfg, tmp.resolve("z"), List.of("pfl-resfim:rho=1.5"))));
        assertTrue(e.getMessage().contains("resfim.rho"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Plans.build(TinyRuns.overrides(cfg, tmp.resolve("z"), List.of("pfl-resfim:rhoo=0.1"))));
        assertTrue(e.getMessage().contains("did you mean 'resfim.rho'"), e.getMessage());
        Path many = tmp.resolve("many.yaml");
        Files.writeString(many, TinyRuns.yaml(4).replace("federation: {rounds: 4}", "federation: {rounds: 4, min_sites: 5}"));
        RunPlan p = Plans.build(TinyRuns.overrides(many, tmp.resolve("m"), List.of("fedavg")));
        e = assertThrows(ConfigException.class, () -> run(p));
        assertEquals(many + ": federation.min_sites = 5 but the federation has only 3 sites", e.getMessage());
        assertFalse(Files.exists(tmp.resolve("m/fedavg")), "nothing trained");
    }

    @Test
    void topLevelStyleResfimAndBnSectionsConfigurePflResFim(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("sections.yaml");
        Files.writeString(f, TinyRuns.yaml(4).replace("resfim: {variant: resfim}", "resfim: {rho: 0.3, variant: fim}")
                + "style: {beta: 0.05, augment: on}\nbn: {stats: shared}\n"); // augment: own Fisher then shares the windows β shapes
        RunPlan p = Plans.build(TinyRuns.overrides(f, tmp.resolve("o"), null));
        java.util.Map<String, Object> params = p.methodParams().get("pfl-resfim");
        assertEquals(0.05, ((Number) params.get("style.beta")).doubleValue());
        assertEquals("fim", params.get("resfim.variant"));
        assertEquals("shared", params.get("bn_stats"));
        assertEquals(4, ((Number) params.get("samples")).intValue(), "method.pfl-resfim keys stay");
        org.resfim.algorithms.PflResFim a = (org.resfim.algorithms.PflResFim) org.resfim.algorithms.AlgorithmRegistry.create(
                org.resfim.algorithms.AlgorithmSpec.parse("pfl-resfim").withDefaults(params));
        assertEquals(0.3, a.partition().rho());
        Files.writeString(f, TinyRuns.yaml(4) + "style: {betta: 0.05}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> Plans.build(TinyRuns.overrides(f, tmp.resolve("o"), null)));
        assertTrue(e.getMessage().contains("style.betta"), e.getMessage());
        Files.writeString(f, TinyRuns.yaml(4) + "output: {dir: x}\n");
        assertThrows(RuntimeException.class, () -> Plans.build(TinyRuns.overrides(f, tmp.resolve("o"), null)), "unread sections are refused");
    }
}
