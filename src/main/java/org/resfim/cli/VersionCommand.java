package org.resfim.cli;

import org.resfim.engine.Djl;
import org.resfim.run.BuildInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code resfim version}: ResFIM version and commit, DJL and libtorch versions, threads. */
@Command(name = "version", description = "Print ResFIM, DJL and libtorch versions, git commit and threads.")
public final class VersionCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        for (String line : lines()) {
            System.out.println(line);
        }
        return 0;
    }

    static List<String> lines() {
        return List.of(
                "resfim " + BuildInfo.version(),
                "commit " + BuildInfo.commit(),
                "djl " + Djl.djlVersion() + " (offline=" + Djl.offline() + ")",
                "libtorch " + Djl.libtorchVersion() + " (cpu)",
                "threads " + Djl.threads(),
                "java " + System.getProperty("java.version"));
    }

    /** For {@code resfim --version}. */
    public static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"resfim " + BuildInfo.version() + " (commit " + BuildInfo.commit() + ")"};
        }
    }
}
