package org.resfim.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

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

    /**
     * `resfim --help` lists each command with the first line of its description: that line is a complete, short
     * sentence (it ends with a full stop and is not cut), for every command and subcommand; no help page makes
     * picocli warn (an unescaped '%' in a description does).
     */
    @Test
    void everyCommandSummaryIsOneCompleteSentenceAndHelpHasNoWarnings() {
        List<CommandLine> all = new ArrayList<>();
        collect(new CommandLine(new Main()), all);
        assertTrue(all.size() >= 20, "every command and subcommand: " + all.size());
        for (CommandLine c : all) {
            String name = c.getCommandSpec().qualifiedName();
            if (name.equals("resfim help")) {
                continue; // picocli's own
            }
            String[] d = c.getCommandSpec().usageMessage().description();
            assertTrue(d.length > 0, name + " has a description");
            assertTrue(d[0].endsWith(".") && d[0].length() <= 90, name + ": the first description line is a complete short sentence: '" + d[0] + "'");
            List<String> args = new ArrayList<>(List.of(name.split(" ")).subList(1, name.split(" ").length));
            args.add("--help");
            Cli.Result r = Cli.run(args.toArray(String[]::new));
            assertEquals(0, r.code(), name);
            assertFalse((r.out() + r.err()).contains("picocli WARN"), name + ":\n" + r.err() + r.out());
            assertFalse((r.out() + r.err()).contains("%n"), name + ": an unformatted description:\n" + r.out());
        }
        Cli.Result top = Cli.run("--help");
        assertTrue(top.out().contains("  compare      Compare runs in one table.\n"), top.out());
        assertTrue(Cli.run("compare", "--help").out().contains("bootstrap 95% CI"), "'%%' prints as '%'");
        String simulate = Cli.run("simulate", "--help").out().replaceAll("\\s+", " ");
        assertTrue(simulate.contains("pFL-ResFIM vs FedAvg vs Local (a few minutes on 2 cores)."), "no duration that the next speed-up makes wrong: " + simulate);
    }

    private static void collect(CommandLine c, List<CommandLine> out) {
        out.add(c);
        c.getSubcommands().values().forEach(s -> collect(s, out));
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
