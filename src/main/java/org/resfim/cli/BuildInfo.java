package org.resfim.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Version and git commit of the running code, for provenance. */
public final class BuildInfo {
    private static volatile String commit;

    private BuildInfo() {
    }

    public static String version() {
        String v = BuildInfo.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /**
     * The git commit of the working tree ({@code RESFIM_COMMIT} wins), with "-dirty" when there are
     * uncommitted changes; "unknown" outside a git checkout.
     */
    public static String commit() {
        String c = commit;
        if (c == null) {
            c = System.getenv("RESFIM_COMMIT");
            if (c == null || c.isBlank()) {
                c = git("rev-parse", "HEAD");
                if (c == null) {
                    c = "unknown";
                } else {
                    String status = git("status", "--porcelain", "--untracked-files=no");
                    if (status != null && !status.isBlank()) {
                        c += "-dirty";
                    }
                }
            }
            commit = c;
        }
        return c;
    }

    private static String git(String... args) {
        try {
            String[] cmd = new String[args.length + 1];
            cmd[0] = "git";
            System.arraycopy(args, 0, cmd, 1, args.length);
            Process p = new ProcessBuilder(cmd).directory(Path.of("").toAbsolutePath().toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            return out;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

}
