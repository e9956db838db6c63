package org.resfim.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.cli.Main;
import org.resfim.report.MetricsLog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * privacy.secagg over the deployment (#18): real server and site processes on 127.0.0.1. With mutual TLS, secure
 * aggregation and distributed DP (seeded noise) a 3-site federation gives {@code simulate}'s table, uploads and epsilon,
 * while the coordinator receives no value in the clear: FIT answers carry a mask and public keys, the values arrive
 * as masked uint64 ring vectors. A site that dies after its masked vector arrived is recovered from the Shamir shares:
 * the round's aggregate is the full one.
 */
class SecureDeploymentTest {
    private static final List<String> SITES = List.of("synthetic-1", "synthetic-2", "synthetic-3");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<Process> children = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        for (Process p : children) {
            p.destroyForcibly();
        }
    }

    private Process java(Path log, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), main));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(Map.of("MKL_CBWR", "COMPATIBLE"));
        Process p = pb.start();
        children.add(p);
        return p;
    }

    private Process resfim(Path log, String... args) throws IOException {
        return java(log, "org.resfim.cli.Main", args);
    }

    private static void exitsZero(Process p, Path log, int seconds) throws Exception {
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), "still running:\n" + Files.readString(log));
        assertEquals(0, p.exitValue(), Files.readString(log));
    }

    private static String address(Path run, Path serverLog) throws Exception {
        return "127.0.0.1:" + DeploymentTest.awaitPort(run, serverLog);
    }

    private static String uploads(Path metrics) {
        return MetricsLog.readEvents(metrics, "upload").stream().map(n -> n.path("round").asInt() + " " + n.path("site").asText() + " "
                + n.path("epsilon").asDouble()).sorted().collect(Collectors.joining("\n"));
    }

    private static List<JsonNode> audit(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    @Test
    void tlsSecureAggregationAndDistributedDpGiveTheSimulationsNumbers(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, DeploymentTest.yaml(2, "fedavg, pfl-resfim")
                + "privacy: {secagg: true, dp: {mode: distributed, clip: 0.05, noise_multiplier: 0.5}, style: {clip: 5, noise_multiplier: 1}}\n");
        Path pki = tmp.resolve("pki");
        assertEquals(0, Main.execute("certs", "--out", pki.toString(), "--sites", String.join(",", SITES)));
        Path run = tmp.resolve("run");
        Path serverLog = tmp.resolve("server.log");
        Process server = resfim(serverLog, "server", "--config", cfg.toString(), "--out", run.toString(), "--host", "127.0.0.1", "--port", "0",
                "--tls-dir", pki.toString(), "--wait-for-sites", "120");
        String address = address(run, serverLog);
        List<Process> sites = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        for (String s : SITES) {
            Path log = tmp.resolve(s + ".log");
            logs.add(log);
            sites.add(resfim(log, "client", "--server", address, "--config", cfg.toString(), "--site", s, "--tls-dir", pki.toString(),
                    "--state", tmp.resolve("state-" + s).toString(), "--threads", "1", "--max-backoff", "1"));
        }
        exitsZero(server, serverLog, 300);
        for (int k = 0; k < sites.size(); k++) {
            exitsZero(sites.get(k), logs.get(k), 30);
        }
        Path sim = tmp.resolve("sim");
        Path simLog = tmp.resolve("sim.log");
        exitsZero(resfim(simLog, "simulate", "--config", cfg.toString(), "--out", sim.toString(), "--threads", "1"), simLog, 180);
        assertEquals(DeploymentTest.table(sim), DeploymentTest.table(run), "deployment and simulation give the same table");
        // the one run driver writes the privacy section for a deployment too: the same ε per site as the simulation's
        assertEquals(privacySection(sim), privacySection(run));
        assertTrue(privacySection(run).contains("ε"), privacySection(run));
        for (String method : List.of("fedavg", "pfl-resfim")) {
            String deployed = uploads(run.resolve(method + "/seed-0/metrics.jsonl"));
            assertEquals(uploads(sim.resolve(method + "/seed-0/metrics.jsonl")), deployed, method + ": the same sites aggregated, the same epsilon");
            assertEquals(6, deployed.lines().count(), deployed);
            assertTrue(MetricsLog.readEvents(run.resolve(method + "/seed-0/metrics.jsonl"), "failure").isEmpty(), method + ": no site dropped");
        }
        // what the coordinator received: no values in the clear, only masks, keys and masked ring vectors
        Map<String, Long> bytes = new TreeMap<>();
        Map<String, Long> plain = new TreeMap<>(); // what the same answer would weigh without secagg: its mask and 4 bytes per shared value
        for (String s : SITES) {
            List<JsonNode> records = audit(run.resolve(Audit.SERVER_DIR).resolve(s + ".jsonl"));
            int fits = 0;
            int masked = 0;
            for (JsonNode r : records) {
                String kind = r.path("kind").asText();
                if (kind.equals("fit")) {
                    fits++;
                    assertEquals(0, r.path("elements").asLong(), "a FIT answer under secagg carries no tensor values: " + r);
                    assertFalse(r.has("rejected"), r.toString());
                }
                if (kind.equals("secagg")) {
                    assertFalse(r.has("rejected"), r.toString());
                    assertFalse(r.has("error"), r.toString());
                    for (JsonNode sec : r.path("sections")) {
                        if (sec.path("name").asText().equals("masked")) {
                            masked++;
                            assertEquals("uint64", sec.path("type").asText());
                            assertTrue(sec.path("elements").asLong() > 0, r.toString());
                        }
                    }
                }
                if (kind.equals("fit") || kind.equals("secagg")) {
                    String key = r.path("run").asText() + " round " + r.path("round").asInt() + " " + s;
                    bytes.merge(key, r.path("bytes").asLong(), Long::sum);
                    if (kind.equals("fit")) {
                        plain.merge(key, r.path("bytes").asLong(), Long::sum); // the mask; the values are added below, 4 bytes each
                    }
                    for (JsonNode sec : r.path("sections")) {
                        if (sec.path("name").asText().equals("masked")) {
                            plain.merge(key, 4 * sec.path("elements").asLong(), Long::sum);
                        }
                    }
                }
            }
            assertEquals(4, fits, s + ": two methods, two rounds");
            assertEquals(4, masked, s + ": one masked vector per method and round");
        }
        System.out.println("secure aggregation over gRPC, payload bytes per site-round (FIT + SECAGG answers): " + bytes);
        System.out.println("the same uploads in the clear (mask + 4 bytes per shared value): " + plain);
    }

    /**
     * One site dies after its masked vector of round 2 arrived (it halts when asked to unmask: the coordinator asks only
     * once it holds every masked vector, so the order is causal, not timed). The round completes: the dead site's
     * self-mask is rebuilt from the survivors' Shamir shares, its update is in the sum, and the survivors' round-2
     * evaluations are exactly those of the simulation in which nobody died.
     */
    @Test
    void aSiteThatDiesAfterSendingItsMaskedVectorIsRecoveredFromTheShares(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, DeploymentTest.yaml(2, "fedavg") + "privacy: {secagg: true}\n");
        Path run = tmp.resolve("run");
        Path serverLog = tmp.resolve("server.log");
        Process server = resfim(serverLog, "server", "--config", cfg.toString(), "--out", run.toString(), "--host", "127.0.0.1", "--port", "0",
                "--insecure", "--wait-for-sites", "120", "--rejoin-grace", "1");
        String address = address(run, serverLog);
        List<Process> sites = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        for (String s : SITES) {
            Path log = tmp.resolve(s + ".log");
            logs.add(log);
            Path state = tmp.resolve("state-" + s);
            sites.add(s.equals("synthetic-3")
                    ? java(log, SecAggDropSite.class.getName(), address, cfg.toString(), s, state.toString(), "2")
                    : resfim(log, "client", "--server", address, "--config", cfg.toString(), "--site", s, "--insecure", "--state", state.toString(),
                    "--threads", "1", "--max-backoff", "1"));
        }
        exitsZero(server, serverLog, 300); // the run ends normally: a site lost is a failure of the round, not of the run
        assertTrue(sites.get(2).waitFor(30, TimeUnit.SECONDS));
        assertEquals(3, sites.get(2).exitValue(), "the third site halted at the unmasking step:\n" + Files.readString(logs.get(2)));
        assertTrue(Files.readString(logs.get(2)).contains("dying at the unmasking step of round 2"), Files.readString(logs.get(2)));
        Path metrics = run.resolve("fedavg/seed-0/metrics.jsonl");
        List<JsonNode> failures = MetricsLog.readEvents(metrics, "failure");
        assertTrue(failures.stream().anyMatch(f -> f.path("round").asInt() == 2 && f.path("site").asText().equals("synthetic-3")
                        && f.path("message").asText().contains("vanished after sending its masked vector (its self-mask is recovered from the shares)")),
                failures + "\n" + Files.readString(serverLog));
        assertTrue(failures.stream().noneMatch(f -> f.path("message").asText().contains("refused")), failures.toString());
        assertEquals("2 synthetic-1\n2 synthetic-2\n2 synthetic-3", MetricsLog.readEvents(metrics, "upload").stream()
                .filter(u -> u.path("round").asInt() == 2).map(u -> "2 " + u.path("site").asText()).sorted().collect(Collectors.joining("\n")),
                "the dead site's masked update is in round 2's sum");
        Path sim = tmp.resolve("sim");
        Path simLog = tmp.resolve("sim.log");
        exitsZero(resfim(simLog, "simulate", "--config", cfg.toString(), "--out", sim.toString(), "--threads", "1"), simLog, 180);
        String deployed = evaluations(run.resolve("fedavg/seed-0/metrics.jsonl"));
        String simulated = evaluations(sim.resolve("fedavg/seed-0/metrics.jsonl"));
        assertEquals(4, deployed.lines().count(), deployed + "\n" + Files.readString(serverLog));
        assertEquals(simulated, deployed, "the survivors evaluate round 2's model exactly as in the run where nobody died");
        exitsZero(sites.get(0), logs.get(0), 30);
        exitsZero(sites.get(1), logs.get(1), 30);
    }

    /** The evaluations of the first two sites (round, site, every image's Dice), one line each. */
    private static String evaluations(Path metrics) {
        return MetricsLog.readEvents(metrics, "evaluate").stream().filter(n -> !n.path("site").asText().equals("synthetic-3"))
                .map(n -> n.path("round").asInt() + " " + n.path("site").asText() + " " + n.path("images").toString()).sorted()
                .collect(Collectors.joining("\n"));
    }

    /** The "## Privacy" section of a run's results.md, up to the next section or the provenance block. */
    private static String privacySection(Path runDir) throws IOException {
        String md = Files.readString(runDir.resolve("results.md"));
        int a = md.indexOf("## Privacy");
        assertTrue(a >= 0, "no privacy section in " + runDir + ": " + md);
        int b = md.indexOf("```", a);
        int c = md.indexOf("\n## ", a + 3);
        int end = Math.min(b < 0 ? md.length() : b, c < 0 ? md.length() : c);
        return md.substring(a, end);
    }
}
