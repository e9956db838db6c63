package org.resfim.cli;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code bench estimate} prints one row per variant, K, distinct max_foreign and workers value: none silently left out. */
class BenchEstimateTest {
    @Test
    void everyVariantGetsItsRowsWhateverMaxForeignIsGiven() {
        // K = 3 has 2 foreign styles: max_foreign 3 is "all"; fim uses none, so it gets its one row although 0 is not listed
        Cli.Result r = Cli.run("bench", "estimate", "--sites", "3", "--max-foreign", "3,5", "--variants", "fim,resfim", "--samples", "2",
                "--size", "32", "--threads", "1", "--workers", "1");
        assertEquals(0, r.code(), r.err() + r.out());
        List<String> rows = Arrays.stream(r.out().split("\n")).filter(l -> l.startsWith("| fim ") || l.startsWith("| resfim ")).toList();
        assertEquals(2, rows.size(), r.out());
        assertTrue(rows.get(0).startsWith("| fim | 3 | — | 1 | 0 | 2 |"), rows.get(0));
        assertTrue(rows.get(1).startsWith("| resfim | 3 | all | 1 | 2 | 6 |"), rows.get(1));
    }
}
