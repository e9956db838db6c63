package org.resfim.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every numeric option of every command is checked before the command does any work: a value out of range is a
 * usage error (exit code 2) whose first line names the option and the range it accepts, then the help hint.
 * Options that replace a configuration key (--rounds, --local-epochs, --folds) take that key's range.
 */
class OptionRangesTest {
    @TempDir
    static Path tmp;

    /** Runs the command and returns its one error line, after checking the exit code and the help hint. */
    private static String refused(String... args) {
        Cli.Result r = Cli.run(args);
        assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err() + r.out());
        String[] lines = r.err().strip().split("\n");
        assertEquals(2, lines.length, "one error line and the help hint: " + r.err());
        assertTrue(lines[1].startsWith("Try 'resfim ") && lines[1].endsWith(" --help'."), lines[1]);
        assertFalse(r.err().contains("\tat "), "no stack trace");
        return lines[0];
    }

    @Test
    void simulateOptionsNameTheOptionAndItsRange() {
        assertEquals("error: --rounds must be at least 1, got 0", refused("simulate", "--rounds", "0"));
        assertEquals("error: --rounds must be at least 1, got -1", refused("simulate", "--rounds", "-1"));
        assertEquals("error: --local-epochs must be between 1 and 1000, got 0", refused("simulate", "--local-epochs", "0"));
        assertEquals("error: --folds must be between 1 and 100, got 0", refused("simulate", "--folds", "0"));
        assertEquals("error: --threads must be between 0 and 1024, got -3 (0 = all cores)", refused("simulate", "--threads", "-3"));
    }

    @Test
    void oneRoundWithModelSelectionAfterHalfOfTheRoundsNamesBothWhereTheyWereSet() throws Exception {
        Path cfg = tmp.resolve("half.yaml");
        Files.writeString(cfg, org.resfim.run.TinyRuns.yaml(4));
        Cli.Result r = Cli.run("simulate", "--config", cfg.toString(), "--rounds", "1", "--out", tmp.resolve("never").toString());
        assertEquals(1, r.code());
        assertEquals("error: evaluation.select_after = 0.5 (" + cfg + ") with --rounds 1: selecting in the later part of training needs an"
                + " earlier part to skip (at least 2 rounds), or evaluation.select_after = 0", r.err().strip());
        assertFalse(Files.exists(tmp.resolve("never")), "nothing written");
    }

    @Test
    void otherCommandsCheckTheirNumericOptions() throws Exception {
        String images = tmp.toString();
        assertEquals("error: --size must be a positive multiple of 16 (the U-Net halves the image 4 times), got 20",
                refused("train-local", "--images", images, "--masks", images, "--size", "20"));
        assertEquals("error: --epochs must be at least 1, got 0", refused("train-local", "--images", images, "--masks", images, "--epochs", "0"));
        assertEquals("error: --batch must be between 1 and 4096, got 0", refused("train-local", "--images", images, "--masks", images, "--batch", "0"));
        assertEquals("error: --init must be torch-default or kaiming-fan-out, got 'xavier'", refused("train-local", "--images", images, "--masks", images, "--init", "xavier"));
        assertEquals("error: --lr must be in (0, 10], got 0", refused("train-local", "--images", images, "--masks", images, "--lr", "0"));
        assertEquals("error: --val must be in (0, 1), got 1.5", refused("train-local", "--images", images, "--masks", images, "--val", "1.5"));
        assertEquals("error: --threads must be between 0 and 1024, got -1 (0 = all cores)",
                refused("train-local", "--images", images, "--masks", images, "--threads", "-1"));
        assertEquals("error: --threads must be between 0 and 1024, got -3 (0 = all cores)", refused("bench", "--threads", "-3"));
        assertEquals("error: --sizes must be a positive multiple of 16 (the U-Net halves the image 4 times), got 100",
                refused("bench", "train", "--sizes", "128,100"));
        assertEquals("error: --steps must be at least 1, got 0", refused("bench", "train", "--steps", "0"));
        assertEquals("error: --samples must be between 1 and 10000, got 0", refused("bench", "core", "--samples", "0"));
        assertEquals("error: --sites must be between 1 and 10000, got 0", refused("bench", "core", "--sites", "0"));
        assertEquals("error: --sites must be between 2 and 10000, got 1", refused("bench", "estimate", "--sites", "3,1"));
        assertEquals("error: --max-foreign must be between 0 and 10000, got -1 (0 = all)", refused("bench", "estimate", "--max-foreign", "-1"));
        assertEquals("error: --samples must be between 1 and 10000, got 0", refused("bench", "estimate", "--samples", "0"));
        assertEquals("error: --size must be a positive multiple of 16 (the U-Net halves the image 4 times), got 40",
                refused("bench", "estimate", "--size", "40"));
        Path model = tmp.resolve("m.rfim");
        assertEquals("error: --threshold must be in (0, 1), got 1", refused("predict", "--model", model.toString(), "--input", images,
                "--out", images, "--threshold", "1"));
        assertEquals("error: --size must be at least 1, got 0", refused("predict", "--model", model.toString(), "--input", images,
                "--out", images, "--size", "0"));
        assertEquals("error: --examples must be between 0 and 1000, got -1", refused("report", images, "--examples", "-1"));
        assertEquals("error: --per-site must be between 1 and 1000, got 0", refused("data", "preview", "x.yaml", "--out", "x.png", "--per-site", "0"));
        assertEquals("error: --beta must be in (0, 0.5], got 0.7", refused("style", "preview", "x.yaml", "--out", "x.png", "--beta", "0.7"));
        assertEquals("error: --lambda must be in [0, 1], got 2", refused("style", "preview", "x.yaml", "--out", "x.png", "--lambda", "2"));
        assertEquals("error: --days must be at least 1, got 0", refused("certs", "--out", images, "--sites", "a", "--days", "0"));
    }

    @Test
    void deploymentOptionsAreCheckedBeforeAnythingStarts() {
        assertEquals("error: --port must be between 0 and 65535, got 70000 (0 = any free port)", refused("server", "--insecure", "--port", "70000"));
        assertEquals("error: --call-timeout must be at least 0, got -1", refused("server", "--insecure", "--call-timeout", "-1"));
        assertEquals("error: --round-timeout must be at least 0, got -5", refused("server", "--insecure", "--round-timeout", "-5"));
        assertEquals("error: --max-upload-mb must be at least 1, got 0", refused("server", "--insecure", "--max-upload-mb", "0"));
        assertEquals("error: --health-port must be between 0 and 65535, got 65536 (0 = any free port)",
                refused("server", "--insecure", "--health-port", "65536"));
        assertEquals("error: --rounds must be at least 1, got 0", refused("server", "--insecure", "--rounds", "0"));
        assertEquals("error: --server must be HOST:PORT with a port number, got 'host:x'", refused("client", "--server", "host:x", "--site", "a", "--insecure"));
        assertEquals("error: --server port must be between 1 and 65535, got 0", refused("client", "--server", "host:0", "--site", "a", "--insecure"));
        assertEquals("error: --max-attempts must be at least 0, got -1 (0 = never give up)",
                refused("client", "--server", "host:7443", "--site", "a", "--insecure", "--max-attempts", "-1"));
        assertEquals("error: --local-epochs must be between 1 and 1000, got 0",
                refused("client", "--server", "host:7443", "--site", "a", "--insecure", "--local-epochs", "0"));
    }
}
