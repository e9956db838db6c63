package org.resfim.run.html;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Debian's chromium, headless, networking off (and, where permitted, in a network namespace with no network at
 * all), for the tests that open a report in a real browser.
 */
public final class Browser {
    private static Boolean noNetwork;

    private Browser() {
    }

    /** The chromium on the PATH, or null; fails when RESFIM_REQUIRE_BROWSER=1 (CI) and there is none. */
    public static String find() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        if ("1".equals(System.getenv("RESFIM_REQUIRE_BROWSER"))) {
            fail("RESFIM_REQUIRE_BROWSER=1 but no chromium on the PATH (apt-get install chromium)");
        }
        return null;
    }

    /** Runs {@code chromium} with {@code args} and a profile in {@code work}; returns its standard output. */
    public static String run(String chromium, Path work, String profile, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (noNetwork == null) {
            noNetwork = runs("unshare", "-n", "true");
        }
        if (noNetwork) {
            cmd.addAll(List.of("unshare", "-n"));
        }
        cmd.addAll(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--host-resolver-rules=MAP * ~NOTFOUND", "--user-data-dir=" + work.resolve(profile)));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile(work, "chromium", ".log");
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish in 90 s: " + Files.readString(log));
        }
        assertEquals(0, p.exitValue(), "chromium failed: " + Files.readString(log));
        return new String(out, StandardCharsets.UTF_8);
    }

    /** The DOM of {@code page} once loaded (scripts run). */
    public static String dom(String chromium, Path work, Path page) throws Exception {
        return run(chromium, work, Files.createTempDirectory(work, "profile-dom-").getFileName().toString(), "--virtual-time-budget=10000", "--dump-dom", page.toUri().toString());
    }

    private static boolean runs(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
