package org.resfim.run;

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
     * The git commit the running code was built from, with "-dirty" when the build had uncommitted changes:
     * {@code RESFIM_COMMIT} if set, else what the build recorded in the jar ({@code resfim-git.properties}),
     * else the working tree's HEAD (a build outside git), else "unknown". The recorded commit stays right when
     * the jar is copied and run elsewhere or the checkout has moved on since the build.
     */
    public static String commit() {
        String c = commit;
        if (c == null) {
            c = System.getenv("RESFIM_COMMIT");
            if (c == null || c.isBlank()) {
                c = recorded(BuildInfo.class.getResourceAsStream("/resfim-git.properties"));
            }
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

    /** "commit" or "commit-dirty" from the build's properties, or null when absent or empty. */
    static String recorded(java.io.InputStream in) {
        if (in == null) {
            return null;
        }
        java.util.Properties p = new java.util.Properties();
        try (in) {
            p.load(in);
        } catch (IOException e) {
            return null;
        }
        String id = p.getProperty("git.commit.id.full", "").trim();
        if (id.isEmpty()) {
            return null;
        }
        return Boolean.parseBoolean(p.getProperty("git.dirty", "false").trim()) ? id + "-dirty" : id;
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
