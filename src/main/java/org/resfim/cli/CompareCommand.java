package org.resfim.cli;

import org.resfim.run.html.RunComparison;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code resfim compare RUN_DIR...}: one table across runs. */
@Command(name = "compare", description = {
        "Compare runs in one table.",
        "A row per run and method with its test Dice averaged over sites (unweighted and weighted by test-set size, mean",
        "± std over seeds), HD95 and the paired Dice difference (bootstrap 95%% CI, Wilcoxon p) with the run's reference",
        "method, or with one method across all runs (--reference)."})
public final class CompareCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", arity = "1..*", description = "Run directories written by `resfim simulate`.")
    List<Path> runs;
    @Option(names = "--csv", description = "Also write the table as CSV to this file.")
    Path csv;
    @Option(names = "--reference", paramLabel = "METHOD|RUN/METHOD", description = {
            "Pair every row of every run with this one method, image by image (the runs must have tested the same images:",
            "same sites, seeds, folds, model-selection window and split manifests). Default: each run's own reference."})
    String reference;

    @Override
    public Integer call() {
        RunComparison c = RunComparison.of(runs, reference);
        System.out.print(c.markdown());
        if (csv != null) {
            try {
                Path parent = csv.toAbsolutePath().getParent();
                Files.createDirectories(parent);
                Files.writeString(csv, c.csv(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + csv + ": " + e.getMessage(), e);
            }
            System.out.println("wrote " + csv);
        }
        return 0;
    }
}
