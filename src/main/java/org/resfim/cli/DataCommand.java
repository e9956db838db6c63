package org.resfim.cli;

import org.resfim.data.DataCheck;
import org.resfim.data.DataPreview;
import org.resfim.data.FederationConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code resfim data check|preview CONFIG}. */
@Command(name = "data", description = "Inspect a federation's data.", subcommands = {DataCommand.Check.class, DataCommand.Preview.class})
public final class DataCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static FederationConfig load(Path config, Path dataRoot) {
        FederationConfig cfg = FederationConfig.load(config);
        return dataRoot == null ? cfg : cfg.withDataRoot(dataRoot);
    }

    /** Per site: samples per split, sizes, channels, foreground fraction, label values; non-zero exit on any problem. */
    @Command(name = "check", description = {"Check a configuration and report every site's data; exit 1 on any problem.",
            "Checks every section of the configuration, then loads every site and reports sample counts per split, image",
            "sizes, channels, foreground fraction and label values."})
    public static final class Check implements Callable<Integer> {
        @Parameters(paramLabel = "CONFIG", description = "Federation configuration (YAML).")
        Path config;
        @Option(names = "--data-root", description = "Replace data.root of the configuration.")
        Path dataRoot;

        @Override
        public Integer call() {
            // the whole configuration, as simulate would read it (without --methods, a missing method.list is fine), then the data
            DataCheck.Result r = DataCheck.run(config, dataRoot, org.resfim.run.Plans::check);
            System.out.print(r.report()); // every warning and problem once, in the report
            if (!r.ok()) {
                System.err.println("error: " + config + ": " + r.problems().size() + " problem" + (r.problems().size() == 1 ? "" : "s")
                        + " (listed above)");
                return 1;
            }
            return 0;
        }
    }

    /** A montage: one row per site, images with their mask outlined. */
    @Command(name = "preview", description = "Write a PNG montage: one row per site, images with their mask outlined.")
    public static final class Preview implements Callable<Integer> {
        @Parameters(paramLabel = "CONFIG", description = "Federation configuration (YAML).")
        Path config;
        @Option(names = "--out", required = true, description = "PNG file to write.")
        Path out;
        @Option(names = "--per-site", defaultValue = "4", description = "Images per site (default: ${DEFAULT-VALUE}).")
        int perSite;
        @Option(names = "--data-root", description = "Replace data.root of the configuration.")
        Path dataRoot;

        @Override
        public Integer call() {
            OptionChecks.range("--per-site", perSite, 1, 1000);
            DataPreview.write(load(config, dataRoot), out, perSite);
            System.out.println("wrote " + out);
            return 0;
        }
    }
}
