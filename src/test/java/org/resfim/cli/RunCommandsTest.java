package org.resfim.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.run.html.TinyRun;
import org.resfim.run.BuildInfo;

import org.resfim.state.StateFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

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
    void methodsKeepsAMethodsParametersTogether() throws Exception {
        // The README's form: the comma between rho=... and the method's first parameter is not a method boundary.
        Cli.Result r = Cli.run("simulate", "--config", tmp.resolve("tiny.yaml").toString(), "--out", tmp.resolve("never").toString(),
                "--methods", "fedavg,fedprox:mu=0.1,muu=3");
        assertEquals(1, r.code(), r.err() + r.out());
        assertEquals("error: --methods 'fedprox:mu=0.1,muu=3': fedprox has no parameter 'muu' (did you mean 'mu'?); its parameters: mu",
                r.err().strip());
        assertFalse(Files.exists(tmp.resolve("never")), "refused before anything is written");
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

    /**
     * With --reference every row of every run is paired with one method: the copy's fedavg against the original's
     * is exactly zero, and pfl-resfim against fedavg is the per-run table's fedavg-vs-pfl-resfim row negated (same
     * pairs, same bootstrap draws). Runs that did not test the same images, and unknown references, are refused.
     */
    @Test
    void compareWithOneReferencePairsRowsAcrossRuns() throws Exception {
        Path beta = TinyRun.copy(run, tmp.resolve("beta2"));
        Cli.Result perRun = Cli.run("compare", run.toString(), beta.toString(), "--csv", tmp.resolve("cmp/per-run.csv").toString());
        assertEquals(0, perRun.code(), perRun.err());
        Cli.Result r = Cli.run("compare", run.toString(), beta.toString(), "--reference", "fedavg", "--csv", tmp.resolve("cmp/ref.csv").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("ΔDice vs alpha / fedavg"), r.out());
        String[] lines = r.out().split("\n");
        assertTrue(rowOf(lines, "alpha / fedavg").contains("(reference)"));
        assertTrue(rowOf(lines, "beta2 / fedavg").contains("+0.00 [+0.00, +0.00]"), rowOf(lines, "beta2 / fedavg"));
        String[] fedavgVsPfl = csvRow(Files.readString(tmp.resolve("cmp/per-run.csv")), "alpha", "fedavg");
        String[] pflVsFedavg = csvRow(Files.readString(tmp.resolve("cmp/ref.csv")), "alpha", "pfl-resfim");
        double d = Double.parseDouble(fedavgVsPfl[11]);
        assertNotEquals(0.0, d, "the tiny run's methods differ");
        assertEquals(-d, Double.parseDouble(pflVsFedavg[11]), 1e-12);
        assertEquals(-Double.parseDouble(fedavgVsPfl[13]), Double.parseDouble(pflVsFedavg[12]), 1e-12, "CI low = −(CI high)");
        assertEquals(-Double.parseDouble(fedavgVsPfl[12]), Double.parseDouble(pflVsFedavg[13]), 1e-12, "CI high = −(CI low)");
        assertEquals(Double.parseDouble(fedavgVsPfl[14]), Double.parseDouble(pflVsFedavg[14]), 1e-12, "same Wilcoxon p");
        // RUN/METHOD picks the run
        r = Cli.run("compare", run.toString(), beta.toString(), "--reference", "beta2/pfl-resfim");
        assertEquals(0, r.code(), r.err());
        assertTrue(rowOf(r.out().split("\n"), "beta2 / pfl-resfim").contains("(reference)"));
        assertTrue(rowOf(r.out().split("\n"), "alpha / pfl-resfim").contains("+0.00 [+0.00, +0.00]"));
        // other images: refused, naming the run and what differs
        Path gamma = TinyRun.copy(run, tmp.resolve("gamma"));
        Path manifest = gamma.resolve("manifests/seed-0.json");
        Files.writeString(manifest, Files.readString(manifest).replaceFirst("\"", "\"x"));
        r = Cli.run("compare", run.toString(), gamma.toString(), "--reference", "local-not-here");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("local-not-here") && r.err().contains("alpha/fedavg"), r.err());
        r = Cli.run("compare", run.toString(), gamma.toString(), "--reference", "fedavg");
        assertEquals(1, r.code());
        assertTrue(r.err().contains(gamma.toString()) && r.err().contains("split manifest seed-0.json differs"), r.err());
    }

    private static String[] csvRow(String csv, String run, String method) {
        for (String l : csv.split("\n")) {
            if (l.startsWith(run + "," + method + ",")) {
                return l.split(",", -1);
            }
        }
        throw new AssertionError("no row " + run + "," + method + " in\n" + csv);
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
    void predictUsesTheSettingsTheModelFileRecords() throws Exception {
        Path img = tmp.resolve("x.png");
        javax.imageio.ImageIO.write(PredictCommandTest.random(45, 37, java.awt.image.BufferedImage.TYPE_INT_RGB, 3), "png", img.toFile());
        Path ck = run.resolve("pfl-resfim/seed-0/sites/synthetic-2/selected-model.rfim");
        Cli.Result r = Cli.run("predict", "--model", ck.toString(), "--input", img.toString(), "--out", tmp.resolve("pred").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("site synthetic-2") && r.out().contains("width 4, depth 3") && r.out().contains("images at 32x32")
                && r.out().contains("the settings recorded in the model file"), r.out());
        assertTrue(r.out().contains("synthetic (1 = vessel)"), r.out());
        PredictCommandTest.readMask(tmp.resolve("pred/x_mask.png"), 45, 37);
        Map<String, String> meta = StateFile.readContents(ck).metadata();
        assertEquals("pfl-resfim", meta.get("method"));
        assertEquals("0", meta.get("seed"));
        assertEquals(BuildInfo.commit(), meta.get("resfim.commit"));
    }

    /** A folder of two images of other sizes than the training size. */
    private static Path images(String name) throws Exception {
        Path in = Files.createDirectories(tmp.resolve(name));
        javax.imageio.ImageIO.write(PredictCommandTest.random(45, 37, java.awt.image.BufferedImage.TYPE_INT_RGB, 3), "png", in.resolve("a.png").toFile());
        javax.imageio.ImageIO.write(PredictCommandTest.random(70, 64, java.awt.image.BufferedImage.TYPE_INT_RGB, 4), "png", in.resolve("b.png").toFile());
        return in;
    }

    @Test
    void aModelCopiedOutOfItsRunDirectoryGivesTheSameMasks() throws Exception {
        Path in = images("copy-in");
        Path ck = run.resolve("fedavg/seed-0/sites/synthetic-1/selected-model.rfim");
        Path copy = Files.createDirectories(tmp.resolve("elsewhere")).resolve("model.rfim");
        Files.copy(ck, copy);
        Cli.Result inside = Cli.run("predict", "--model", ck.toString(), "--input", in.toString(), "--out", tmp.resolve("copy-inside").toString());
        Cli.Result outside = Cli.run("predict", "--model", copy.toString(), "--input", in.toString(), "--out", tmp.resolve("copy-outside").toString());
        assertEquals(0, inside.code(), inside.err());
        assertEquals(0, outside.code(), outside.err());
        assertTrue(outside.out().contains("width 4, depth 3") && outside.out().contains("images at 32x32"), outside.out());
        for (String f : new String[] {"a_mask.png", "b_mask.png", "a_overlay.png", "b_overlay.png"}) {
            assertEquals(-1, Files.mismatch(tmp.resolve("copy-inside").resolve(f), tmp.resolve("copy-outside").resolve(f)), f);
        }
    }

    @Test
    void anOldModelFileInsideItsRunDirectoryUsesTheRunsSettingsWithAWarning() throws Exception {
        Path in = images("old-in");
        Path ck = run.resolve("fedavg/seed-0/sites/synthetic-3/selected-model.rfim");
        // what a build before the model card wrote: the same tensors, only site, round and validation Dice
        StateFile.Contents c = StateFile.readContents(ck);
        Map<String, String> oldMeta = new LinkedHashMap<>();
        for (String k : new String[] {"site", "round", "val_dice"}) {
            oldMeta.put(k, c.metadata().get(k));
        }
        Path old = ck.resolveSibling("old-format.rfim");
        StateFile.write(c.state(), oldMeta, old);
        Cli.Result r = Cli.run("predict", "--model", old.toString(), "--input", in.toString(), "--out", tmp.resolve("old-out").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("warning: " + old + " records no model settings (written by an older ResFIM); assumed those of run directory " + run
                + ": U-Net width 4, depth 3, 3 input channels, norm batch, images at 32x32, 3 channels, no crop, intensity scaled by the bit depth,"
                + " bilinear resize", r.err().strip());
        Cli.Result carded = Cli.run("predict", "--model", ck.toString(), "--input", in.toString(), "--out", tmp.resolve("old-carded").toString());
        assertEquals(0, carded.code(), carded.err());
        for (String f : new String[] {"a_mask.png", "b_mask.png"}) {
            assertEquals(-1, Files.mismatch(tmp.resolve("old-out").resolve(f), tmp.resolve("old-carded").resolve(f)), f);
        }
        // copied out of the run directory, the old file falls back to the defaults, which do not fit it: refused naming the tensor
        Path away = Files.createDirectories(tmp.resolve("old-away")).resolve("old.rfim");
        Files.copy(old, away);
        r = Cli.run("predict", "--model", away.toString(), "--input", in.toString(), "--out", tmp.resolve("old-away-out").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("tensor 'd.0.c1.weight'") && r.err().contains("the defaults"), r.err());
    }

    @Test
    void helpListsTheNewCommands() {
        Cli.Result r = Cli.run("--help");
        for (String c : new String[] {"report", "compare", "predict", "config"}) {
            assertTrue(r.out().contains(c), c);
        }
    }
}
