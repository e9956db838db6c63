package org.resfim.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class MainTest {

    @Test
    void helpListsTheCommands() {
        Cli.Result r = Cli.run("--help");
        assertEquals(0, r.code());
        for (String c : new String[] {"version", "train-local", "bench"}) {
            assertTrue(r.out().contains(c), "help lists " + c + ":\n" + r.out());
        }
    }

    @Test
    void everyCommandHasHelp() {
        for (String c : new String[] {"simulate", "bench", "data", "train-local", "report", "server", "client", "predict"}) {
            Cli.Result r = Cli.run(c, "--help");
            assertEquals(0, r.code(), c + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: resfim " + c), r.out());
        }
    }

    @Test
    void versionPrintsVersionsCommitAndThreads() {
        Cli.Result r = Cli.run("version");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("libtorch 2.7.1"), r.out());
        assertTrue(r.out().matches("(?s).*commit \\S+.*"), r.out());
        assertTrue(r.out().matches("(?s).*threads [1-9].*"), r.out());
        assertTrue(r.out().contains("djl 0.36.0"), r.out());
    }

    @Test
    void unknownOptionIsOneLineErrorWithSuggestionAndExitCode2() {
        Cli.Result r = Cli.run("bench", "train", "--peeer");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: Unknown option: '--peeer'"), r.err());
        assertTrue(r.err().contains("--peer"), "suggests the nearest option: " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace");
    }

    @Test
    void unknownCommandIsRefused() {
        Cli.Result r = Cli.run("simulat");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("simulat"), r.err());
    }
}
