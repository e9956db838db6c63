package org.resfim.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class MainTest {

    record Run(int code, String out, String err) {
    }

    static synchronized Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void helpListsTheCommands() {
        Run r = run("--help");
        assertEquals(0, r.code());
        for (String c : new String[] {"version", "train-local", "bench"}) {
            assertTrue(r.out().contains(c), "help lists " + c + ":\n" + r.out());
        }
    }

    @Test
    void versionPrintsVersionsCommitAndThreads() {
        Run r = run("version");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("libtorch 2.7.1"), r.out());
        assertTrue(r.out().matches("(?s).*commit \\S+.*"), r.out());
        assertTrue(r.out().matches("(?s).*threads [1-9].*"), r.out());
        assertTrue(r.out().contains("djl 0.36.0"), r.out());
    }

    @Test
    void unknownOptionIsOneLineErrorWithSuggestionAndExitCode2() {
        Run r = run("bench", "train", "--peeer");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: Unknown option: '--peeer'"), r.err());
        assertTrue(r.err().contains("--peer"), "suggests the nearest option: " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace");
    }

    @Test
    void unknownCommandIsRefused() {
        Run r = run("simulat");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("simulat"), r.err());
    }
}
