package org.resfim.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CostSummaryTest {
    @TempDir
    Path tmp;

    @Test
    void diagnosticsAreNotCountedAsTrainingTime() throws Exception {
        Path log = tmp.resolve("metrics.jsonl");
        Files.writeString(log, String.join("\n",
                "{\"event\":\"fit\",\"round\":1,\"site\":\"a\",\"fit_seconds\":2.0,\"upload_bytes\":100.0}",
                "{\"event\":\"fit\",\"round\":2,\"site\":\"a\",\"fit_seconds\":5.0,\"resfim_seconds\":1.5,\"diagnostics_seconds\":1.0,\"upload_bytes\":80.0}",
                "{\"event\":\"evaluate\",\"round\":2,\"site\":\"a\"}", ""));
        CostSummary c = CostSummary.of("pfl-resfim", List.of(log), 200);
        assertEquals(2, c.fits());
        assertEquals(2.0 + 5.0 - 1.0, c.fitSeconds(), 1e-12);
        assertEquals(1.5 / 6.0, c.resfimShare(), 1e-12);
        assertEquals(90.0, c.bytesPerFit(), 1e-12);
    }
}
