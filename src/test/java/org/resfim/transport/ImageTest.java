package org.resfim.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.cli.Main;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The OCI image that {@code deploy/build-image.sh} builds ({@code target/resfim-image.tar}, or the file named by
 * {@code RESFIM_IMAGE}). Its configuration carries the offline flags and its layers the PyTorch native jar; podman
 * runs it without any network, where it loads libtorch from its own jar (nothing downloaded) and trains; and
 * {@code deploy/compose.yaml} — a server and three sites over mutual TLS, each with its own certificate folder —
 * run by podman-compose ends with the table {@code simulate} gives for the same configuration and seed.
 *
 * <p>Building the image takes minutes and reaches Debian's archive and Maven Central, and running it needs podman,
 * so the suite does not: without the image (or without podman for the runs) this test skips, and with
 * {@code RESFIM_REQUIRE_IMAGE=1} it fails instead (README, "Deploy across hospitals", says how to run it).
 */
class ImageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TINY = """
            name: tiny
            seed: 0
            seeds: [0]
            data:
              synthetic: {sites: 3, samples: 10, size: 32}
              split: {train: 0.6, val: 0.2, test: 0.2}
            federation: {rounds: 2}
            method:
              list: [pfl-resfim, fedavg]
              pfl-resfim: {samples: 4, every: 2, warmup: 1}
            resfim: {variant: resfim}   # the residual, so the tests exercise the style bank (the default is fim)
            training: {batch_size: 4, lr: 0.003}
            model: {width: 4, depth: 3, init: kaiming-fan-out}
            """;

    private static boolean required() {
        return "1".equals(System.getenv("RESFIM_REQUIRE_IMAGE"));
    }

    private static String run(Path dir, Map<String, String> env, long seconds, List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), String.join(" ", cmd));
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + text);
        return text;
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void theImageRunsOfflineAndTheComposeFileDeploysAFederation(@TempDir Path tmp) throws Exception {
        String given = System.getenv("RESFIM_IMAGE");
        Path image = Path.of(given != null && !given.isBlank() ? given : "target/resfim-image.tar").toAbsolutePath();
        if (!Files.isRegularFile(image)) {
            assertFalse(required(), "RESFIM_REQUIRE_IMAGE=1 but there is no image at " + image + " (deploy/build-image.sh builds it)");
            Assumptions.abort("no image at " + image + " (deploy/build-image.sh builds it)");
        }
        // what is in it: entrypoint, environment, the native library
        Path archive = Files.createDirectories(tmp.resolve("archive"));
        run(tmp, Map.of(), 300, List.of("tar", "-xf", image.toString(), "-C", archive.toString()));
        JsonNode manifest = JSON.readTree(archive.resolve("manifest.json").toFile()).get(0);
        String tag = manifest.path("RepoTags").get(0).asText();
        assertTrue(tag.startsWith("resfim:"), manifest.toString());
        JsonNode c = JSON.readTree(archive.resolve(manifest.path("Config").asText()).toFile()).path("config");
        List<String> entrypoint = new ArrayList<>();
        c.path("Entrypoint").forEach(n -> entrypoint.add(n.asText()));
        assertEquals("java", entrypoint.get(0), entrypoint.toString());
        assertTrue(entrypoint.contains("-Dai.djl.offline=true") && entrypoint.contains("-DOPT_OUT_TRACKING=true"),
                "DJL offline and no tracking, before anything loads: " + entrypoint);
        assertEquals("org.resfim.cli.Main", entrypoint.get(entrypoint.size() - 1), entrypoint.toString());
        List<String> env = new ArrayList<>();
        c.path("Env").forEach(n -> env.add(n.asText()));
        assertTrue(env.containsAll(List.of("OPT_OUT_TRACKING=true", "MKL_CBWR=COMPATIBLE", "DJL_CACHE_DIR=/var/cache/resfim/djl")), env.toString());
        assertTrue(c.path("ExposedPorts").has("7443/tcp"), c.toString());
        List<String> files = new ArrayList<>();
        for (JsonNode layer : manifest.path("Layers")) {
            files.addAll(run(tmp, Map.of(), 300, List.of("tar", "--warning=no-unknown-keyword", "-tzf", archive.resolve(layer.asText()).toString())).lines().toList());
        }
        assertTrue(files.stream().anyMatch(f -> f.matches("app/libs/pytorch-native-cpu-.*-linux-x86_64\\.jar")), "libtorch is in the image");
        assertTrue(files.stream().anyMatch(f -> f.equals("app/classpath/resfim.jar")), "ResFIM's jar");
        assertTrue(files.stream().anyMatch(f -> f.matches("\\.?/?usr/lib/jvm/java-17-openjdk-amd64/bin/java")), "the JRE of the base");
        assertFalse(files.stream().anyMatch(f -> f.contains("var/cache/resfim/djl/")), "nothing unpacked at build time");

        if (!onPath("podman") || !onPath("podman-compose")) {
            assertFalse(required(), "RESFIM_REQUIRE_IMAGE=1 needs podman and podman-compose (apt-get install podman podman-compose runc)");
            Assumptions.abort("no podman / podman-compose to run the image");
        }
        // On the development machines root lacks CAP_SYS_RESOURCE (podman's default ulimits cannot be set) and the
        // cgroups are a v1/v2 hybrid that crun refuses: no default ulimits, and runc where it is installed.
        Path conf = tmp.resolve("containers.conf");
        Files.writeString(conf, "[containers]\ndefault_ulimits = []\n" + (onPath("runc") ? "\n[engine]\nruntime = \"runc\"\n" : ""));
        Map<String, String> podman = Map.of("CONTAINERS_CONF", conf.toString());
        run(tmp, podman, 600, List.of("podman", "load", "-i", image.toString()));

        // no network at all and an empty DJL cache: libtorch comes from the image's jar, and it trains
        Path work = Files.createDirectories(tmp.resolve("work"));
        Files.writeString(work.resolve("tiny.yaml"), TINY);
        String version = run(tmp, podman, 300, List.of("podman", "run", "--rm", "--network", "none", tag, "version"));
        assertTrue(version.contains("offline=true") && version.contains("libtorch 2.7.1"), version);
        String simulated = run(tmp, podman, 600, List.of("podman", "run", "--rm", "--network", "none", "-v", work + ":/work", tag,
                "simulate", "--config", "tiny.yaml", "--out", "sim")); // all cores, as the compose file's sites: the same float reductions
        assertTrue(Files.isRegularFile(work.resolve("sim/results.csv")), simulated);

        // the compose file as shipped, with the tiny federation and development certificates for host 'server'
        Path deploy = Files.createDirectories(tmp.resolve("deploy"));
        Files.writeString(deploy.resolve("compose.yaml"), Files.readString(Path.of("deploy/compose.yaml")).replace("image: resfim:0.1.0", "image: " + tag));
        Files.writeString(deploy.resolve("federation.yaml"), TINY);
        Path all = deploy.resolve("pki/all");
        List<String> sites = List.of("synthetic-1", "synthetic-2", "synthetic-3");
        assertEquals(0, Main.execute("certs", "--out", all.toString(), "--sites", String.join(",", sites), "--hosts", "server"));
        copy(all, deploy.resolve("pki/server"), "ca.pem", "server.pem", "server-key.pem", "allowlist.txt");
        for (String s : sites) {
            copy(all, deploy.resolve("pki").resolve(s), "ca.pem", "site-" + s + ".pem", "site-" + s + "-key.pem");
        }
        List<String> compose = List.of("podman-compose", "-p", "resfim-image-test", "-f", "compose.yaml");
        try {
            run(deploy, podman, 600, concat(compose, "up", "-d"));
            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
            List<String> states;
            do {
                Thread.sleep(2000);
                states = run(deploy, podman, 60, List.of("podman", "ps", "-a", "--filter", "label=io.podman.compose.project=resfim-image-test",
                        "--format", "{{.Names}} {{.Exited}} {{.ExitCode}}")).lines().filter(l -> !l.isBlank()).toList();
            } while ((states.size() < 4 || states.stream().anyMatch(l -> !l.contains(" true "))) && System.nanoTime() < end);
            String logs = run(deploy, podman, 60, concat(compose, "logs"));
            assertEquals(4, states.size(), states + "\n" + logs);
            for (String state : states) {
                assertTrue(state.endsWith(" true 0"), "every container ends well: " + states + "\n" + logs);
            }
            assertTrue(logs.contains("with mutual TLS"), logs);
            Path run = deploy.resolve("runs/fed1");
            assertEquals(DeploymentTest.table(work.resolve("sim")), DeploymentTest.table(run),
                    "the compose deployment gives the table simulate gives for the same configuration and seed");
        } finally {
            run(deploy, podman, 300, concat(compose, "down", "-v"));
        }
    }

    private static List<String> concat(List<String> a, String... b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(List.of(b));
        return l;
    }

    private static void copy(Path from, Path to, String... names) throws IOException {
        Files.createDirectories(to);
        for (String n : names) {
            Files.copy(from.resolve(n), to.resolve(n), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES); // keys stay 0600
        }
    }
}
