package org.resfim.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.cli.Main;
import org.resfim.federation.ModelCard;
import org.resfim.state.StateFile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real processes on 127.0.0.1: a server and three sites as child JVMs ({@code resfim server} / {@code resfim client}).
 * A deployment killed and resumed gives the same final table as the simulation of the same seed; a site killed
 * mid-round is skipped for that round and rejoins with its own saved state; every site keeps an audit of what it
 * sent, and the server the same view of what it received.
 */
class DeploymentTest {
    private static final List<String> SITES = List.of("synthetic-1", "synthetic-2", "synthetic-3");
    /** MKL's conditional bitwise reproducibility: without it, libtorch's float results depend on the process's history. */
    private static final Map<String, String> ENV = Map.of("MKL_CBWR", "COMPATIBLE");
    private final List<Process> children = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        for (Process p : children) {
            p.destroyForcibly();
        }
    }

    static String yaml(int rounds, String methods) {
        return """
                name: tiny
                seed: 0
                seeds: [0]
                data:
                  synthetic: {sites: 3, samples: 10, size: 32}
                  split: {train: 0.6, val: 0.2, test: 0.2}
                federation: {rounds: %d}
                method:
                  list: [%s]
                  pfl-resfim: {samples: 4, every: 2, warmup: 1}
                resfim: {variant: resfim}   # the residual, so the tests exercise the style bank (the default is fim)
                training: {batch_size: 4, lr: 0.003}
                model: {width: 4, depth: 3}
                """.formatted(rounds, methods);
    }

    private Process java(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "org.resfim.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(ENV);
        Process p = pb.start();
        children.add(p);
        return p;
    }

    /** Waits up to {@code seconds} for {@code done} (a real process's progress), failing with the logs' tails; the deployment tests share it. */
    static void await(String what, long seconds, BooleanSupplier done, Path... logs) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out waiting for " + what + "\n" + tails(logs));
            }
            Thread.sleep(20);
        }
    }

    private static String tails(Path... logs) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Path l : logs) {
            if (Files.exists(l)) {
                List<String> lines = Files.readAllLines(l);
                sb.append("---- ").append(l.getFileName()).append('\n');
                lines.subList(Math.max(0, lines.size() - 25), lines.size()).forEach(x -> sb.append(x).append('\n'));
            }
        }
        return sb.toString();
    }

    static String read(Path f) {
        try {
            return Files.exists(f) ? Files.readString(f) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static long count(Path metrics, String event) {
        return read(metrics).lines().filter(l -> l.contains("\"event\":\"" + event + "\"")).count();
    }

    /** Waits for the server of {@code runDir} to write its address (up to a minute, failing with its log's tail) and returns its port. */
    static int awaitPort(Path runDir, Path serverLog) throws Exception {
        await("the server's address", 60, () -> Files.exists(runDir.resolve(ServerRuntime.ADDRESS_FILE)), serverLog);
        return port(runDir);
    }

    static int port(Path runDir) {
        String a = read(runDir.resolve(ServerRuntime.ADDRESS_FILE)).strip();
        return Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
    }

    private static void exitsZero(Process p, Path log, int seconds) throws Exception {
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), "still running:\n" + tails(log));
        assertEquals(0, p.exitValue(), tails(log));
    }

    /** results.csv without its provenance comments. */
    static String table(Path runDir) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String line : Files.readAllLines(runDir.resolve("results.csv"))) {
            if (!line.startsWith("#")) {
                sb.append(line).append('\n');
            }
        }
        return sb.toString();
    }

    @Test
    void aKilledAndResumedTlsDeploymentEndsWithTheSimulationsTable(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("tiny.yaml");
        // pfl-resfim is the residual here (yaml()); the default, own Fisher, runs too: no style window at SETUP, the same table
        Files.writeString(cfg, yaml(3, "pfl-resfim, fedavg, 'pfl-resfim:variant=fim'"));
        Path pki = tmp.resolve("pki");
        assertEquals(0, Main.execute("certs", "--out", pki.toString(), "--sites", String.join(",", SITES)));
        Path run = tmp.resolve("run");
        Path serverLog = tmp.resolve("server.log");
        Process server = java(serverLog, "server", "--config", cfg.toString(), "--out", run.toString(), "--host", "127.0.0.1", "--port", "0",
                "--tls-dir", pki.toString(), "--wait-for-sites", "120", "--rejoin-grace", "30");
        int port = awaitPort(run, serverLog);
        List<Process> sites = new ArrayList<>();
        List<Path> siteLogs = new ArrayList<>();
        for (String s : SITES) {
            Path log = tmp.resolve(s + ".log");
            siteLogs.add(log);
            sites.add(java(log, "client", "--server", "127.0.0.1:" + port, "--config", cfg.toString(), "--site", s, "--tls-dir", pki.toString(),
                    "--state", tmp.resolve("state-" + s).toString(), "--threads", "1", "--max-backoff", "1"));
        }
        // kill -9 the server in the middle of the first method, while the sites train in round 2 (the sites train at once,
        // so the round is taken by its FIT phase; under load the kill may land in round 3: the checkpoint says which)
        Path metrics = run.resolve("pfl-resfim/seed-0/metrics.jsonl");
        await("round 2 in progress", 120, () -> read(siteLogs.get(0)).contains("FIT round 2 started (pfl-resfim"), serverLog, siteLogs.get(0));
        server.destroyForcibly();
        assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        int done = new org.resfim.federation.CoordinatorCheckpoint(run.resolve("pfl-resfim/seed-0/checkpoint")).completedRound();
        assertTrue(done >= 1 && done < 3, "killed mid-run after round " + done);
        System.out.println("server killed with round " + done + " of pfl-resfim checkpointed");
        assertFalse(Files.exists(run.resolve("results.csv")));
        assertTrue(read(serverLog).contains("with mutual TLS"), read(serverLog));

        Path resumedLog = tmp.resolve("server-resumed.log");
        Process resumed = java(resumedLog, "server", "--resume", run.toString(), "--host", "127.0.0.1", "--tls-dir", pki.toString(),
                "--wait-for-sites", "120");
        exitsZero(resumed, resumedLog, 150);
        for (int k = 0; k < sites.size(); k++) {
            exitsZero(sites.get(k), siteLogs.get(k), 30);
        }
        assertTrue(read(resumedLog).contains("pfl-resfim seed 0: resuming after round " + done), tails(resumedLog));
        assertTrue(read(siteLogs.get(0)).contains("restoring this site's state saved after round " + done), tails(siteLogs.get(0)));
        assertTrue(read(siteLogs.get(0)).contains("retrying in"), "the site reconnected with backoff");
        assertEquals(9, count(metrics, "evaluate"), "every round of every site exactly once");
        assertTrue(count(metrics, "upload") >= 6, "what every accepted upload weighed: " + read(metrics));

        Path sim = tmp.resolve("sim");
        Path simLog = tmp.resolve("sim.log");
        exitsZero(java(simLog, "simulate", "--config", cfg.toString(), "--out", sim.toString(), "--threads", "1"), simLog, 120);
        assertEquals(table(sim), table(run), "deployment and simulation give the same table");
        checkSameRunDirectory(sim, run);
        // #16: every FIT record says when the site started it (that they train at the same time: threeSitesTrainAtTheSameTime)
        checkStartedAt(run.resolve("fedavg/seed-0/metrics.jsonl"), 3);
        // every site's model file records the settings it was trained with, as the simulation's does
        for (String s : SITES) {
            Path deployed = tmp.resolve("state-" + s).resolve("pfl-resfim/seed-0").resolve(s).resolve("selected-model.rfim");
            Path simulated = sim.resolve("pfl-resfim/seed-0/sites").resolve(s).resolve("selected-model.rfim");
            Map<String, String> d = StateFile.readContents(deployed).metadata();
            ModelCard card = ModelCard.read(d, deployed.toString()).orElseThrow();
            assertEquals(ModelCard.read(StateFile.readContents(simulated).metadata(), simulated.toString()).orElseThrow(), card, s);
            assertEquals(32, card.preprocessing().height(), s);
            assertEquals("pfl-resfim", d.get("method"), s);
        }

        checkAudit(tmp, run);
    }

    /**
     * results.md with what two runs of the same plan may legitimately differ in masked: the seconds measured in the cost
     * section, and the provenance block (when it was written, threads, how the sites were reached).
     */
    static String resultsWithoutTimes(Path runDir) throws IOException {
        String md = Files.readString(runDir.resolve("results.md"));
        assertTrue(md.contains("\n```\n"), md);
        return md.substring(0, md.indexOf("\n```\n")).replaceAll("\\d+\\.\\d s of local training", "S s of local training")
                .replaceAll("took \\d+\\.\\d%", "took P%");
    }

    /**
     * #16: a deployment's run directory is a simulation's: the same results.md (cost section included, up to the seconds
     * measured), the same resolved configuration and config hash, run.json; {@code report} and {@code compare} read it.
     */
    private static void checkSameRunDirectory(Path sim, Path run) throws Exception {
        assertEquals(resultsWithoutTimes(sim), resultsWithoutTimes(run), "deployment and simulation write the same results.md");
        assertTrue(resultsWithoutTimes(run).contains("## Cost"), resultsWithoutTimes(run));
        assertEquals(Files.readString(sim.resolve("config.resolved.json")), Files.readString(run.resolve("config.resolved.json")));
        ObjectMapper json = new ObjectMapper();
        JsonNode ps = json.readTree(sim.resolve("provenance.json").toFile());
        JsonNode pd = json.readTree(run.resolve("provenance.json").toFile());
        assertEquals(ps.path("config_sha256"), pd.path("config_sha256"));
        assertTrue(pd.path("deployment").asText().startsWith("grpc, 3 site processes"), pd.toString());
        assertTrue(Files.isRegularFile(run.resolve("run.json")));
        String report = Files.readString(run.resolve("report.html"));
        assertTrue(report.contains("pfl-resfim") && report.contains("fedavg") && report.contains("deployment"), "the server wrote report.html");
        assertTrue(report.contains("stay at the sites"), "a deployment's report says where the personal models are");
        String chromium = org.resfim.run.html.Browser.find();
        if (chromium != null) { // CI sets RESFIM_REQUIRE_BROWSER=1: there it must run
            String dom = org.resfim.run.html.Browser.dom(chromium, run.getParent(), run.resolve("report.html"));
            java.util.regex.Matcher table = java.util.regex.Pattern.compile("(?s)<table class=\"results\" id=\"comparison\">(.*?)</table>").matcher(dom);
            assertTrue(table.find(), "the browser loaded the deployment's report with its comparison table: "
                    + dom.substring(0, Math.min(400, dom.length())));
            assertTrue(table.group(1).contains(">pfl-resfim<") && table.group(1).contains(">fedavg<"), table.group(1));
            for (String s : SITES) {
                assertTrue(table.group(1).contains(s), s);
            }
        }
        Files.delete(run.resolve("report.html"));
        assertEquals(0, Main.execute("report", run.toString()));
        assertTrue(Files.readString(run.resolve("report.html")).contains("fedavg"), "resfim report renders a deployment's run directory");
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.execute("compare", sim.toString(), run.toString());
        } finally {
            System.setOut(old);
        }
        assertEquals(0, rc, buf.toString(StandardCharsets.UTF_8));
        String compared = buf.toString(StandardCharsets.UTF_8);
        assertTrue(compared.contains("sim") && compared.contains("run") && compared.contains("fedavg"), compared);
    }

    /** Every round of {@code metrics} has {@code sites} FIT records, each with {@code started_at} in epoch seconds beside {@code fit_seconds}. */
    static void checkStartedAt(Path metrics, int sites) throws IOException {
        ObjectMapper json = new ObjectMapper();
        java.util.Map<Integer, List<JsonNode>> fits = new java.util.TreeMap<>();
        for (String line : Files.readAllLines(metrics)) {
            JsonNode n = json.readTree(line);
            if (n.path("event").asText().equals("fit")) {
                fits.computeIfAbsent(n.path("round").asInt(), r -> new ArrayList<>()).add(n);
            }
        }
        assertFalse(fits.isEmpty(), "no fit records in " + metrics);
        for (var e : fits.entrySet()) {
            assertEquals(sites, e.getValue().size(), "round " + e.getKey() + ": " + e.getValue());
            for (JsonNode n : e.getValue()) {
                assertTrue(n.path("started_at").asDouble() > 1.7e9, "started_at in epoch seconds: " + n);
                assertTrue(n.path("fit_seconds").asDouble() >= 0, n.toString());
            }
        }
    }

    /** A test site process ({@link HangingSite}); {@code extra}: HANG_ROUND HANG_SECONDS [BARRIER_DIR SITES BARRIER_SECONDS]. */
    private Process testSite(Path log, String address, Path cfg, String site, Path state, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), HangingSite.class.getName(), address,
                cfg.toString(), site, state.toString()));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(ENV);
        Process p = pb.start();
        children.add(p);
        return p;
    }

    /**
     * #16: the sites train at the same time. Each site's FIT waits until all three have started that round's FIT (a
     * barrier of files): a coordinator that called them one after another would leave the first waiting for the others
     * until its barrier timed out. Causal, not a timing threshold: under any load the barrier passes only if the
     * coordinator had sent FIT to every site before any answered.
     */
    @Test
    void threeSitesTrainAtTheSameTime(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, yaml(2, "fedavg"));
        Path run = tmp.resolve("run");
        Path serverLog = tmp.resolve("server.log");
        Process server = java(serverLog, "server", "--config", cfg.toString(), "--out", run.toString(), "--host", "127.0.0.1", "--port", "0",
                "--insecure", "--wait-for-sites", "120", "--call-timeout", "200");
        String address = "127.0.0.1:" + awaitPort(run, serverLog);
        List<Process> sites = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        for (String s : SITES) {
            Path log = tmp.resolve(s + ".log");
            logs.add(log);
            sites.add(testSite(log, address, cfg, s, tmp.resolve("state-" + s), "0", "0", tmp.resolve("barrier").toString(), "3", "120"));
        }
        exitsZero(server, serverLog, 400);
        for (int k = 0; k < sites.size(); k++) {
            exitsZero(sites.get(k), logs.get(k), 60);
        }
        for (Path log : logs) {
            String l = read(log);
            assertFalse(l.contains("barrier timed out"), tails(log));
            for (int round = 1; round <= 2; round++) {
                assertTrue(l.contains("barrier passed in FIT round " + round + " of fedavg"), tails(log));
            }
        }
        checkStartedAt(run.resolve("fedavg/seed-0/metrics.jsonl"), 3);
        assertTrue(Files.exists(run.resolve("results.md")));
    }

    /** Every site's audit lists what it sent; the server's view of each site is the same records. */
    private void checkAudit(Path tmp, Path run) throws Exception {
        for (String s : SITES) {
            List<JsonNode> sent = Audit.read(tmp.resolve("state-" + s).resolve(Audit.SITE_FILE));
            List<JsonNode> received = Audit.read(run.resolve(Audit.SERVER_DIR).resolve(s + ".jsonl"));
            assertFalse(received.isEmpty());
            for (JsonNode r : received) {
                if (r.path("kind").asText().equals(Audit.AGGREGATED)) {
                    continue; // the server's own record of what the upload weighed
                }
                assertTrue(sent.contains(r), s + ": the server received " + r + ", which the site's audit does not list");
            }
            // #17: the count every message reported, and the count and update norm each accepted upload was aggregated with
            assertTrue(sent.stream().allMatch(n -> n.has("num_samples")), s);
            List<JsonNode> aggregated = received.stream().filter(n -> n.path("kind").asText().equals(Audit.AGGREGATED)).toList();
            assertFalse(aggregated.isEmpty(), s);
            long declared = sent.stream().filter(n -> n.path("kind").asText().equals("setup")).findFirst().orElseThrow().path("num_samples").asLong();
            assertTrue(declared > 0, s);
            for (JsonNode n : aggregated) {
                assertEquals(declared, n.path("num_samples").asLong(), n.toString());
                assertTrue(n.path("update_norm").asDouble() > 0, n.toString());
            }
            JsonNode setup = sent.stream().filter(n -> n.path("run").asText().equals("pfl-resfim") && n.path("kind").asText().equals("setup"))
                    .findFirst().orElseThrow();
            assertEquals(1, setup.path("style_bank").size(), "pfl-resfim's setup sends one style-bank window: " + setup);
            JsonNode fimSetup = sent.stream().filter(n -> n.path("run").asText().contains("variant=fim") && n.path("kind").asText().equals("setup"))
                    .findFirst().orElseThrow(() -> new AssertionError(s + ": no setup record of the default variant in " + sent));
            assertEquals(0, fimSetup.path("style_bank").size(), "own Fisher, the default, sends no style window: " + fimSetup);
            assertTrue(sent.stream().anyMatch(n -> n.path("run").asText().contains("variant=fim") && n.path("kind").asText().equals("fit")
                    && n.path("personal_elements").asLong() > 0), "and keeps personal elements at home after its warm-up");
            assertTrue(sent.stream().anyMatch(n -> n.path("kind").asText().equals("fit") && n.path("personal_elements").asLong() > 0),
                    "after the warm-up pfl-resfim keeps personal elements at home");
            JsonNode fit = sent.stream().filter(n -> n.path("run").asText().equals("fedavg") && n.path("kind").asText().equals("fit"))
                    .findFirst().orElseThrow();
            assertTrue(fit.path("tensors").size() > 10 && fit.path("bytes").asLong() > 4 * fit.path("elements").asLong(), fit.toString());
            JsonNode eval = sent.stream().filter(n -> n.path("kind").asText().equals("evaluate")).findFirst().orElseThrow();
            assertEquals(0, eval.path("elements").asLong());
            assertEquals(2, ((ObjectNode) eval.path("scores")).path("val").asInt(), eval.toString());
        }
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.execute("audit", tmp.toString());
        } finally {
            System.setOut(old);
        }
        String table = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, table);
        assertTrue(table.contains("(site's view: what it sent)") && table.contains("(server's view: what it received)"), table);
        assertTrue(table.matches("(?s).*\\| synthetic-2 +\\| pfl-resfim s0 +\\| +0 \\| setup .*\\[\\d+, \\d+, \\d+\\].*"), table);
        assertTrue(table.contains("synthetic-1: "), table);
    }

    /**
     * #16: a site that accepts FIT and hangs past its deadline is skipped for that round (the others' uploads are
     * aggregated: min_sites = 2), the round completes, and the site rejoins once it answers again.
     */
    /** An audit log in a fresh temporary file (shared by the in-JVM transport tests). */
    static Audit tempAudit(String prefix) {
        try {
            return new Audit(Files.createTempFile(prefix, ".jsonl"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The records of a run's {@code metrics.jsonl}, in order. */
    static List<JsonNode> events(Path metrics) throws IOException {
        List<JsonNode> events = new ArrayList<>();
        for (String line : Files.readAllLines(metrics)) {
            events.add(new ObjectMapper().readTree(line));
        }
        return events;
    }

    /**
     * A 3-round FedAvg federation (min_sites 2) in {@code tmp}: an insecure server with {@code serverOptions} (run directory
     * tmp/run, log tmp/server.log), sites 1 and 3 as real clients and site 2 a {@link HangingSite} whose FIT of round 2
     * sleeps {@code hangSeconds}; fills {@code logs} and {@code sites} in site order and returns the server.
     */
    private Process withSite2Hanging(Path tmp, List<Path> logs, List<Process> sites, String hangSeconds, String... serverOptions)
            throws Exception {
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, yaml(3, "fedavg").replace("federation: {rounds: 3}", "federation: {rounds: 3, min_sites: 2}"));
        Path run = tmp.resolve("run");
        Path serverLog = tmp.resolve("server.log");
        List<String> args = new ArrayList<>(List.of("server", "--config", cfg.toString(), "--out", run.toString(), "--host", "127.0.0.1",
                "--port", "0", "--insecure", "--wait-for-sites", "120"));
        args.addAll(List.of(serverOptions));
        Process server = java(serverLog, args.toArray(String[]::new));
        String address = "127.0.0.1:" + awaitPort(run, serverLog);
        for (String s : SITES) {
            Path log = tmp.resolve(s + ".log");
            logs.add(log);
            if (s.equals("synthetic-2")) {
                sites.add(testSite(log, address, cfg, s, tmp.resolve("state-" + s), "2", hangSeconds));
            } else {
                sites.add(java(log, "client", "--server", address, "--config", cfg.toString(), "--site", s, "--insecure",
                        "--state", tmp.resolve("state-" + s).toString(), "--threads", "1", "--max-backoff", "1"));
            }
        }
        return server;
    }

    @Test
    void aSiteThatHangsPastItsDeadlineIsSkippedAndTheRoundCompletes(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        Path serverLog = tmp.resolve("server.log");
        List<Path> logs = new ArrayList<>();
        List<Process> sites = new ArrayList<>();
        Process server = withSite2Hanging(tmp, logs, sites, "24", "--round-timeout", "12", "--call-timeout", "90", "--rejoin-grace", "60");
        exitsZero(server, serverLog, 240);
        for (int k = 0; k < sites.size(); k++) {
            exitsZero(sites.get(k), logs.get(k), 60);
        }
        String s = read(serverLog);
        assertTrue(read(logs.get(1)).contains("hanging in FIT round 2"), tails(logs.get(1)));
        assertTrue(s.contains("site 'synthetic-2' did not answer FIT round 2 of fedavg before its deadline: skipped for this round"), tails(serverLog));
        Path metrics = run.resolve("fedavg/seed-0/metrics.jsonl");
        List<JsonNode> events = events(metrics);
        assertTrue(events.stream().anyMatch(e -> e.path("event").asText().equals("failure") && e.path("site").asText().equals("synthetic-2")
                && e.path("round").asInt() == 2 && e.path("phase").asText().equals("fit") && !e.path("permanent").asBoolean()),
                "site 2 skipped in round 2: " + events);
        List<String> aggregated = events.stream().filter(e -> e.path("event").asText().equals("upload") && e.path("round").asInt() == 2)
                .map(e -> e.path("site").asText()).toList();
        assertEquals(List.of("synthetic-1", "synthetic-3"), aggregated, "round 2 aggregates the two sites that answered in time");
        for (int round = 1; round <= 3; round++) {
            int r = round;
            assertEquals(3, events.stream().filter(e -> e.path("event").asText().equals("evaluate") && e.path("round").asInt() == r).count(),
                    "round " + round + ": every site evaluated (site 2 after restoring its state)");
        }
        assertEquals(3, events.stream().filter(e -> e.path("event").asText().equals("upload") && e.path("round").asInt() == 3).count(),
                "site 2 trains again in round 3");
        assertTrue(Files.exists(run.resolve("results.md")));
    }

    @Test
    void aSiteWhoseHandlerIsStuckIsFoundByTheLivenessCheckLongBeforeItsDeadline(@TempDir Path tmp) throws Exception {
        // site 2's handler sleeps for 10 minutes in FIT round 2 behind a healthy connection (gRPC keeps answering its
        // keepalive); the deadline is 10 minutes too, so only the application-level liveness check can let the run go on
        Path run = tmp.resolve("run");
        Path serverLog = tmp.resolve("server.log");
        List<Path> logs = new ArrayList<>();
        List<Process> sites = new ArrayList<>();
        Process server = withSite2Hanging(tmp, logs, sites, "600", "--round-timeout", "600", "--call-timeout", "600", "--rejoin-grace", "5",
                "--liveness-timeout", "2");
        try {
            exitsZero(server, serverLog, 300);
            String hung = read(logs.get(1));
            assertTrue(hung.contains("hanging in FIT round 2"), tails(logs.get(1)));
            assertFalse(hung.contains("woke up"), "the run ended while site 2's handler was still asleep: " + tails(logs.get(1)));
            String s = read(serverLog);
            assertTrue(s.contains("site 'synthetic-2' is stuck: no progress on FIT round 2 for "), tails(serverLog));
            assertTrue(s.contains("its handler's CPU time stood still at "), "site 2 kept reporting, with no growth: " + tails(serverLog));
            assertFalse(s.contains("site 'synthetic-1' is stuck") || s.contains("site 'synthetic-3' is stuck"),
                    "sites that train report growing CPU time: " + tails(serverLog));
            List<JsonNode> events = events(run.resolve("fedavg/seed-0/metrics.jsonl"));
            assertTrue(events.stream().anyMatch(e -> e.path("event").asText().equals("failure") && e.path("site").asText().equals("synthetic-2")
                    && e.path("round").asInt() == 2 && e.path("phase").asText().equals("fit") && !e.path("permanent").asBoolean()),
                    "site 2 skipped in round 2: " + events);
            for (int round = 2; round <= 3; round++) {
                int r = round;
                assertEquals(List.of("synthetic-1", "synthetic-3"), events.stream().filter(e -> e.path("event").asText().equals("upload")
                        && e.path("round").asInt() == r).map(e -> e.path("site").asText()).toList(), "round " + round + " aggregates the two live sites");
            }
            assertTrue(Files.exists(run.resolve("results.md")));
        } finally {
            for (Process p : sites) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void aSiteKilledMidRoundIsSkippedAndRejoinsWithItsState(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, yaml(4, "pfl-resfim"));
        Path run = tmp.resolve("run");
        Path serverLog = tmp.resolve("server.log");
        Process server = java(serverLog, "server", "--config", cfg.toString(), "--out", run.toString(), "--host", "127.0.0.1", "--port", "0",
                "--insecure", "--wait-for-sites", "120", "--rejoin-grace", "60");
        String address = "127.0.0.1:" + awaitPort(run, serverLog);
        List<Process> sites = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        for (String s : SITES) {
            Path log = tmp.resolve(s + ".log");
            logs.add(log);
            sites.add(java(log, "client", "--server", address, "--config", cfg.toString(), "--site", s, "--insecure",
                    "--state", tmp.resolve("state-" + s).toString(), "--threads", "1", "--max-backoff", "1"));
        }
        Path log2 = logs.get(1);
        await("site 2 training in round 2", 120, () -> read(log2).contains("FIT round 2 started"), serverLog, log2);
        sites.get(1).destroyForcibly(); // SIGKILL in the middle of its round-2 training
        assertTrue(sites.get(1).waitFor(30, TimeUnit.SECONDS));
        Path again = tmp.resolve("synthetic-2-restarted.log");
        Process restarted = java(again, "client", "--server", address, "--config", cfg.toString(), "--site", "synthetic-2", "--insecure",
                "--state", tmp.resolve("state-synthetic-2").toString(), "--threads", "1", "--max-backoff", "1");
        exitsZero(server, serverLog, 150);
        exitsZero(restarted, again, 30);
        exitsZero(sites.get(0), logs.get(0), 30);
        exitsZero(sites.get(2), logs.get(2), 30);

        String s = read(serverLog);
        assertTrue(s.contains("WARNING: running WITHOUT TLS"), s);
        assertTrue(read(logs.get(0)).contains("WARNING: connecting WITHOUT TLS"));
        assertTrue(s.contains("site 'synthetic-2' rejoined: restoring its state after round 1"), tails(serverLog));
        assertTrue(read(again).contains("restoring this site's state saved after round 1"), tails(again));
        Path metrics = run.resolve("pfl-resfim/seed-0/metrics.jsonl");
        List<JsonNode> events = events(metrics);
        assertTrue(events.stream().anyMatch(e -> e.path("event").asText().equals("failure") && e.path("site").asText().equals("synthetic-2")
                && e.path("round").asInt() == 2 && !e.path("permanent").asBoolean()), "site 2 skipped in round 2: " + events);
        for (int round = 1; round <= 4; round++) {
            int r = round;
            long evaluated = events.stream().filter(e -> e.path("event").asText().equals("evaluate") && e.path("round").asInt() == r).count();
            assertEquals(3, evaluated, "round " + round + ": every site evaluated (site 2 after rejoining)");
        }
        assertFalse(events.stream().anyMatch(e -> e.path("event").asText().equals("fit") && e.path("site").asText().equals("synthetic-2")
                && e.path("round").asInt() == 2), "site 2 did not train in round 2");
        assertTrue(Files.exists(run.resolve("results.csv")));
    }
}
