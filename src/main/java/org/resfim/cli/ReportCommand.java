package org.resfim.cli;

import org.resfim.run.html.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code resfim report RUN_DIR}: the run's results as one self-contained HTML page. */
@Command(name = "report", description = {
        "Write the HTML report of a run (RUN_DIR/report.html).",
        "One self-contained page (no network needed) with the comparison table, Dice per round, segmentations of test",
        "images with error maps, the parameters pFL-ResFIM keeps personal, the site styles, cost per round, configuration",
        "and provenance. `simulate` writes it at the end of every run."})
public final class ReportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "A run directory written by `resfim simulate`.")
    Path runDir;
    @Option(names = "--out", description = "Write the page here instead of RUN_DIR/report.html.")
    Path out;
    @Option(names = "--examples", defaultValue = "3", description = "Test images shown per site (default: ${DEFAULT-VALUE}; 0 = none).")
    int examples;

    @Override
    public Integer call() {
        OptionChecks.range("--examples", examples, 0, 1000);
        String missing = org.resfim.run.html.RunResults.read(runDir).missingNote();
        if (missing != null) {
            System.out.println(missing);
        }
        Path f = RunReport.write(runDir, out, examples);
        System.out.println("wrote " + f.toAbsolutePath());
        return 0;
    }
}
