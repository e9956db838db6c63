package org.resfim.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.cli.Main;
import org.resfim.run.html.RunResults;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A study as cells (#20): {@code simulate --plan-only} writes the plan and trains nothing; every cell then runs as its
 * own process, all at once, in one run directory; the merged directory holds the same tables, number for number, as
 * the one-process run of the same plan.
 */
class CellsTest {
    /** 2 methods × 1 seed × 2 folds = 4 cells. */
    private static Path config(Path dir) throws Exception {
        Path f = dir.resolve("cells.yaml");
        Files.writeString(f, TinyRuns.yaml(2) + "evaluation: {folds: 2}\n");
        return f;
    }

    @Test
    void cellsRunAsParallelProcessesMergeToTheOneProcessRun(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp);
        Path cells = tmp.resolve("cells");
        assertEquals(0, Main.execute("simulate", "--config", cfg.toString(), "--out", cells.toString(), "--threads", "1", "--plan-only"));
        assertTrue(Files.isRegularFile(cells.resolve("config.resolved.json")));
        assertTrue(Files.isRegularFile(cells.resolve("run.json")));
        assertTrue(Files.isRegularFile(cells.resolve("manifests/seed-0.json")));
        assertFalse(Files.exists(cells.resolve("pfl-resfim")), "--plan-only trains nothing");
        assertFalse(Files.exists(cells.resolve("results.md")));
        assertEquals(4, RunResults.read(cells).missingCells().size());

        // every cell in its own JVM, all at the same time
        List<Process> procs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx768m",
                    "-cp", System.getProperty("java.class.path"), "org.resfim.cli.Main",
                    "simulate", "--resume", cells.toString(), "--cell", i == 3 ? "fedavg/0/1" : Integer.toString(i));
            procs.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("cell-" + i + ".log").toFile()).start());
        }
        for (int i = 0; i < procs.size(); i++) {
            assertTrue(procs.get(i).waitFor(10, TimeUnit.MINUTES), "cell " + i + " did not end");
            assertEquals(0, procs.get(i).exitValue(), "cell " + i + ":\n" + Files.readString(tmp.resolve("cell-" + i + ".log")));
        }
        assertTrue(Files.isRegularFile(cells.resolve("results.md")), "the last cell to complete writes the tables");
        assertTrue(RunResults.read(cells).missingCells().isEmpty());

        Path straight = tmp.resolve("straight");
        assertEquals(0, Main.execute("simulate", "--config", cfg.toString(), "--out", straight.toString(), "--threads", "1"));
        assertEquals(TinyRuns.table(straight), TinyRuns.table(cells));
        assertEquals(resultTables(straight), resultTables(cells));
        assertTrue(TinyRuns.table(cells).lines().count() > 2, "a table with rows");
    }

    /** results.md from its title to the cost section (which holds wall-clock times). */
    static String resultTables(Path run) throws Exception {
        String md = Files.readString(run.resolve("results.md"));
        int end = md.indexOf("## Cost");
        assertTrue(end > 0, md);
        return md.substring(0, end);
    }

    @Test
    void reportNamesTheMissingCellsAndTabulatesTheFinishedOnes(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp);
        Path run = tmp.resolve("run");
        assertEquals(0, Main.execute("simulate", "--config", cfg.toString(), "--out", run.toString(), "--threads", "1", "--plan-only"));
        assertEquals(0, Main.execute("simulate", "--resume", run.toString(), "--cell", "fedavg/0/0"));
        assertFalse(Files.exists(run.resolve("results.md")), "3 cells still to run");
        RunResults r = RunResults.read(run);
        assertEquals(List.of("pfl-resfim/0/0", "pfl-resfim/0/1", "fedavg/0/1"), r.missingCells().stream().map(Cell::id).toList());
        assertTrue(r.table().markdown().contains("fedavg"));

        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.execute("report", run.toString(), "--examples", "0"));
            assertEquals(0, Main.execute("compare", run.toString()));
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("3 of 4 cells missing"), text);
        assertTrue(text.contains("pfl-resfim/0/0 (index 0)") && text.contains("fedavg/0/1 (index 3)"), text);
        assertTrue(Files.readString(run.resolve("report.html")).contains("3 of 4 cells missing"));
    }

    @Test
    void aKilledCellResumesFromItsOwnCheckpoint(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("one.yaml");
        Files.writeString(cfg, TinyRuns.yaml(4));
        Path run = tmp.resolve("run");
        assertEquals(0, Main.execute("simulate", "--config", cfg.toString(), "--methods", "fedavg,local", "--out", run.toString(), "--threads", "1",
                "--plan-only"));
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx768m",
                "-cp", System.getProperty("java.class.path"), "org.resfim.cli.Main", "simulate", "--resume", run.toString(), "--cell", "fedavg/0");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("cell.log").toFile()).start();
        Path metrics = run.resolve("fedavg/seed-0/metrics.jsonl");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline && p.isAlive()) { // kill after round 1, before round 4
            if (Files.exists(metrics) && Files.readAllLines(metrics).stream().filter(l -> l.contains("\"event\":\"evaluate\"")).count() >= 4) {
                break;
            }
            Thread.sleep(20);
        }
        assertTrue(p.isAlive(), "the cell finished before it could be killed:\n" + Files.readString(tmp.resolve("cell.log")));
        p.destroyForcibly(); // SIGKILL
        p.waitFor(30, TimeUnit.SECONDS);
        assertEquals(List.of("fedavg/0/0", "local/0/0"), RunResults.read(run).missingCells().stream().map(Cell::id).toList());

        assertEquals(0, Main.execute("simulate", "--resume", run.toString(), "--cell", "1"));
        assertEquals(0, Main.execute("simulate", "--resume", run.toString(), "--cell", "0"), "the killed cell continues");
        assertEquals(4 * 3, Files.readAllLines(metrics).stream().filter(l -> l.contains("\"event\":\"evaluate\"")).count(), "every round once");
        Path straight = tmp.resolve("straight");
        assertEquals(0, Main.execute("simulate", "--config", cfg.toString(), "--methods", "fedavg,local", "--out", straight.toString(), "--threads", "1"));
        assertEquals(TinyRuns.table(straight), TinyRuns.table(run));
    }

    @Test
    void badCellsAndABusyCellAreRefusedWithTheirName(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp);
        Path run = tmp.resolve("run");
        assertEquals(0, Main.execute("simulate", "--config", cfg.toString(), "--out", run.toString(), "--threads", "1", "--plan-only"));
        List<Cell> cells = RunResults.read(run).cells();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cell.find(cells, "4"));
        assertTrue(e.getMessage().contains("--cell 4") && e.getMessage().contains("0 to 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Cell.find(cells, "fedprox/0/0"));
        assertTrue(e.getMessage().contains("'fedprox/0/0'"), e.getMessage());
        assertEquals(2, Cell.find(cells, "pfl-resfim/0/1").index());
        assertEquals(1, Cell.find(cells, " 1 ").index());
        assertNotEquals(0, Main.execute("simulate", "--resume", run.toString(), "--cell", "9"));
        assertNotEquals(0, Main.execute("simulate", "--config", cfg.toString(), "--cell", "0"), "--cell needs --resume");
        assertNotEquals(0, Main.execute("simulate", "--resume", run.toString(), "--plan-only"));

        // a cell another process holds is refused, naming it; nothing of it is trained
        Path cellDir = run.resolve("fedavg/seed-0/fold-0");
        Files.createDirectories(cellDir);
        try (FileChannel ch = FileChannel.open(cellDir.resolve(".cell.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            PrintStream oldErr = System.err;
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            try {
                assertNotEquals(0, Main.execute("simulate", "--resume", run.toString(), "--cell", "1"));
            } finally {
                System.setErr(oldErr);
            }
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("cell fedavg/0/0 is running in another process"), err.toString());
            assertFalse(Files.exists(cellDir.resolve("metrics.jsonl")));
        }
        // a directory without a plan
        Path empty = tmp.resolve("empty");
        Files.createDirectories(empty);
        assertNotEquals(0, Main.execute("simulate", "--resume", empty.toString(), "--cell", "0"));
    }
}
