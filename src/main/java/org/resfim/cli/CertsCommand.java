package org.resfim.cli;

import org.resfim.transport.DevCertificates;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code resfim certs}: a development CA, server and site certificates, and the server's allow-list. */
@Command(name = "certs", description = {
        "Create development certificates for a deployment and the server's allow-list.",
        "Writes a CA, a server certificate, one certificate per site (subject CN = site name) and allowlist.txt binding",
        "each site certificate to its site. The CA and its key go to a folder of their own (--ca-dir, default OUT-ca) and",
        "are reused from there. Private keys are created with mode 0600.",
        "For production use your hospital PKI and write the allow-list by hand."})
public final class CertsCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Folder to write the PEM files and allowlist.txt to.")
    Path out;
    @Option(names = "--sites", required = true, split = ",", description = "Site names, e.g. a,b,c.")
    List<String> sites;
    @Option(names = "--hosts", split = ",", description = "Extra DNS names or IP addresses of the server (localhost and 127.0.0.1 are always in).")
    List<String> hosts;
    @Option(names = "--days", defaultValue = "365", description = "Validity in days (default: ${DEFAULT-VALUE}).")
    int days;
    @Option(names = "--ca-dir", description = "Folder of the CA and its private key (default: the --out folder's name + '-ca', next to it);"
            + " reused when it holds a CA.")
    Path caDir;

    @Override
    public Integer call() {
        OptionChecks.range("--days", days, 1, 100_000);
        Path caDir = this.caDir != null ? this.caDir : DevCertificates.caDirFor(out);
        Map<String, Path> written = DevCertificates.create(out, caDir, sites, hosts == null ? List.of() : hosts, Duration.ofDays(days));
        written.forEach((what, file) -> System.out.println("wrote " + what + ": " + file));
        System.out.println("Server: resfim server --tls-dir " + out + " ...   Site NAME: resfim client --tls-dir " + out + " --site NAME ...");
        System.out.println("Copy to each site only ca.pem, site-NAME.pem and site-NAME-key.pem; the CA and its key are in " + caDir
                + ": keep that folder offline (the server refuses to start with ca-key.pem in its TLS folder).");
        return 0;
    }
}
