package org.resfim.cli;

import org.resfim.engine.Djl;
import org.resfim.run.Plans;
import org.resfim.run.RunPlan;
import org.resfim.transport.Audit;
import org.resfim.transport.Deployment;
import org.resfim.transport.EventLog;
import org.resfim.transport.SiteClient;
import org.resfim.transport.SiteRuntime;
import org.resfim.transport.Tls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code resfim client}: one site of a real deployment; dials out to the server, trains on local data. */
@Command(name = "client", description = {
        "Run one site of a deployment: dial out to 'resfim server' and train on this site's data.",
        "Needs no inbound port and sends only what the algorithm shares. Reconnects with backoff; keeps its state per round",
        "under --state, and an audit of every message it sent (audit.jsonl)."})
public final class ClientCommand implements Callable<Integer> {
    @Option(names = "--server", required = true, description = "HOST:PORT of the server.")
    String server;
    @Option(names = "--site", required = true, description = "This site's name (as in the configuration and its certificate).")
    String site;
    @Option(names = "--config", description = "Federation configuration (YAML), the same as the server's up to local data paths.")
    Path config;
    @Option(names = "--data-root", description = "Folder that relative data paths of the configuration are resolved against.")
    Path dataRoot;
    @Option(names = "--methods", split = ",", description = "Methods (as given to the server).")
    List<String> methods;
    @Option(names = "--seeds", split = ",", description = "Seeds (as given to the server).")
    List<Long> seeds;
    @Option(names = "--rounds", description = "Rounds (as given to the server).")
    Integer rounds;
    @Option(names = "--local-epochs", description = "Local epochs (as given to the server).")
    Integer localEpochs;
    @Option(names = "--state", description = "Folder for this site's state, selected models and audit log (default: resfim-site-NAME).")
    Path state;
    @Option(names = "--tls-dir", description = "Folder made by 'resfim certs': ca.pem, site-NAME.pem, site-NAME-key.pem.")
    Path tlsDir;
    @Option(names = "--ca", description = "CA certificate (PEM) that issued the server's certificate.")
    Path ca;
    @Option(names = "--cert", description = "This site's certificate (PEM).")
    Path cert;
    @Option(names = "--key", description = "This site's private key (PKCS#8 PEM).")
    Path key;
    @Option(names = "--server-name", description = "Name to verify in the server's certificate (default: the host of --server).")
    String serverName;
    @Option(names = "--insecure", description = "Plaintext, no authentication (testing on a trusted network only).")
    boolean insecure;
    @Option(names = "--threads", defaultValue = "0", description = "libtorch threads (0 = all cores).")
    int threads;
    @Option(names = "--max-backoff", defaultValue = "30", description = "Longest wait between reconnection attempts, seconds (default: ${DEFAULT-VALUE}).")
    double maxBackoff;
    @Option(names = "--max-attempts", defaultValue = "0", description = "Give up after this many failed connection attempts in a row (0 = never).")
    int maxAttempts;

    @Override
    public Integer call() throws Exception {
        int colon = server.lastIndexOf(':');
        if (colon <= 0 || colon == server.length() - 1) {
            throw new org.resfim.config.OptionException("--server must be HOST:PORT, got '" + server + "'");
        }
        String host = server.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(server.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new org.resfim.config.OptionException("--server must be HOST:PORT with a port number, got '" + server + "'");
        }
        OptionChecks.range("--server port", port, 1, 65535);
        OptionChecks.threads(threads);
        long backoffMillis = OptionChecks.millis("--max-backoff", maxBackoff);
        if (backoffMillis < 1) {
            throw new org.resfim.config.OptionException("--max-backoff must be greater than 0, got " + maxBackoff);
        }
        OptionChecks.range("--max-attempts", maxAttempts, 0, Integer.MAX_VALUE, "0 = never give up");
        RunPlan plan = Plans.build(new Plans.Overrides(config, dataRoot, methods, seeds, rounds, localEpochs, null, null));
        Tls.Pem tls = null;
        if (insecure) {
            if (tlsDir != null || ca != null || cert != null || key != null) {
                throw new IllegalArgumentException("--insecure takes no certificate options");
            }
        } else {
            tls = new Tls.Pem(pick(ca, "ca.pem", "--ca"), pick(cert, "site-" + site + ".pem", "--cert"), pick(key, "site-" + site + "-key.pem", "--key"));
            tls.check();
        }
        Path stateDir = state != null ? state : Path.of("resfim-site-" + site);
        EventLog log = new EventLog(System.out, site);
        if (insecure) {
            log.warn("connecting WITHOUT TLS (--insecure): the server is not authenticated and model updates travel in clear text");
        }
        Djl.setThreads(threads);
        SiteRuntime runtime = new SiteRuntime(plan, site, stateDir, log);
        var data = runtime.preload();
        log.info("site '" + site + "': " + data.train().size() + " training, " + data.val().size() + " validation, " + data.test().size()
                + " test images; state and audit in " + stateDir.toAbsolutePath());
        try (Audit audit = new Audit(stateDir.resolve(Audit.SITE_FILE))) {
            SiteClient client = new SiteClient(new SiteClient.Options(host, port, site, tls, Deployment.planSha256(plan), 500,
                    backoffMillis, maxAttempts, serverName), runtime, audit, log);
            return switch (client.run()) {
                case FINISHED -> 0;
                case REFUSED -> {
                    System.err.println("error: the server refused this site: " + client.lastRefusal());
                    yield 3;
                }
                case GAVE_UP -> {
                    System.err.println("error: could not reach the server at " + server + " after " + maxAttempts + " attempts");
                    yield 4;
                }
            };
        }
    }

    private Path pick(Path given, String inDir, String option) {
        if (given != null) {
            return given;
        }
        if (tlsDir == null) {
            throw new IllegalArgumentException("mutual TLS needs " + option + " or --tls-dir (see 'resfim certs'), or run with --insecure");
        }
        return tlsDir.resolve(inDir);
    }
}
