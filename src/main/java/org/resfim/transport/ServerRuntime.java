package org.resfim.transport;

import org.resfim.federation.CoordinatorCheckpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.resfim.algorithms.AlgorithmRegistry;
import org.resfim.algorithms.AlgorithmSpec;
import org.resfim.federation.Algorithm;
import org.resfim.federation.ClientState;
import org.resfim.federation.Coordinator;
import org.resfim.federation.Message;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.RoundListener;
import org.resfim.federation.UploadSummary;
import org.resfim.report.EvalRecord;
import org.resfim.report.MetricsLog;
import org.resfim.report.ResultTable;
import org.resfim.run.ResumeInfo;
import org.resfim.run.RunDirectory;
import org.resfim.run.SimulationPlan;
import org.resfim.state.ModelState;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The server process: the same {@link Coordinator} and algorithm server procedures as a simulation, with a
 * {@link GrpcTransport} whose sites are the connected site processes. Runs every method × seed of the plan,
 * writes the run directory a simulation writes (metrics, checkpoints, result tables), keeps the server's
 * view of each site's audit, shows who is connected and how far the run is ({@code status.json} too), and
 * continues after a kill with {@code --resume}.
 */
public final class ServerRuntime {
    /** How the server listens and how long it waits. */
    public record Options(String host, int port, Tls.Pem tls, AccessLists allow, long callTimeoutMillis, long roundTimeoutMillis,
                          long rejoinGraceMillis, long waitForSitesMillis, long maxUploadBytes, boolean resume,
                          FederationServer.Limits limits) {
        public Options(String host, int port, Tls.Pem tls, AccessLists allow, long callTimeoutMillis, long roundTimeoutMillis,
                       long rejoinGraceMillis, long waitForSitesMillis, long maxUploadBytes, boolean resume) {
            this(host, port, tls, allow, callTimeoutMillis, roundTimeoutMillis, rejoinGraceMillis, waitForSitesMillis, maxUploadBytes, resume,
                    FederationServer.Limits.DEFAULT);
        }
    }

    public static final String ADDRESS_FILE = "server-address";
    public static final String STATUS_FILE = "status.json";
    /** Where the health endpoint listens ({@code host:port}), when {@link #serveHealth} turned it on. */
    public static final String HEALTH_ADDRESS_FILE = "health-address";

    private final SimulationPlan plan;
    private final Options options;
    private final RunDirectory dir;
    private final EventLog log;
    private final List<String> sites;
    private final Map<String, Audit> audits = new LinkedHashMap<>();
    private final ObjectNode status = new ObjectMapper().createObjectNode();
    private FederationServer server;
    private String healthHost;
    private int healthPort;
    private ServerHealth health;
    private int roundsDone;
    private int roundsTotal;

