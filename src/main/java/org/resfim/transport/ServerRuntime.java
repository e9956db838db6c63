package org.resfim.transport;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.resfim.federation.Message;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.RoundListener;
import org.resfim.federation.SetupBound;
import org.resfim.federation.Transport;
import org.resfim.federation.UploadSummary;
import org.resfim.report.EvalRecord;
import org.resfim.report.ResultTable;
import org.resfim.run.RunDriver;
import org.resfim.run.RunPlan;
import org.resfim.state.ModelState;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.resfim.state.Jackson;

/**
 * The server process: the {@link RunDriver} a simulation uses (the same coordinator, algorithm server procedures,
 * checkpoints, metrics, result tables with their cost section, {@code config.resolved.json}, provenance and
 * {@code report.html}), with a {@link GrpcTransport} whose sites are the connected site processes. Keeps the
 * server's view of each site's audit, shows who is connected and how far the run is ({@code status.json} too), and
 * continues after a kill with {@code --resume}.
 */
public final class ServerRuntime {
    /**
     * How the server listens and how long it waits.
     *
     * @param maxReceiving answers with a payload received at once ({@link GrpcTransport.Settings#maxReceiving})
     */
    public record Options(String host, int port, Tls.Pem tls, AccessLists allow, long callTimeoutMillis, long roundTimeoutMillis,
                          long rejoinGraceMillis, long waitForSitesMillis, long maxUploadBytes, boolean resume,
                          FederationServer.Limits limits, int maxReceiving) {
        public Options(String host, int port, Tls.Pem tls, AccessLists allow, long callTimeoutMillis, long roundTimeoutMillis,
                       long rejoinGraceMillis, long waitForSitesMillis, long maxUploadBytes, boolean resume) {
            this(host, port, tls, allow, callTimeoutMillis, roundTimeoutMillis, rejoinGraceMillis, waitForSitesMillis, maxUploadBytes, resume,
                    FederationServer.Limits.DEFAULT);
        }

        public Options(String host, int port, Tls.Pem tls, AccessLists allow, long callTimeoutMillis, long roundTimeoutMillis,
                       long rejoinGraceMillis, long waitForSitesMillis, long maxUploadBytes, boolean resume, FederationServer.Limits limits) {
            this(host, port, tls, allow, callTimeoutMillis, roundTimeoutMillis, rejoinGraceMillis, waitForSitesMillis, maxUploadBytes, resume,
                    limits, GrpcTransport.DEFAULT_MAX_RECEIVING);
        }
    }

    public static final String ADDRESS_FILE = "server-address";
    public static final String STATUS_FILE = "status.json";
    /** Where the health endpoint listens ({@code host:port}), when {@link #serveHealth} turned it on. */
    public static final String HEALTH_ADDRESS_FILE = "health-address";

    private final RunPlan plan;
    private final Options options;
    private final EventLog log;
    private final List<String> sites;
    private final Map<String, Audit> audits = new LinkedHashMap<>();
    private final ObjectNode status = Jackson.MAPPER.createObjectNode();
    private FederationServer server;
    private GrpcTransport transport;
    private String healthHost;
    private int healthPort;
    private ServerHealth health;
    private HealthEndpoint endpoint;
    private int roundsDone;
    private int roundsTotal;

    public ServerRuntime(RunPlan plan, Options options, PrintStream out) {
        this.plan = plan;
        this.options = options;
        this.log = new EventLog(out, "server");
        this.sites = Deployment.siteNames(plan.data());
        if (plan.evaluation().folds() > 1) {
            throw new IllegalArgumentException("k-fold evaluation (evaluation.folds = " + plan.evaluation().folds()
                    + ") is a simulation feature; a deployment runs folds = 1");
        }
    }

    public EventLog log() {
        return log;
    }

    /** Serves the read-only {@link HealthEndpoint} on {@code host:port} (0 = any free port) while the server runs. */
    public ServerRuntime serveHealth(String host, int port) {
        this.healthHost = host;
        this.healthPort = port;
        this.health = new ServerHealth(sites);
        return this;
    }

