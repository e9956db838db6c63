package org.resfim.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * DJL never downloads: a child JVM with NO network (a fresh network namespace via unshare -n) and an
 * EMPTY DJL cache loads libtorch from the bundled native jar, builds the U-Net and answers. Where unshare is not
 * permitted it runs with the network and says so; CI sets RESFIM_REQUIRE_OFFLINE=1, so there it fails instead.
 */
class OfflineTest {

    @Test
    void runsWithoutNetworkAndWithAnEmptyDjlCache(@TempDir Path cache) throws Exception {
        boolean canUnshare = runs("unshare", "-n", "true");
        if (!canUnshare && "1".equals(System.getenv("RESFIM_REQUIRE_OFFLINE"))) {
            fail("unshare -n is not permitted here, so the run would have the network: CI sets RESFIM_REQUIRE_OFFLINE=1 "
                    + "and must run this test without network");
        }
        List<String> cmd = new ArrayList<>();
        if (canUnshare) {
            cmd.addAll(List.of("unshare", "-n"));
        }
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.resfim.cli.Main", "version"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DJL_CACHE_DIR", cache.toString());
        pb.environment().put("ENGINE_CACHE_DIR", cache.toString());
        pb.environment().remove("OPT_OUT_TRACKING"); // the code must set it itself
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("libtorch 2.7.1"), out);
        assertTrue(out.contains("offline=true"), out);
        try (var files = Files.walk(cache)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("libtorch")),
                    "libtorch extracted from the bundled jar into the empty cache");
        }
        if (!canUnshare) {
            System.err.println("OfflineTest: unshare -n not permitted here; ran with the network present");
        }
    }

    @Test
    void offlineSwitchesAreSetBeforeDjlLoads() {
        // Main's static initialiser runs before any DJL class: the properties are set by then.
        new Main();
        assertEquals("true", System.getProperty("ai.djl.offline"));
        assertEquals("true", System.getProperty("OPT_OUT_TRACKING"));
        assertTrue(org.resfim.engine.Djl.offline());
    }

    private static boolean runs(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
