package org.resfim.cli;

import org.resfim.data.FederationConfig;
import org.resfim.data.FederationData;
import org.resfim.data.SiteDataset;
import org.resfim.spectral.StylePreview;
import org.resfim.spectral.StyleConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code resfim style preview CONFIG --out FILE.png}. */
@Command(name = "style", description = "Spectral style transfer between sites.", subcommands = {StyleCommand.Preview.class})
public final class StyleCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** A grid: row i = an image of site i re-rendered in every site's style (the diagonal is the original). */
    @Command(name = "preview", description = {"Write a PNG grid of each site's image in every other site's style.",
            "One row per site: its image re-rendered in every site's style (diagonal = original)."})
    public static final class Preview implements Callable<Integer> {
        @Parameters(paramLabel = "CONFIG", description = "Federation configuration (YAML).")
        Path config;
        @Option(names = "--out", required = true, description = "PNG file to write.")
        Path out;
        @Option(names = "--beta", defaultValue = "0.03", description = "Window size β (default: ${DEFAULT-VALUE}).")
        double beta;
        @Option(names = "--lambda", defaultValue = "1.0", description = "Interpolation λ (default: ${DEFAULT-VALUE}).")
        double lambda;
        @Option(names = "--data-root", description = "Replace data.root of the configuration.")
        Path dataRoot;

        @Override
        public Integer call() {
            OptionChecks.range("--beta", beta, 0, 0.5, false, true);
            OptionChecks.range("--lambda", lambda, 0, 1, true, true);
            FederationConfig cfg = DataCommand.load(config, dataRoot);
            List<SiteDataset> sites = FederationData.load(cfg);
            StyleConfig style = StyleConfig.fromMap(java.util.Map.of("beta", beta, "lambda", lambda));
            StylePreview.write(sites, style, out);
            System.out.println("wrote " + out);
            return 0;
        }
    }
}
