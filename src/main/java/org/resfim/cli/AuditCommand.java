package org.resfim.cli;

import org.resfim.transport.Audit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code resfim audit}: what left each site, message by message. */
@Command(name = "audit", description = {
        "Print what left each site, message by message.",
        "One table row per message: round, kind, tensors, element counts, bytes, style-bank shapes, scores.",
        "DIR is a site's --state folder (its audit.jsonl: what it sent) or a server run directory (audit/SITE.jsonl: what it received)."})
public final class AuditCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "A site state folder, a server run directory, or one audit .jsonl file.")
    Path dir;

    @Override
    public Integer call() {
        if (!Files.exists(dir)) {
            throw new IllegalArgumentException(dir + " does not exist");
        }
        List<Path> files = Audit.find(dir);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no audit log under " + dir + " (a site writes audit.jsonl in its --state folder,"
                    + " a server writes audit/SITE.jsonl in its run directory)");
        }
        System.out.print(Audit.table(files, Files.isDirectory(dir) ? dir.toAbsolutePath().normalize() : null));
        return 0;
    }
}
