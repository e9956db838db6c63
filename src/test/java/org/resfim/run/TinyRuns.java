package org.resfim.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A federation small enough for tests: 3 synthetic sites of 10 images at 32×32, a width-4 depth-3 U-Net. Its
 * weights are drawn by Kaiming fan-out, not the default PyTorch rule: after 2–4 rounds the tiny network's larger
 * initial logits give predictions of both classes that differ between methods, which the tests of selection, pairing
 * and reports need (with the default's small initial logits it still predicts background everywhere).
 */
public final class TinyRuns {
    private TinyRuns() {
    }

    public static String yaml(int rounds) {
        return """
                name: tiny
                seed: 0
                seeds: [0]
                data:
                  synthetic: {sites: 3, samples: 10, size: 32}
                  split: {train: 0.6, val: 0.2, test: 0.2}
                federation: {rounds: %d}
                method:
                  list: [pfl-resfim, fedavg]
                  pfl-resfim: {samples: 4, every: 2, warmup: 1}
                resfim: {variant: resfim}   # the residual, so the tests exercise the style bank (the default is fim)
                training: {batch_size: 4, lr: 0.003}
                model: {width: 4, depth: 3, init: kaiming-fan-out}
                """.formatted(rounds);
    }

    static Path config(Path dir, int rounds) throws IOException {
        Path f = dir.resolve("tiny.yaml");
        Files.writeString(f, yaml(rounds));
        return f;
    }

    static Plans.Overrides overrides(Path config, Path out, List<String> methods) {
        return new Plans.Overrides(config, null, methods, null, null, null, null, out);
    }

    /** results.csv without its provenance comment lines (which name times and paths). */
    static String table(Path runDir) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String line : Files.readAllLines(runDir.resolve("results.csv"))) {
            if (!line.startsWith("#")) {
                sb.append(line).append('\n');
            }
        }
        return sb.toString();
    }
}
