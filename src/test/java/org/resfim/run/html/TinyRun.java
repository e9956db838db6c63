package org.resfim.run.html;

import org.resfim.report.*;

import org.resfim.run.Plans;
import org.resfim.run.Simulation;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** A run small enough for report tests: 3 synthetic sites of 10 images at 32×32, a width-4 depth-3 U-Net, pFL-ResFIM and FedAvg. */
public final class TinyRun {
    private TinyRun() {
    }

    public static String yaml(int rounds) {
        return org.resfim.run.TinyRuns.yaml(rounds).replace("every: 2", "every: 1");
    }

    /** Simulates the tiny federation into {@code dir/name} and returns the run directory. */
    public static Path create(Path dir, String name, int rounds) throws IOException {
        Path cfg = dir.resolve(name + ".yaml");
        Files.writeString(cfg, yaml(rounds));
        Path out = dir.resolve(name);
        new Simulation(Plans.build(new Plans.Overrides(cfg, null, null, null, null, null, null, out)),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        return out;
    }

    /** A copy of a run directory (another "run" without simulating again). */
    public static Path copy(Path run, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(run)) {
            for (Path p : s.sorted(Comparator.naturalOrder()).toList()) {
                Path q = to.resolve(run.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                } else {
                    Files.copy(p, q);
                }
            }
        }
        return to;
    }

    /** A run directory whose runs never finished a round: the configuration files and nothing else. */
    public static Path emptyCopy(Path run, Path to) throws IOException {
        Files.createDirectories(to);
        for (String f : List.of(RunResults.RESOLVED, "run.json")) {
            Files.copy(run.resolve(f), to.resolve(f));
        }
        return to;
    }
}
