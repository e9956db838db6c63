package org.resfim.transport;

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
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * privacy.dp over the deployment: a 3-site loopback federation with mutual TLS and local DP (seeded noise) gives the
 * same numbers as {@code simulate} with the same seed and settings (secure aggregation over gRPC: {@link SecureDeploymentTest}).
 */
class PrivateDeploymentTest {
    private static final List<String> SITES = List.of("synthetic-1", "synthetic-2", "synthetic-3");
    private final List<Process> children = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        for (Process p : children) {
            p.destroyForcibly();
        }
    }

    private Process java(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "org.resfim.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(Map.of("MKL_CBWR", "COMPATIBLE"));
        Process p = pb.start();
        children.add(p);
        return p;
    }

    private static void exitsZero(Process p, Path log, int seconds) throws Exception {
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), "still running:\n" + Files.readString(log));
        assertEquals(0, p.exitValue(), Files.readString(log));
    }

    private static String uploads(Path metrics) {
        return MetricsLog.readEvents(metrics, "upload").stream().map(n -> n.path("round").asInt() + " " + n.path("site").asText() + " "
                + n.path("update_norm").asDouble() + " " + n.path("epsilon").asDouble()).sorted().collect(Collectors.joining("\n"));
    }

    @Test
    void localDpOverTlsGivesTheSimulationsNumbers(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, DeploymentTest.yaml(2, "fedavg") + "privacy: {dp: {mode: local, clip: 0.05, noise_multiplier: 0.5}}\n");
        Path pki = tmp.resolve("pki");
        assertEquals(0, Main.execute("certs", "--out", pki.toString(), "--sites", String.join(",", SITES)));
        Path run = tmp.resolve("run");
        Path serverLog = tmp.resolve("server.log");
        Process server = java(serverLog, "server", "--config", cfg.toString(), "--out", run.toString(), "--host", "127.0.0.1", "--port", "0",
                "--tls-dir", pki.toString(), "--wait-for-sites", "120");
        int port = DeploymentTest.awaitPort(run, serverLog);
        List<Process> sites = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        for (String s : SITES) {
            Path log = tmp.resolve(s + ".log");
            logs.add(log);
            sites.add(java(log, "client", "--server", "127.0.0.1:" + port, "--config", cfg.toString(), "--site", s, "--tls-dir", pki.toString(),
                    "--state", tmp.resolve("state-" + s).toString(), "--threads", "1", "--max-backoff", "1"));
        }
        exitsZero(server, serverLog, 180);
        for (int k = 0; k < sites.size(); k++) {
            exitsZero(sites.get(k), logs.get(k), 30);
        }
        Path sim = tmp.resolve("sim");
        Path simLog = tmp.resolve("sim.log");
        exitsZero(java(simLog, "simulate", "--config", cfg.toString(), "--out", sim.toString(), "--threads", "1"), simLog, 120);
        assertEquals(DeploymentTest.table(sim), DeploymentTest.table(run), "deployment and simulation give the same table");
        String deployed = uploads(run.resolve("fedavg/seed-0/metrics.jsonl"));
        assertEquals(uploads(sim.resolve("fedavg/seed-0/metrics.jsonl")), deployed, "the same noised uploads and the same epsilon");
        assertEquals(6, deployed.lines().count());
        // (the deployment's results.md is written by ServerRuntime without the privacy table; its metrics carry every epsilon)
    }
    /**
     * A site killed in the middle of round 2 and restarted rejoins with the privacy settings: every upload of the run,
     * the rejoined site's included, is clipped to C (clipping alone, so the norms are checkable).
     */
    @Test
    void aSiteThatRejoinsKeepsClippingItsUploads(@TempDir Path tmp) throws Exception {
        double c = 0.05;
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, DeploymentTest.yaml(4, "fedavg") + "privacy: {dp: {mode: local, clip: " + c + ", noise_multiplier: 0}}\n");
        Path run = tmp.resolve("run");
        Path serverLog = tmp.resolve("server.log");
        Process server = java(serverLog, "server", "--config", cfg.toString(), "--out", run.toString(), "--host", "127.0.0.1", "--port", "0",
                "--insecure", "--wait-for-sites", "120", "--rejoin-grace", "60");
        String address = "127.0.0.1:" + DeploymentTest.awaitPort(run, serverLog);
        List<Process> sites = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        for (String s : SITES) {
            Path log = tmp.resolve(s + ".log");
            logs.add(log);
            sites.add(java(log, "client", "--server", address, "--config", cfg.toString(), "--site", s, "--insecure",
                    "--state", tmp.resolve("state-" + s).toString(), "--threads", "1", "--max-backoff", "1"));
        }
        Path log2 = logs.get(1);
        DeploymentTest.await("site 2 training in round 2", 120, () -> Files.exists(log2) && DeploymentTest.read(log2).contains("FIT round 2 started"), log2);
        sites.get(1).destroyForcibly();
        assertTrue(sites.get(1).waitFor(30, TimeUnit.SECONDS));
        Path again = tmp.resolve("synthetic-2-restarted.log");
        Process restarted = java(again, "client", "--server", address, "--config", cfg.toString(), "--site", "synthetic-2", "--insecure",
                "--state", tmp.resolve("state-synthetic-2").toString(), "--threads", "1", "--max-backoff", "1");
        exitsZero(server, serverLog, 150);
        exitsZero(restarted, again, 30);
        exitsZero(sites.get(0), logs.get(0), 30);
        exitsZero(sites.get(2), logs.get(2), 30);
        assertTrue(Files.readString(serverLog).contains("site 'synthetic-2' rejoined"), Files.readString(serverLog));
        var ups = MetricsLog.readEvents(run.resolve("fedavg/seed-0/metrics.jsonl"), "upload");
        assertTrue(ups.stream().anyMatch(u -> u.path("site").asText().equals("synthetic-2") && u.path("round").asInt() >= 3),
                "the rejoined site uploaded again");
        for (var u : ups) {
            assertTrue(u.path("update_norm").asDouble() <= c * (1 + 1e-4), u.toString());
        }
    }
}