    /** Runs (or continues) the whole plan with the connected sites and returns the result table. */
    public ResultTable run() throws InterruptedException {
        try {
            plan.federation().validate(sites.size());
        } catch (org.resfim.config.ConfigException e) {
            throw new org.resfim.config.ConfigException(plan.data().source() + ": " + e.getMessage());
        }
        if (options.tls() == null) {
            log.warn("running WITHOUT TLS (--insecure): anyone who can reach this port can claim to be a site, and model updates travel"
                    + " in clear text; use only on a trusted network for testing");
        }
        roundsTotal = plan.methods().size() * plan.seeds().size() * plan.federation().rounds();
        try {
            ResultTable table = new RunDriver(plan, new ServerLog()).run(new ConnectedSites());
            status.put("state", "complete");
            writeStatus();
            log.info("all runs complete; results in " + plan.out().toAbsolutePath().resolve("results.md"));
            server.byeAll("all runs complete");
            return table;
        } catch (Interrupted e) {
            throw e.getCause();
        } finally {
            synchronized (this) {
                closed = true; // waits for a status write in progress; later connection changes write nothing
            }
            if (transport != null) {
                transport.close();
            }
            if (server != null) {
                server.close();
            }
            if (endpoint != null) {
                endpoint.close();
            }
            audits.values().forEach(Audit::close);
        }
    }

    /** Carries an interruption through the run driver. */
    private static final class Interrupted extends RuntimeException {
        Interrupted(InterruptedException e) {
            super(e);
        }

        @Override
        public synchronized InterruptedException getCause() {
            return (InterruptedException) super.getCause();
        }
    }

    /** The connected site processes, reached through one {@link GrpcTransport}. */
    private final class ConnectedSites implements RunDriver.Sites {
        @Override
        public List<String> names() {
            return sites;
        }

        /** Listens, and waits for the sites (at least federation.min_sites of them). */
        @Override
        public void prepare() {
            String planHash = Deployment.planSha256(plan);
            server = new FederationServer(new FederationServer.Options(options.host(), options.port(), options.tls(), options.allow(), sites,
                    planHash, options.maxUploadBytes(), options.limits()), log);
            server.onChange(what -> writeStatus());
            int port = server.start();
            write(plan.out().resolve(ADDRESS_FILE), options.host() + ":" + port + "\n");
            status.put("plan_sha256", planHash).put("address", options.host() + ":" + port).put("rounds_done", roundsDone).put("rounds_total", roundsTotal);
            writeStatus();
            if (health != null) {
                endpoint = HealthEndpoint.start(healthHost, healthPort, ServerRuntime.this::healthView, log);
                write(plan.out().resolve(HEALTH_ADDRESS_FILE), endpoint.address() + "\n");
            }
            transport = new GrpcTransport(server, sites, new GrpcTransport.Settings(options.callTimeoutMillis(),
                    options.roundTimeoutMillis(), options.rejoinGraceMillis(), options.maxReceiving()), log, ServerRuntime.this::audit);
            log.info("waiting up to " + options.waitForSitesMillis() / 1000 + " s for the sites " + sites);
            Set<String> connected;
            try {
                connected = server.awaitSites(sites, options.waitForSitesMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Interrupted(e);
            }
            if (connected.size() < plan.federation().minSites()) {
                throw new IllegalStateException("only " + connected.size() + " of " + sites.size() + " sites connected " + connected
                        + ", fewer than federation.min_sites = " + plan.federation().minSites());
            }
            if (!connected.containsAll(sites)) {
                log.warn("starting without " + sites.stream().filter(s -> !connected.contains(s)).toList()
                        + " (they may join later)");
            }
        }

        @Override
        public ModelState initial(long seed) {
            return plan.model().initialState(plan.data().channels(), seed); // engine-free: no libtorch here
        }

        /** The coordinator loads no libtorch: its provenance and resume notes say so instead of asking the engine. */
        @Override
        public boolean engine() {
            return false;
        }

        @Override
        public Transport open(RunDriver.Run run, ModelState initial, int completed, SetupBound setup) {
            transport.beginRun(run.method(), run.seed(), initial, completed, Math.max(4 * initial.numElements(), 1L << 24), setup);
            return transport;
        }

        @Override
        public RoundListener listener(RunDriver.Run run) {
            String label = run.label();
            return new RoundListener() {
                @Override
                public void onSetup(List<Reply> replies, Message broadcast) {
                    log.info(label + ": setup answered by " + replies.stream().map(Reply::site).toList());
                }

                @Override
                public void onFit(int round, Reply reply) {
                    progress(label, round, "fit " + reply.site());
                }

                @Override
                public void onAggregate(int round, List<UploadSummary> uploads) {
                    for (UploadSummary u : uploads) {
                        auditAggregation(run.method(), run.seed(), round, u);
                    }
                }

                @Override
                public void onEvaluate(int round, Reply reply) {
                    progress(label, round, "evaluate " + reply.site());
                }

                @Override
                public void onFailure(int round, Phase phase, String site, String message, boolean permanent) {
                    if (!"*".equals(site)) {
                        transport.notice(site, round, phase + " round " + round + " of " + label + " not used: " + message);
                    }
                }
            };
        }

        @Override
        public Map<String, Object> provenance() {
            return Map.of("deployment", "grpc, " + sites.size() + " site processes, protocol version " + Protocol.VERSION
                    + (options.tls() == null ? ", insecure" : ", mutual TLS"));
        }

        /** What the server wrote (its address, status and audit) stays, also after a failed start. */
        @Override
        public boolean undoFailedStart() {
            return false;
        }
    }