    public ServerRuntime(SimulationPlan plan, Options options, PrintStream out) {
        this.plan = plan;
        this.options = options;
        this.dir = new RunDirectory(plan.out());
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
        plan.evaluation().validate(plan.federation().rounds());
        try {
            plan.federation().validate(sites.size());
        } catch (org.resfim.config.ConfigException e) {
            throw new org.resfim.config.ConfigException(plan.data().source() + ": " + e.getMessage());
        }
        for (String m : plan.methods()) {
            AlgorithmRegistry.create(spec(m));
        }
        if (options.tls() == null) {
            log.warn("running WITHOUT TLS (--insecure): anyone who can reach this port can claim to be a site, and model updates travel"
                    + " in clear text; use only on a trusted network for testing");
        }
        ResumeInfo.write(plan.out(), plan.origin(), false); // the coordinator loads no libtorch
        String planHash = Deployment.planSha256(plan);
        roundsTotal = plan.methods().size() * plan.seeds().size() * plan.federation().rounds();
        server = new FederationServer(new FederationServer.Options(options.host(), options.port(), options.tls(), options.allow(), sites,
                planHash, options.maxUploadBytes(), options.limits()), log);
        server.onChange(what -> writeStatus());
        HealthEndpoint endpoint = null;
        try {
            int port = server.start();
            write(plan.out().resolve(ADDRESS_FILE), options.host() + ":" + port + "\n");
            status.put("plan_sha256", planHash).put("address", options.host() + ":" + port).put("rounds_done", roundsDone).put("rounds_total", roundsTotal);
            writeStatus();
            if (health != null) {
                endpoint = HealthEndpoint.start(healthHost, healthPort, this::healthView, log);
                write(plan.out().resolve(HEALTH_ADDRESS_FILE), endpoint.address() + "\n");
            }
            GrpcTransport transport = new GrpcTransport(server, sites, new GrpcTransport.Settings(options.callTimeoutMillis(),
                    options.roundTimeoutMillis(), options.rejoinGraceMillis()), log, this::audit);
            log.info("waiting up to " + options.waitForSitesMillis() / 1000 + " s for the sites " + sites);
            Set<String> connected = server.awaitSites(sites, options.waitForSitesMillis());
            if (connected.size() < plan.federation().minSites()) {
                throw new IllegalStateException("only " + connected.size() + " of " + sites.size() + " sites connected " + connected
                        + ", fewer than federation.min_sites = " + plan.federation().minSites());
            }
            if (!connected.containsAll(sites)) {
                log.warn("starting without " + sites.stream().filter(s -> !connected.contains(s)).toList()
                        + " (they may join later)");
            }
            List<EvalRecord> all = new ArrayList<>();
            for (long seed : plan.seeds()) {
                ModelState initial = plan.model().initialState(plan.data().channels(), seed); // engine-free: no libtorch here
                for (String method : plan.methods()) {
                    all.addAll(runOne(transport, method, seed, initial));
                }
            }
            ResultTable table = new ResultTable(all, plan.methods(), sites, plan.seeds(),
                    plan.evaluation().firstSelectableRound(plan.federation().rounds()), plan.evaluation().reference(),
                    plan.evaluation().bootstrap());
            writeResults(table);
            status.put("state", "complete");
            writeStatus();
            log.info("all runs complete; results in " + plan.out().toAbsolutePath().resolve("results.md"));
            server.byeAll("all runs complete");
            return table;
        } finally {
            synchronized (this) {
                closed = true; // waits for a status write in progress; later connection changes write nothing
            }
            server.close();
            if (endpoint != null) {
                endpoint.close();
            }
            audits.values().forEach(Audit::close);
        }
    }

    private AlgorithmSpec spec(String method) {
        AlgorithmSpec s = AlgorithmSpec.parse(method);
        return s.withDefaults(plan.methodParams().get(s.name()));
    }

