package org.resfim.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.cli.Main;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real processes on 127.0.0.1. The server runs with no DJL jar on its class path (so neither DJL nor libtorch can be
 * loaded in it) and still coordinates a federation of three sites to the simulation's table: the coordinator side,
 * initial model included, is engine-free. Its read-only health endpoint shows the run's figures change as it
 * proceeds, counts a refused site, and refuses writes.
 */
class EngineFreeServerTest {
    private static final List<String> SITES = List.of("synthetic-1", "synthetic-2", "synthetic-3");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<Process> children = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        for (Process p : children) {
            p.destroyForcibly();
        }
    }

    /** The test class path without the DJL jars (group ids ai.djl and ai.djl.pytorch: API, engine, JNI, native library). */
    static List<String> withoutDjl(List<String> classPath) {
        String marker = File.separator + "ai" + File.separator + "djl" + File.separator;
        return classPath.stream().filter(e -> !e.contains(marker)).toList();
    }

    private Process java(Path log, List<String> classPath, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-XX:TieredStopAtLevel=1", "-cp", String.join(File.pathSeparator, classPath), "org.resfim.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("MKL_CBWR", "COMPATIBLE");
        Process p = pb.start();
        children.add(p);
        return p;
    }

    private static String read(Path f) {
        try {
            return Files.exists(f) ? Files.readString(f) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void await(String what, long seconds, java.util.function.BooleanSupplier done, Path log) throws Exception {
        DeploymentTest.await(what, seconds, done, log);
    }

    @Test
    void aServerWithoutDjlRunsTheFederationAndServesItsProgressReadOnly(@TempDir Path tmp) throws Exception {
        List<String> full = Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
        List<String> engineFree = withoutDjl(full);
        assertTrue(full.size() - engineFree.size() >= 4, "the DJL API, engine, JNI and native jars are left out: " + full);
        URL[] urls = new URL[engineFree.size()];
        for (int i = 0; i < urls.length; i++) {
            urls[i] = Path.of(engineFree.get(i)).toUri().toURL();
        }
        try (URLClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader())) {
            assertThrows(ClassNotFoundException.class, () -> loader.loadClass("ai.djl.engine.Engine"), "no DJL on the server's class path");
            assertThrows(ClassNotFoundException.class, () -> loader.loadClass("ai.djl.pytorch.jni.LibUtils"), "nothing that loads libtorch");
            assertNotNull(loader.loadClass("org.resfim.transport.ServerRuntime"));
        }

        Path cfg = tmp.resolve("tiny.yaml");
        // Kaiming fan-out: the tiny network learns something in 3 rounds, so equal tables compare real numbers
        Files.writeString(cfg, DeploymentTest.yaml(3, "pfl-resfim, fedavg").replace("model: {width: 4, depth: 3}",
                "model: {width: 4, depth: 3, init: kaiming-fan-out}"));
        Path run = tmp.resolve("run");
        Path serverLog = tmp.resolve("server.log");
        Process server = java(serverLog, engineFree, "server", "--config", cfg.toString(), "--out", run.toString(), "--host", "127.0.0.1",
                "--port", "0", "--insecure", "--wait-for-sites", "120", "--health-port", "0");
        await("the health endpoint's address", 60, () -> Files.exists(run.resolve(ServerRuntime.HEALTH_ADDRESS_FILE)), serverLog);
        String health = read(run.resolve(ServerRuntime.HEALTH_ADDRESS_FILE)).strip();
        assertTrue(health.startsWith("127.0.0.1:"), "bound to this machine only unless configured: " + health);
        String address = read(run.resolve(ServerRuntime.ADDRESS_FILE)).strip();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        URI status = URI.create("http://" + health + HealthEndpoint.STATUS_PATH);
        URI metrics = URI.create("http://" + health + HealthEndpoint.METRICS_PATH);

        JsonNode before = JSON.readTree(http.send(HttpRequest.newBuilder(status).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertEquals(0, before.path("sites_connected").asInt(), before.toString());
        assertEquals(6, before.path("rounds_total").asInt(), "2 methods × 1 seed × 3 rounds: " + before);
        assertEquals(0, before.path("rounds_done").asInt(), before.toString());
        assertEquals(0, before.path("refusals").path("count").asInt(), before.toString());

        // writes are refused, whatever the path
        for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
            for (URI u : List.of(status, metrics)) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(u).method(method, HttpRequest.BodyPublishers.ofString("{\"round\": 99}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(405, r.statusCode(), method + " " + u);
                assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElse(""), method + " " + u);
            }
        }

        // a site that runs another plan is refused, and the endpoint counts it
        Path intruderLog = tmp.resolve("intruder.log");
        Process intruder = java(intruderLog, full, "client", "--server", address, "--config", cfg.toString(), "--site", "synthetic-1",
                "--rounds", "4", "--insecure", "--state", tmp.resolve("state-intruder").toString(), "--threads", "1", "--max-attempts", "1");
        assertTrue(intruder.waitFor(120, TimeUnit.SECONDS), read(intruderLog));
        assertNotEquals(0, intruder.exitValue(), read(intruderLog));
        JsonNode refused = JSON.readTree(http.send(HttpRequest.newBuilder(status).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertEquals(1, refused.path("refusals").path("count").asInt(), refused.toString());
        assertTrue(refused.path("refusals").path("last").asText().contains("runs a different plan"), refused.toString());

        List<Process> sites = new ArrayList<>();
        for (String s : SITES) {
            sites.add(java(tmp.resolve(s + ".log"), full, "client", "--server", address, "--config", cfg.toString(), "--site", s, "--insecure",
                    "--state", tmp.resolve("state-" + s).toString(), "--threads", "1", "--max-backoff", "1"));
        }
        // the operator's view while the run proceeds, until the server ends
        List<JsonNode> views = new ArrayList<>();
        String metricsMidRun = null;
        while (server.isAlive()) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(status).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                JsonNode v = JSON.readTree(r.body());
                views.add(v);
                if (metricsMidRun == null && v.path("sites_connected").asInt() == 3 && v.path("rounds_done").asInt() >= 1) {
                    metricsMidRun = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
                }
            } catch (IOException gone) {
                // the server closed the endpoint as it finished
            }
            Thread.sleep(25);
        }
        assertEquals(0, server.waitFor(), read(serverLog));
        for (int k = 0; k < sites.size(); k++) {
            assertTrue(sites.get(k).waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, sites.get(k).exitValue(), read(tmp.resolve(SITES.get(k) + ".log")));
        }
        String log = read(serverLog);
        assertFalse(log.contains("ai.djl") || log.contains("NoClassDefFoundError") || log.contains("libtorch"), log);
        assertTrue(read(run.resolve("provenance.json")).contains("not loaded (engine-free coordinator"), read(run.resolve("provenance.json")));

        // the figures changed as the run proceeded, and never went backwards
        assertFalse(views.isEmpty());
        Set<Integer> roundsDone = new TreeSet<>();
        Set<Integer> uploadRounds = new TreeSet<>();
        int lastDone = 0;
        for (JsonNode v : views) {
            int done = v.path("rounds_done").asInt();
            assertTrue(done >= lastDone, "rounds done went from " + lastDone + " to " + done);
            lastDone = done;
            roundsDone.add(done);
            JsonNode upload = v.path("site").path("synthetic-2").path("last_upload");
            if (upload.isObject()) {
                uploadRounds.add(upload.path("round").asInt());
                assertTrue(upload.path("bytes").asLong() > 0 && upload.path("accepted").asBoolean(), upload.toString());
                assertEquals("fit", upload.path("phase").asText(), upload.toString());
            }
            assertEquals(1, v.path("refusals").path("count").asInt(), "no further refusal: " + v);
        }
        assertTrue(roundsDone.size() >= 2, "rounds done seen: " + roundsDone + " in " + views.size() + " views");
        assertTrue(uploadRounds.size() >= 2, "synthetic-2's last upload seen at rounds " + uploadRounds);
        assertTrue(views.stream().anyMatch(v -> v.path("sites_connected").asInt() == 3
                && v.path("connected").toString().equals("[\"synthetic-1\",\"synthetic-2\",\"synthetic-3\"]")), views.get(views.size() - 1).toString());
        assertTrue(views.stream().anyMatch(v -> v.path("run").asText().equals("fedavg seed 0")), "the second method's progress was seen");

        assertNotNull(metricsMidRun, "a mid-run view with 3 sites connected");
        assertTrue(metricsMidRun.contains("\nresfim_sites_connected 3\n"), metricsMidRun);
        assertTrue(metricsMidRun.contains("\nresfim_rounds_total 6\n"), metricsMidRun);
        assertTrue(metricsMidRun.contains("\nresfim_refusals_total 1\n"), metricsMidRun);
        assertTrue(metricsMidRun.contains("\nresfim_site_connected{site=\"synthetic-3\"} 1\n"), metricsMidRun);
        assertTrue(metricsMidRun.matches("(?s).*\nresfim_site_last_upload_round\\{site=\"synthetic-1\"} [1-3]\n.*"), metricsMidRun);
        for (String line : metricsMidRun.split("\n")) {
            assertTrue(line.matches("# (HELP|TYPE) resfim_[a-z_]+ .+|resfim_[a-z_]+(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*})? -?[0-9.]+"),
                    "Prometheus text format: " + line);
        }

        // the engine-free coordinator started from the very initial model a simulation does: the same table
        Path sim = tmp.resolve("sim");
        assertEquals(0, Main.execute("simulate", "--config", cfg.toString(), "--out", sim.toString(), "--threads", "1"));
        assertEquals(DeploymentTest.table(sim), DeploymentTest.table(run), "deployment (engine-free server) and simulation give the same table");
    }
}