    /** The server's log of the run driver's events; a completed round also updates {@code status.json}. */
    private final class ServerLog implements RunDriver.Log {
        private final long start = System.nanoTime();

        @Override
        public void info(String line) {
            log.info(line);
        }

        @Override
        public void warn(String line) {
            log.warn(line);
        }

        @Override
        public void round(RunDriver.Run run, int round, int rounds, List<EvalRecord> evaluated, int done, int total) {
            roundsDone = done;
            log.info(String.format(Locale.ROOT, "%s: round %d/%d complete, %d/%d sites evaluated, %s, connected %s,"
                    + " %d/%d rounds of the plan done, %.1f s", run.label(), round, rounds, evaluated.size(), sites.size(),
                    EvalRecord.meanValDiceText(evaluated), server.connected(), done, total, (System.nanoTime() - start) / 1e9));
            progress(run.label(), round, "complete");
        }
    }

    private synchronized void progress(String label, int round, String step) {
        status.put("run", label).put("round", round).put("step", step).put("rounds_done", roundsDone).put("rounds_total", roundsTotal);
        writeStatus();
    }

    private volatile boolean closed;

    private synchronized void writeStatus() {
        if (closed) {
            return;
        }
        status.put("updated", Instant.now().toString());
        status.putPOJO("connected", server == null ? List.of() : new ArrayList<>(server.connected()));
        status.putPOJO("sites", sites);
        try {
            write(plan.out().resolve(STATUS_FILE), Jackson.PRETTY.writeValueAsString(status));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the health endpoint answers: status.json's figures, the connected sites, every site's answers, the refusals. */
    private synchronized com.fasterxml.jackson.databind.JsonNode healthView() {
        return health.json(status.deepCopy(), server.connected(), server.refusals(), server.lastRefusal());
    }

    /** The server's view of what a site sent: the same record the site writes, plus the reason if it was rejected. */
    private synchronized void audit(String site, String run, long seed, Frame.Answer a, Message upload, long wireBytes, String rejected) {
        if (health != null) {
            health.answer(site, run, seed, a.phase(), a.round(), wireBytes, rejected); // a failed answer comes with its error
        }
        Audit audit = serverAudit(site);
        String kind = a.phase().equals(Phase.SETUP.name()) && a.round() > 0 ? "restore" : a.phase().toLowerCase(Locale.ROOT);
        ObjectNode n = Audit.record(site, run, seed, kind, a.round(), upload, wireBytes, a.numSamples(), a.scores(), a.stats(), a.error());
        if (rejected != null && !a.failed()) {
            n.put("rejected", rejected);
        }
        audit.write(n);
    }

    private Audit serverAudit(String site) {
        return audits.computeIfAbsent(site, s -> new Audit(plan.out().resolve(Audit.SERVER_DIR).resolve(s + ".jsonl")));
    }

    /** The server's own record of what an accepted upload weighed: its sample count, weight and update norm. */
    private synchronized void auditAggregation(String run, long seed, int round, UploadSummary u) {
        serverAudit(u.site()).write(Audit.aggregated(u.site(), run, seed, round, u.numSamples(), u.weight(), u.updateNorm(), u.clipped()));
    }

    /** Writes {@code file} atomically and durably (fsync'ed with its folder): status, results, provenance. */
    static void write(Path file, String text) {
        try {
            org.resfim.state.AtomicFiles.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
