package org.resfim.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.cli.Main;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The job array of {@code resfim sweep slurm} on a real Slurm (RESFIM_SLURM=1: a running cluster, e.g. the one-node
 * cluster of deploy/slurm-single-node.sh, which .ci/run starts): every cell runs as an array task, and the merged run
 * directory holds the one-process run's table, number for number.
 */
@EnabledIfEnvironmentVariable(named = "RESFIM_SLURM", matches = "1")
class SlurmClusterTest {
    @Test
    void theJobArrayMergesToTheOneProcessRun(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("c.yaml");
        Files.writeString(cfg, TinyRuns.yaml(2) + "evaluation: {folds: 2}\n");
        Path run = tmp.resolve("slurm-run");
        assertEquals(0, Main.execute("simulate", "--config", cfg.toString(), "--out", run.toString(), "--threads", "1", "--plan-only"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java") + " -Xmx768m -cp " + System.getProperty("java.class.path")
                + " org.resfim.cli.Main";
        assertEquals(0, Main.execute("sweep", "slurm", run.toString(), "--resfim", java));
        Path script = run.resolve("sweep/slurm.sbatch");
        Process p = new ProcessBuilder("sbatch", "--wait", script.toString()).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("sbatch.log").toFile()).start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "the array did not end in 10 minutes");
        StringBuilder logs = new StringBuilder(Files.readString(tmp.resolve("sbatch.log")));
        for (int i = 0; i < 4; i++) {
            Path log = run.resolve("sweep/logs/cell-" + i + ".log");
            logs.append("\n--- cell ").append(i).append('\n').append(Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no log)");
        }
        assertEquals(0, p.exitValue(), logs.toString());
        for (int i = 0; i < 4; i++) {
            assertTrue(Files.isRegularFile(run.resolve("sweep/logs/cell-" + i + ".log")), "a log per cell");
        }
        assertTrue(Files.isRegularFile(run.resolve("results.csv")), logs.toString());
        Path straight = tmp.resolve("straight");
        assertEquals(0, Main.execute("simulate", "--config", cfg.toString(), "--out", straight.toString(), "--threads", "1"));
        assertEquals(TinyRuns.table(straight), TinyRuns.table(run));
        assertEquals(CellsTest.resultTables(straight), CellsTest.resultTables(run));
        assertEquals(List.of(), org.resfim.run.html.RunResults.read(run).missingCells());
    }
}
