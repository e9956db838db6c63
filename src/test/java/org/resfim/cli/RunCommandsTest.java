package org.resfim.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.report.html.TinyRun;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code simulate} ends with a report; {@code report} and {@code compare} on good and bad run directories. */
class RunCommandsTest {
    @TempDir
    static Path tmp;
    static Path run;
    static Cli.Result simulated;

    @BeforeAll
    static void simulate() throws Exception {
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, TinyRun.yaml(2));
        run = tmp.resolve("alpha");
        // libtorch's thread count is process-wide: a test must not leave it changed for the tests after it.
        simulated = Cli.run("simulate", "--config", cfg.toString(), "--out", run.toString(), "--threads", "1");
    }

    @Test
    void simulateWritesTheReportAtTheEnd() throws Exception {
        assertEquals(0, simulated.code(), simulated.err());
        assertTrue(simulated.out().contains("Report: " + run.resolve("report.html").toAbsolutePath()), simulated.out());
        String html = Files.readString(run.resolve("report.html"));
        assertTrue(html.contains("id=\"comparison\""));
    }

    @Test
    void reportWritesThePageWhereAsked() throws Exception {
        Path out = tmp.resolve("pages/alpha.html");
        Cli.Result r = Cli.run("report", run.toString(), "--out", out.toString(), "--examples", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote " + out.toAbsolutePath()), r.out());
        String html = Files.readString(out);
        assertEquals(3 * (2 + 2 * 2), html.split("alt=\"img-", -1).length - 1, "one test image per site: image, truth, 2 × (prediction, errors)");
    }

    @Test
    void reportRefusesBadRunDirectoriesInOneLine() throws Exception {
        Cli.Result r = Cli.run("report", tmp.resolve("missing").toString());
        assertEquals(1, r.code());
        assertEquals("error: run directory " + tmp.resolve("missing") + " does not exist", r.err().strip());
        Path notRun = Files.createDirectories(tmp.resolve("not-a-run"));
        r = Cli.run("report", notRun.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("is not a run directory"), r.err());
        Path empty = TinyRun.emptyCopy(run, tmp.resolve("empty"));
        r = Cli.run("report", empty.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("has no results yet"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace");
        r = Cli.run("report");
        assertEquals(2, r.code(), "RUN_DIR is required");
    }

    @Test
    void compareMakesOneTableAcrossRuns() throws Exception {
        Path beta = TinyRun.copy(run, tmp.resolve("beta"));
        Path csv = tmp.resolve("cmp/compare.csv");
        Cli.Result r = Cli.run("compare", run.toString(), beta.toString(), "--csv", csv.toString());
        assertEquals(0, r.code(), r.err());
        for (String row : new String[] {"| alpha / pfl-resfim |", "| alpha / fedavg |", "| beta / pfl-resfim |", "| beta / fedavg |"}) {
            assertTrue(r.out().contains(row), row + "\n" + r.out());
        }
        assertTrue(r.out().contains("Dice avg") && r.out().contains("Dice weighted avg"), r.out());
        assertTrue(r.out().contains("(reference)"), r.out());
        // the copy holds the same numbers as the original
        String[] lines = r.out().split("\n");
        assertEquals(rowOf(lines, "alpha / fedavg").substring("alpha".length() + 2), rowOf(lines, "beta / fedavg").substring("beta".length() + 2));
        String c = Files.readString(csv);
        assertTrue(c.startsWith("run,method,sites,seeds,rounds,dice_avg,"), c);
        assertEquals(5, c.strip().split("\n").length, c);
    }

    private static String rowOf(String[] lines, String label) {
        for (String l : lines) {
            if (l.startsWith("| " + label + " |")) {
                return l;
            }
        }
        throw new AssertionError("no row " + label);
    }

    @Test
    void compareRefusesBadRunDirectories() throws Exception {
        Cli.Result r = Cli.run("compare", run.toString(), tmp.resolve("gone").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("gone") && r.err().contains("does not exist"), r.err());
        Path empty = TinyRun.emptyCopy(run, tmp.resolve("empty2"));
        r = Cli.run("compare", run.toString(), empty.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("empty2") && r.err().contains("has no results yet"), r.err());
        r = Cli.run("compare");
        assertEquals(2, r.code());
    }

    @Test
    void predictFindsTheModelConfigurationInTheRunDirectory() throws Exception {
        Path img = tmp.resolve("x.png");
        javax.imageio.ImageIO.write(PredictCommandTest.random(45, 37, java.awt.image.BufferedImage.TYPE_INT_RGB, 3), "png", img.toFile());
        Path ck = run.resolve("pfl-resfim/seed-0/sites/synthetic-2/selected-model.rfim");
        Cli.Result r = Cli.run("predict", "--model", ck.toString(), "--input", img.toString(), "--out", tmp.resolve("pred").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("site synthetic-2") && r.out().contains("run directory"), r.out());
        PredictCommandTest.readMask(tmp.resolve("pred/x_mask.png"), 45, 37);
    }

    @Test
    void helpListsTheNewCommands() {
        Cli.Result r = Cli.run("--help");
        for (String c : new String[] {"report", "compare", "predict", "config"}) {
            assertTrue(r.out().contains(c), c);
        }
    }
}
