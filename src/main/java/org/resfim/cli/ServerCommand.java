package org.resfim.cli;

import org.resfim.report.ResultTable;
import org.resfim.run.Plans;
import org.resfim.run.ResumeInfo;
import org.resfim.run.RunPlan;
import org.resfim.transport.AccessLists;
import org.resfim.transport.FederationServer;
import org.resfim.transport.ServerRuntime;
import org.resfim.transport.Tls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code resfim server}: the coordinator of a real deployment; sites connect to it over gRPC. */
@Command(name = "server", description = {
        "Coordinate a federation of site processes ('resfim client') over gRPC with mutual TLS.",
        "Runs the same algorithms as 'simulate' and writes the same run directory; --resume continues a killed server."})
public final class ServerCommand implements Callable<Integer> {
    @Option(names = "--config", description = "Federation configuration (YAML), the same file (up to local data paths) as the sites'.")
    Path config;
    @Option(names = "--methods", split = ",", description = "Methods (the sites must be given the same).")
    List<String> methods;
    @Option(names = "--seeds", split = ",", description = "Seeds (the sites must be given the same).")
    List<Long> seeds;
    @Option(names = "--rounds", description = "Communication rounds T (the sites must be given the same).")
    Integer rounds;
    @Option(names = "--local-epochs", description = "Local epochs E per round (the sites must be given the same).")
    Integer localEpochs;
    @Option(names = "--out", description = "Run directory (default: runs/run-<time>).")
    Path out;
    @Option(names = "--resume", description = "Continue the killed server run in this directory from its last checkpoint.")
    Path resume;
    @Option(names = "--host", defaultValue = "0.0.0.0", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;
    @Option(names = "--port", description = "Port (0 = any free port; the chosen one is written to RUN_DIR/server-address)."
            + " Default: 7443, or with --resume the port the run used.")
    Integer port;
    @Option(names = "--tls-dir", description = "Folder made by 'resfim certs': ca.pem, server.pem, server-key.pem, allowlist.txt.")
    Path tlsDir;
    @Option(names = "--ca", description = "CA certificate (PEM) that issued the site certificates.")
    Path ca;
    @Option(names = "--cert", description = "Server certificate (PEM).")
    Path cert;
    @Option(names = "--key", description = "Server private key (PKCS#8 PEM).")
    Path key;
    @Option(names = "--allow", description = "Allow-list: one 'CERTIFICATE-CN SITE' a line.")
    Path allow;
    @Option(names = "--deny", description = "Deny-list of revoked certificates (sha256:FINGERPRINT or cn:IDENTITY a line), re-read when it"
            + " changes (default: denylist.txt in --tls-dir; it may not exist yet).")
    Path deny;
    @Option(names = "--insecure", description = "Plaintext, no authentication (testing on a trusted network only).")
    boolean insecure;
    @Option(names = "--call-timeout", defaultValue = "3600", description = "Seconds a site may take to answer one call; the sites of a phase are called at once, each with its own deadline (default: ${DEFAULT-VALUE}).")
    double callTimeout;
    @Option(names = "--round-timeout", defaultValue = "7200", description = "Seconds for the training phase of a round, from its start (all sites train at once); sites that have not answered by then are skipped for the round (default: ${DEFAULT-VALUE}).")
    double roundTimeout;
    @Option(names = "--rejoin-grace", defaultValue = "60", description = "Seconds a call waits for a disconnected site to reconnect, once per absence (default: ${DEFAULT-VALUE}).")
    double rejoinGrace;
    @Option(names = "--wait-for-sites", defaultValue = "600", description = "Seconds to wait for all sites before starting with federation.min_sites (default: ${DEFAULT-VALUE}).")
    double waitForSites;
    @Option(names = "--max-upload-mb", defaultValue = "2048", description = "Largest upload one site may send in one answer, MB (default: ${DEFAULT-VALUE}).")
    long maxUploadMb;
    @Option(names = "--hello-timeout", defaultValue = "10", description = "Seconds a new stream has to say Hello before it is refused (default: ${DEFAULT-VALUE}).")
    double helloTimeout;
    @Option(names = "--idle-timeout", defaultValue = "120", description = "Seconds a connection without any stream stays open (default: ${DEFAULT-VALUE}).")
    double idleTimeout;
    @Option(names = "--liveness-timeout", defaultValue = "60", description = "Seconds a site's handler may work on a call without"
            + " progress (its reports of CPU time used stand still or stop) before the site is skipped for the round and told to"
            + " reconnect; finds a stuck site long before --call-timeout. 0 = off (default: ${DEFAULT-VALUE}).")
    double livenessTimeout;
    @Option(names = "--max-streams-per-connection", defaultValue = "4", description = "Streams one connection may hold; a site needs one (default: ${DEFAULT-VALUE}).")
    int maxStreams;
    @Option(names = "--max-receiving", defaultValue = "4", description = "Answers with a payload (uploads, style banks) received and decoded at"
            + " once; each needs a few times its size in heap meanwhile, the others wait, held by flow control (default: ${DEFAULT-VALUE}).")
    int maxReceiving;
    @Option(names = "--health-port", description = "Serve a read-only health and progress endpoint on this port: GET /status (JSON),"
            + " GET /metrics (Prometheus text format); 0 = any free port, written to RUN_DIR/health-address. Off unless given.")
    Integer healthPort;
    @Option(names = "--health-host", defaultValue = "127.0.0.1", description = "Address the health endpoint listens on"
            + " (default: ${DEFAULT-VALUE}, this machine only; it has no TLS).")
    String healthHost;
    @Option(names = "--max-connections-per-site", defaultValue = "4", description = "Connections one certificate identity may hold (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Override
    public Integer call() throws Exception {
        if (port != null) {
            OptionChecks.range("--port", port, 0, 65535, "0 = any free port");
        }
        long callMillis = OptionChecks.millis("--call-timeout", callTimeout);
        long roundMillis = OptionChecks.millis("--round-timeout", roundTimeout);
        long rejoinMillis = OptionChecks.millis("--rejoin-grace", rejoinGrace);
        long waitMillis = OptionChecks.millis("--wait-for-sites", waitForSites);
        OptionChecks.range("--max-upload-mb", maxUploadMb, 1, 1_000_000);
        OptionChecks.range("--max-streams-per-connection", maxStreams, 1, 10_000);
        OptionChecks.range("--max-connections-per-site", maxConnections, 1, 10_000);
        OptionChecks.range("--max-receiving", maxReceiving, 1, 10_000);
        long liveness = livenessTimeout == 0 ? 0 : OptionChecks.millis("--liveness-timeout", livenessTimeout);
        if (healthPort != null) {
            OptionChecks.range("--health-port", healthPort, 0, 65535, "0 = any free port");
        } else if (!"127.0.0.1".equals(healthHost)) {
            throw new IllegalArgumentException("--health-host needs --health-port (the health endpoint is off unless a port is given)");
        }
        Plans.Overrides o;
        if (resume != null) {
            if (config != null || methods != null || seeds != null || rounds != null || localEpochs != null || out != null) {
                throw new IllegalArgumentException("--resume takes the run's own settings; give no --config, --methods, --seeds, --rounds, --local-epochs or --out");
            }
            o = ResumeInfo.read(resume);
        } else {
            o = new Plans.Overrides(config, null, methods, seeds, rounds, localEpochs, null, out);
        }
        RunPlan plan = Plans.build(o);
        int listen = port != null ? port : resume != null ? previousPort(resume) : 7443;
        Tls.Pem tls = null;
        AccessLists allowList = null;
        if (insecure) {
            if (tlsDir != null || ca != null || cert != null || key != null || allow != null || deny != null) {
                throw new IllegalArgumentException("--insecure takes no certificate options");
            }
        } else {
            tls = new Tls.Pem(pick(ca, "ca.pem", "--ca"), pick(cert, "server.pem", "--cert"), pick(key, "server-key.pem", "--key"));
            // both lists are re-read when they change: revoke a certificate without restarting the server
            allowList = AccessLists.files(pick(allow, "allowlist.txt", "--allow"), deny != null ? deny
                    : tlsDir != null ? tlsDir.resolve("denylist.txt") : null);
        }
        System.out.printf("ResFIM server: %s, methods %s, seeds %s, %d rounds -> %s%n", plan.data().source(), plan.methods(), plan.seeds(),
                plan.federation().rounds(), plan.out().toAbsolutePath());
        ServerRuntime runtime = new ServerRuntime(plan, new ServerRuntime.Options(host, listen, tls, allowList, callMillis,
                roundMillis, rejoinMillis, waitMillis, maxUploadMb * org.resfim.state.Bytes.MB, resume != null,
                new FederationServer.Limits(OptionChecks.millis("--hello-timeout", helloTimeout), maxStreams, maxConnections,
                        OptionChecks.millis("--idle-timeout", idleTimeout), liveness), maxReceiving), System.out);
        if (healthPort != null) {
            runtime.serveHealth(healthHost, healthPort);
        }
        ResultTable table = runtime.run();
        System.out.println();
        System.out.println(table.markdown());
        System.out.println("Run directory: " + plan.out().toAbsolutePath());
        return 0;
    }

    private Path pick(Path given, String inDir, String option) {
        if (given != null) {
            return given;
        }
        if (tlsDir == null) {
            throw new IllegalArgumentException("mutual TLS needs " + option + " or --tls-dir (make development certificates with"
                    + " 'resfim certs --out DIR --sites a,b,c'), or run with --insecure");
        }
        return tlsDir.resolve(inDir);
    }

    /** The port a resumed run listened on, so its sites find it again. */
    private static int previousPort(Path runDir) {
        Path f = runDir.resolve(ServerRuntime.ADDRESS_FILE);
        try {
            String a = java.nio.file.Files.readString(f).strip();
            return Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
        } catch (java.io.IOException | RuntimeException e) {
            return 7443;
        }
    }
}
