package org.resfim.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Keeping site state on disk between rounds changes memory use, not results. */
class OffloadTest {

    @Test
    void offloadedSitesGiveTheSameTable(@TempDir Path tmp) throws Exception {
        Path cfg = TinyRuns.config(tmp, 3);
        Path off = tmp.resolve("off.yaml");
        Files.writeString(off, TinyRuns.yaml(3).replace("federation: {rounds: 3}", "federation: {rounds: 3, offload_sites: true}"));
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        List<String> methods = List.of("pfl-resfim", "ditto");
        new Simulation(Plans.build(TinyRuns.overrides(cfg, tmp.resolve("a"), methods)), quiet).run();
        new Simulation(Plans.build(TinyRuns.overrides(off, tmp.resolve("b"), methods)), quiet).run();
        assertEquals(TinyRuns.table(tmp.resolve("a")), TinyRuns.table(tmp.resolve("b")));
    }
}