    private List<EvalRecord> runOne(GrpcTransport transport, String method, long seed, ModelState initial) {
        Path runDir = dir.runDir(method, seed, 0, 1);
        Path metricsFile = runDir.resolve("metrics.jsonl");
        CoordinatorCheckpoint ckpt = new CoordinatorCheckpoint(runDir.resolve("checkpoint"));
        int rounds = plan.federation().rounds();
        String label = method + " seed " + seed;
        if (ckpt.completedRound() == rounds) {
            roundsDone += rounds;
            log.info(label + ": complete, results read from " + runDir);
            return MetricsLog.readEvaluations(metricsFile);
        }
        Algorithm algorithm = AlgorithmRegistry.create(spec(method));
        MetricsLog metrics = new MetricsLog(metricsFile);
        List<EvalRecord> records = new ArrayList<>();
        Coordinator[] coordinator = new Coordinator[1];
        long start = System.nanoTime();
        RoundListener listener = new RoundListener() {
            @Override
            public void onSetup(List<Reply> replies, Message broadcast) {
                ckpt.saveBroadcast(broadcast);
                log.info(label + ": setup answered by " + replies.stream().map(Reply::site).toList());
            }

            @Override
            public void onFit(int round, Reply reply) {
                metrics.fit(round, reply.site(), reply.numSamples(), reply.stats());
                progress(label, round, "fit " + reply.site());
            }

            @Override
            public void onAggregate(int round, List<UploadSummary> uploads) {
                for (UploadSummary u : uploads) {
                    metrics.upload(round, u);
                    auditAggregation(method, seed, round, u);
                }
            }

            @Override
            public void onEvaluate(int round, Reply reply) {
                EvalRecord r = new EvalRecord(method, seed, 0, round, reply.site(), reply.scores());
                records.add(r);
                metrics.evaluate(r);
                progress(label, round, "evaluate " + reply.site());
            }

            @Override
            public void onFailure(int round, Phase phase, String site, String message, boolean permanent) {
                metrics.failure(round, phase.name().toLowerCase(Locale.ROOT), site, message, permanent);
                log.warn(label + ": round " + round + ", " + site + " failed in " + phase + ": " + message
                        + (permanent ? " — the site stops for this run" : " — skipped this round"));
                if (!"*".equals(site)) {
                    transport.notice(site, round, phase + " round " + round + " of " + label + " not used: " + message);
                }
            }

            @Override
            public void onRoundEnd(int round, ClientState serverState) {
                ckpt.save(round, serverState, coordinator[0].dropped());
                roundsDone++;
                List<EvalRecord> evaluated = records.stream().filter(r -> r.round() == round).toList();
                double el = (System.nanoTime() - start) / 1e9;
                log.info(String.format(Locale.ROOT, "%s: round %d/%d complete, %d/%d sites evaluated, %s, connected %s,"
                        + " %d/%d rounds of the plan done, %.1f s", label, round, rounds, evaluated.size(), sites.size(),
                        EvalRecord.meanValDiceText(evaluated), server.connected(),
                        roundsDone, roundsTotal, el));
                progress(label, round, "complete");
            }
        };
        try {
            int done = ckpt.completedRound();
            int[] size = Deployment.siteImageSize(plan.data());
            org.resfim.federation.SetupBound setup = algorithm.setupBound(plan.data().channels(), size[0], size[1]);
            transport.beginRun(method, seed, initial, done, Math.max(4 * initial.numElements(), 1L << 24), setup);
            org.resfim.federation.ServerProcedure procedure = algorithm.newServer(initial);
            procedure.expectSetup(setup); // the style bank's shape comes from the configuration, not from the first answer
            Coordinator c = new Coordinator(transport, procedure, plan.federation(), listener, seed);
            coordinator[0] = c;
            if (done > 0) {
                metrics.truncateAfter(done);
                records.addAll(MetricsLog.readEvaluations(metricsFile));
                roundsDone += done;
                log.info(label + ": resuming after round " + done + "; every site restores its state of that round");
                c.resume(done, ckpt.serverState(done), ckpt.broadcast(), ckpt.dropped());
            } else {
                metrics.truncateAfter(0);
                log.info(label + ": starting, " + rounds + " rounds");
                c.run(initial);
            }
        } finally {
            metrics.close();
        }
        return records;
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
            write(plan.out().resolve(STATUS_FILE), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(status));
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

    private void writeResults(ResultTable table) {
        Map<String, Object> prov = new LinkedHashMap<>(dir.provenance(plan, false)); // the coordinator loads no libtorch
        prov.put("deployment", "grpc, " + sites.size() + " site processes, protocol version " + Protocol.VERSION
                + (options.tls() == null ? ", insecure" : ", mutual TLS"));
        StringBuilder header = new StringBuilder();
        prov.forEach((k, v) -> header.append(k).append(": ").append(v).append('\n'));
        try {
            write(plan.out().resolve("provenance.json"), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(prov));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        write(plan.out().resolve("results.md"), "# Results\n\n" + table.markdown() + "\n```\n" + header + "```\n");
        write(plan.out().resolve("results.csv"), prefixed(header, "# ") + table.csv());
        write(plan.out().resolve("results.tex"), prefixed(header, "% ") + table.latex());
    }

    private static String prefixed(CharSequence text, String prefix) {
        StringBuilder sb = new StringBuilder();
        for (String line : text.toString().split("\n")) {
            sb.append(prefix).append(line).append('\n');
        }
        return sb.toString();
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
