package org.resfim.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.cli.Main;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A simulation killed with SIGKILL in the middle of a run continues with {@code simulate --resume} and ends
 * with the same final table as an uninterrupted run of the same seed.
 */
class ResumeTest {
    /**
     * The flagship (masks, style bank, optimizer state) and a method with a second model. Runs used to differ
     * occasionally here, blamed on restoring pFL-ResFIM; the cause was garbage-collection timing reaching the
     * backward pass, in every method (fixed, see GarbageCollectionTest).
     */
    static final String METHODS = "pfl-resfim,ditto";

    @Test
    void killedRunResumesToTheSameTable(@TempDir Path tmp) throws Exception {
        Path cfg = TinyRuns.config(tmp, 5);
        Path killed = tmp.resolve("killed");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "-cp", System.getProperty("java.class.path"), "org.resfim.cli.Main",
                "simulate", "--config", cfg.toString(), "--methods", METHODS, "--out", killed.toString(), "--threads", "1");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        Path metrics = killed.resolve("pfl-resfim/seed-0/metrics.jsonl");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        // kill in the middle of round 3 of the first method: after some, not all, sites evaluated round 2
        while (System.nanoTime() < deadline && p.isAlive()) {
            if (Files.exists(metrics) && Files.readAllLines(metrics).stream().filter(l -> l.contains("\"event\":\"evaluate\"")).count() >= 7) {
                break;
            }
            Thread.sleep(20);
        }
        assertTrue(p.isAlive(), "the child finished before it could be killed:\n" + Files.readString(tmp.resolve("child.log")));
        p.destroyForcibly(); // SIGKILL
        p.waitFor(30, TimeUnit.SECONDS);
        assertFalse(Files.exists(killed.resolve("results.csv")), "killed before the end");

        assertEquals(0, Main.execute("simulate", "--resume", killed.toString()));
        assertEquals(0, Main.execute("simulate", "--config", cfg.toString(), "--methods", METHODS, "--out", tmp.resolve("straight").toString(),
                "--threads", "1"));
        assertEquals(TinyRuns.table(tmp.resolve("straight")), TinyRuns.table(killed));
        // the resumed metrics log holds every round exactly once
        long evals = Files.readAllLines(metrics).stream().filter(l -> l.contains("\"event\":\"evaluate\"")).count();
        assertEquals(5 * 3, evals);
    }

    @Test
    void resumeOfAFolderThatIsNotARunIsRefused(@TempDir Path tmp) {
        assertNotEquals(0, Main.execute("simulate", "--resume", tmp.toString()));
    }
}
