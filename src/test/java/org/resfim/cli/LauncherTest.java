package org.resfim.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.run.TinyRuns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The {@code resfim} launcher as a user runs it (over the classes Maven compiled, via RESFIM_CLASSPATH, so no
 * build happens inside the test): stderr carries ResFIM's own lines and none of libtorch's log noise.
 */
class LauncherTest {
    static final Path LAUNCHER = Path.of("resfim").toAbsolutePath();
    /** libtorch's C++ log line: [W1201 15:02:36.123456 NNPACK.cpp:57] ... (also E and I levels). */
    static final Pattern LIBTORCH_LOG = Pattern.compile("(?m)^\\[[WEI]\\d{4} [^]]*\\.(cpp|h):\\d+\\]");

    record Run(int code, String out, String err) {
    }

    static Run launch(Map<String, String> env, String... args) throws IOException, InterruptedException {
        // The launcher execs java with stderr through a filter process that may write its last lines after java has
        // exited. A shell reading the pipe sees them (it reads to the end), but the JDK drains a child's pipes once
        // the child exits and drops what comes later; so, as a shell user would, read through a pipe to the end:
        // the wrapper waits for `cat`, which ends when the filter does, and passes on the launcher's exit code.
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "exec 3>&1; bash \"$0\" \"$@\" 2>&1 1>&3 3>&- | cat >&2 3>&-; exit ${PIPESTATUS[0]}",
                LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("RESFIM_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("RESFIM_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        pb.environment().put("RESFIM_JAVA_OPTS", "-Xmx1g");
        pb.environment().remove("OMP_WAIT_POLICY");
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "launcher timed out");
        return new Run(p.exitValue(), out, new String(err.join(), StandardCharsets.UTF_8));
    }

    @Test
    void dropsExactlyLibtorchsNnpackLineAndKeepsEverythingElseAndTheExitCode(@TempDir Path tmp) throws Exception {
        // A stand-in for java that writes what libtorch writes on a CPU NNPACK does not know, between lines of ours.
        Path fake = tmp.resolve("fake-java");
        Files.writeString(fake, """
                #!/usr/bin/env bash
                echo "stdout line"
                echo "resfim: warning: a warning of ResFIM's own" >&2
                for i in 1 2 3; do
                  echo "[W1201 15:02:36.123456789 NNPACK.cpp:57] Could not initialize NNPACK! Reason: Unsupported hardware." >&2
                done
                echo "[W1201 15:02:36.1 /pytorch/aten/src/ATen/native/NNPACK.cpp:61] Could not initialize NNPACK! Reason: Out of memory." >&2
                echo "[W1201 15:02:37.000 Conv.cpp:10] another libtorch warning, not NNPACK's: kept" >&2
                echo "a line mentioning Could not initialize NNPACK! Reason: but not libtorch's: kept" >&2
                echo "error: the last line" >&2
                exit 3
                """);
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        Run r = launch(Map.of("RESFIM_JAVA", fake.toString()), "simulate");
        assertEquals(3, r.code(), "the exit code of java passes through");
        assertEquals("stdout line\n", r.out());
        assertEquals("""
                resfim: warning: a warning of ResFIM's own
                [W1201 15:02:37.000 Conv.cpp:10] another libtorch warning, not NNPACK's: kept
                a line mentioning Could not initialize NNPACK! Reason: but not libtorch's: kept
                error: the last line
                """, r.err());
    }

    @Test
    void theBusyMachineNoteComesOnlyFromCommandsThatStartLibtorch(@TempDir Path tmp) throws Exception {
        Path busy = tmp.resolve("loadavg");
        Files.writeString(busy, "64.00 64.00 64.00 3/300 12345\n");
        Map<String, String> env = Map.of("RESFIM_LOADAVG", busy.toString());
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"config", "explain"}, new String[] {"simulate", "--help"})) {
            Run r = launch(env, args);
            assertEquals(0, r.code(), String.join(" ", args) + ": " + r.err());
            assertFalse(r.err().contains("OMP_WAIT_POLICY"), String.join(" ", args) + " never starts libtorch: " + r.err());
        }
        Run v = launch(env, "version");
        assertEquals(0, v.code(), v.err());
        assertTrue(v.err().contains("resfim: the machine is busy (load 64.00 on "), v.err());
        assertTrue(v.err().contains("OMP_WAIT_POLICY=PASSIVE"), v.err());
        Files.writeString(busy, "0.00 0.00 0.00 1/300 12345\n");
        assertFalse(launch(env, "version").err().contains("OMP_WAIT_POLICY"), "an idle machine keeps the default policy silently");
    }

    @Test
    void aPflResFimRunPrintsNoLibtorchWarning(@TempDir Path tmp) throws Exception {
        // pFL-ResFIM's per-sample passes (batches of one) are where libtorch considers NNPACK.
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, TinyRuns.yaml(2));
        Run r = launch(Map.of(), "simulate", "--config", cfg.toString(), "--methods", "pfl-resfim", "--threads", "1",
                "--out", tmp.resolve("run").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| pfl-resfim |"), r.out());
        assertFalse(LIBTORCH_LOG.matcher(r.err()).find(), "libtorch log lines on stderr:\n" + r.err());
        assertFalse(r.err().contains("NNPACK"), r.err());
    }
}
