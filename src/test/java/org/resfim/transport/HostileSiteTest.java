package org.resfim.transport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.resfim.algorithms.AlgorithmRegistry;
import org.resfim.algorithms.MaskedAverageServer;
import org.resfim.federation.Aggregation;
import org.resfim.federation.ProcedureState;
import org.resfim.federation.Coordinator;
import org.resfim.federation.FederationSettings;
import org.resfim.federation.ImageScore;
import org.resfim.federation.Message;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.Request;
import org.resfim.federation.RoundListener;
import org.resfim.federation.UploadSummary;
import org.resfim.metrics.MetricSummary;
import org.resfim.state.Aggregator;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue #17: an authenticated site built from the project's own classes, behaving badly against a server on
 * 127.0.0.1 (real gRPC streams, stand-in training). Each test is one attack of the issue.
 */
class HostileSiteTest {
    private static final List<String> SITES = List.of("a", "b", "c");
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void close() throws Exception {
        Collections.reverse(closing);
        for (AutoCloseable c : closing) {
            c.close();
        }
        threads.shutdownNow();
    }

    FederationServer server(EventLog log) {
        FederationServer s = new FederationServer(new FederationServer.Options("127.0.0.1", 0, null, null, SITES, "plan-1", 256L << 20), log);
        closing.add(s);
        return s;
    }

    void site(int port, String site, SiteClient.Handler h) {
        site(port, site, null, 0, h);
    }

    SiteClient site(int port, String site, Tls.Pem tls, int maxAttempts, SiteClient.Handler h) {
        SiteClient c = new SiteClient(new SiteClient.Options("127.0.0.1", port, site, tls, "plan-1", 100, 300, maxAttempts, null), h,
                DeploymentTest.tempAudit("resfim-hostile-audit-" + site + "-"),
                new EventLog(null, site));
        threads.submit(c::run);
        return c;
    }

    FederationServer tlsServer(Path pki, EventLog log, FederationServer.Limits limits) {
        return tlsServer(pki, log, limits, AccessLists.fixed(AllowList.read(pki.resolve("allowlist.txt"))));
    }

    FederationServer tlsServer(Path pki, EventLog log, FederationServer.Limits limits, AccessLists access) {
        Tls.Pem tls = new Tls.Pem(pki.resolve("ca.pem"), pki.resolve("server.pem"), pki.resolve("server-key.pem"));
        FederationServer s = new FederationServer(new FederationServer.Options("127.0.0.1", 0, tls, access, SITES, "plan-1", 256L << 20, limits), log);
        closing.add(s);
        return s;
    }

    static Path pki(Path tmp) {
        Path pki = tmp.resolve("pki");
        DevCertificates.create(pki, SITES, List.of(), java.time.Duration.ofDays(1));
        return pki;
    }

    /** A TLS connection of its own (one channel = one connection) with a site's certificate. */
    io.grpc.ManagedChannel channel(int port, Tls.Pem tls) {
        io.grpc.ManagedChannel ch = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", port)
                .sslContext(Tls.client(tls)).negotiationType(io.grpc.netty.shaded.io.grpc.netty.NegotiationType.TLS).build();
        closing.add(ch::shutdownNow);
        return ch;
    }

    /** A stream that sends nothing; collects what the server says and whether it ended. */
    static final class Silent implements io.grpc.stub.StreamObserver<Frame> {
        final List<Frame> got = new CopyOnWriteArrayList<>();
        final java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);

        static Silent open(io.grpc.ManagedChannel ch) {
            Silent s = new Silent();
            io.grpc.stub.ClientCalls.asyncBidiStreamingCall(ch.newCall(Protocol.SESSION, io.grpc.CallOptions.DEFAULT), s);
            return s;
        }

        String refusal() {
            return got.stream().filter(f -> f instanceof Frame.Refusal).map(f -> ((Frame.Refusal) f).reason()).findFirst().orElse(null);
        }

        @Override
        public void onNext(Frame f) {
            got.add(f);
        }

        @Override
        public void onError(Throwable t) {
            ended.countDown();
        }

        @Override
        public void onCompleted() {
            ended.countDown();
        }
    }

    static void await(String what, java.util.function.BooleanSupplier done) throws InterruptedException {
        await(what, done, null);
    }

    static void await(String what, java.util.function.BooleanSupplier done, EventLog log) throws InterruptedException {
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out waiting for " + what + (log == null ? "" : "\n" + String.join("\n", log.lines())));
            }
            Thread.sleep(20);
        }
    }

    /** A stand-in site: keeps the model it is sent; its FIT answer and EVALUATE scores are what the test says. */
    static final class Site implements SiteClient.Handler {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final Function<Integer, Long> fitCount;
        final Function<ModelState, ModelState> fit;
        final long setupCount;
        final double dice;
        volatile ModelState model = new ModelState();

        Site(long setupCount, Function<Integer, Long> fitCount, Function<ModelState, ModelState> fit, double dice) {
            this.setupCount = setupCount;
            this.fitCount = fitCount;
            this.fit = fit;
            this.dice = dice;
        }

        static Site honest(float add) {
            return new Site(10, r -> 10L, m -> map(m, v -> v + add), 0.5);
        }

        @Override
        public Reply handle(String run, long seed, Request r) {
            calls.add(r.phase() + " " + r.round());
            return switch (r.phase()) {
                case SETUP -> {
                    if (r.round() == 0) {
                        model = r.message().tensors();
                    }
                    yield new Reply("x", Phase.SETUP, r.round(), null, setupCount, null, null);
                }
                case FIT -> new Reply("x", Phase.FIT, r.round(), Message.of(fit.apply(model)), fitCount.apply(r.round()), null,
                        Map.of("train_loss", 0.1));
                case EVALUATE -> {
                    model = model.overlay(r.message().tensors());
                    yield new Reply("x", Phase.EVALUATE, r.round(), null, setupCount,
                            List.of(new ImageScore("val", "img", new MetricSummary(dice, 0.3, 0.6, 0.9, 2.0))), null);
                }
                case SECAGG -> throw new IllegalStateException("no secure aggregation here");
            };
        }
    }

    static ModelState map(ModelState m, java.util.function.DoubleUnaryOperator f) {
        ModelState out = new ModelState();
        for (Tensor t : m.tensors()) {
            float[] d = t.data().clone();
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) f.applyAsDouble(d[i]);
            }
            out.put(t.withData(d));
        }
        return out;
    }

    /** ±1e30 everywhere: finite, so every value check passes. */
    static ModelState huge(ModelState m) {
        ModelState out = new ModelState();
        for (Tensor t : m.tensors()) {
            float[] d = new float[t.size()];
            for (int i = 0; i < d.length; i++) {
                d[i] = i % 2 == 0 ? 1e30f : -1e30f;
            }
            out.put(t.withData(d));
        }
        return out;
    }

    static double maxAbs(ModelState s) {
        double m = 0;
        for (Tensor t : s.tensors()) {
            for (float v : t.data()) {
                m = Math.max(m, Math.abs(v));
            }
        }
        return m;
    }

    /** Records failures, evaluations and aggregation summaries. */
    static final class Recorder implements RoundListener {
        final List<String> failures = new CopyOnWriteArrayList<>();
        final List<String> evaluated = new CopyOnWriteArrayList<>();
        final List<UploadSummary> uploads = new CopyOnWriteArrayList<>();

        @Override
        public void onFailure(int round, Phase phase, String site, String message, boolean permanent) {
            failures.add(round + " " + phase + " " + site + ": " + message);
        }

        @Override
        public void onEvaluate(int round, Reply reply) {
            evaluated.add(round + " " + reply.site() + " " + reply.scores().get(0).metrics().dice());
        }

        @Override
        public void onAggregate(int round, List<UploadSummary> u) {
            uploads.addAll(u);
        }

        @Override
        public void onRoundEnd(int round, ProcedureState serverState) {
        }
    }

    @Test
    void aSiteCannotTakeTheModelOverWithAHugeSampleCountHugeValuesOrAnImpossibleScore() throws Exception {
        EventLog log = new EventLog(null, "server");
        FederationServer server = server(log);
        int port = server.start();
        site(port, "a", Site.honest(1f));
        site(port, "b", Site.honest(3f));
        // c: an honest count at SETUP, then Long.MAX_VALUE (round 1) and a million (round 2) with ±1e30; Dice 1e6
        Site c = new Site(10, r -> r == 1 ? Long.MAX_VALUE : 1_000_000L, HostileSiteTest::huge, 1e6);
        site(port, "c", c);
        assertEquals(new java.util.TreeSet<>(SITES), server.awaitSites(SITES, 20_000));
        ModelState initial = UploadCheckTest.model(0f);
        GrpcTransport t = new GrpcTransport(server, SITES, new GrpcTransport.Settings(10_000, 10_000, 0), log, (s, r, sd, an, u, b, rj) -> { });
        t.beginRun("fedavg", 0, initial, 0, 1000);
        MaskedAverageServer fedavg = (MaskedAverageServer) AlgorithmRegistry.create("fedavg").newServer(initial);
        Recorder rec = new Recorder();
        new Coordinator(t, fedavg, new FederationSettings(2, 1.0, 2), rec, 0).run(initial);

        assertTrue(maxAbs(fedavg.global()) < 10, "the global model stays the honest sites' (max |w| " + maxAbs(fedavg.global()) + ")");
        String all = String.join("\n", rec.failures);
        assertTrue(all.contains("1 FIT c: ") && all.contains("reports " + Long.MAX_VALUE + " training samples"), all);
        assertTrue(all.contains("2 FIT c: it reports 1000000 training samples but declared 10 at SETUP"), all);
        assertTrue(all.contains("1 EVALUATE c: ") && all.contains("Dice 1000000.0"), all);
        assertTrue(rec.evaluated.stream().noneMatch(e -> e.endsWith(" c 1000000.0")), rec.evaluated.toString());
        assertEquals(4, rec.evaluated.size(), "a and b evaluated both rounds: " + rec.evaluated);
        // every accepted upload's count and update norm is reported (metrics and audit write them)
        assertEquals(List.of("a", "b", "a", "b"), rec.uploads.stream().map(UploadSummary::site).toList());
        assertTrue(rec.uploads.stream().allMatch(u -> u.numSamples() == 10 && u.updateNorm() > 0), rec.uploads.toString());
    }

    /** #17 item 3: a stolen key neither knocks the live site out nor takes its place. */
    @Test
    void aSecondConnectionWithALiveSitesCertificateIsRefusedAndTheSiteKeepsItsSession(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        Path pki = pki(tmp);
        EventLog log = new EventLog(null, "server");
        FederationServer server = tlsServer(pki, log, FederationServer.Limits.DEFAULT);
        int port = server.start();
        Tls.Pem a = SessionTest.siteTls(pki, "site-a");
        site(port, "a", a, 0, Site.honest(1f));
        await("site a", () -> server.session("a") != null);
        long number = server.session("a").number();
        SiteClient thief = site(port, "a", a, 2, Site.honest(9f));
        await("the thief's refusals", () -> thief.lastRefusal().contains("a second connection for a live site is refused"));
        assertTrue(thief.lastRefusal().startsWith("site 'a' is already connected (from /127.0.0.1:"), thief.lastRefusal());
        assertEquals(number, server.session("a").number(), "the live session was not replaced");
        String all = String.join("\n", log.lines());
        assertTrue(all.matches("(?s).*refused /127\\.0\\.0\\.1:\\d+ \\(a\\): site 'a' is already connected.*"), all);
        assertEquals(1, log.lines().stream().filter(l -> l.contains("site 'a' connected")).count(), all);
    }

    @Test
    void aStreamThatNeverSaysHelloIsRefusedAndLoggedWithItsAddress(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path pki = pki(tmp);
        EventLog log = new EventLog(null, "server");
        FederationServer server = tlsServer(pki, log, new FederationServer.Limits(300, 4, 4, 120_000));
        int port = server.start();
        Silent s = Silent.open(channel(port, SessionTest.siteTls(pki, "site-a")));
        assertTrue(s.ended.await(30, java.util.concurrent.TimeUnit.SECONDS), "the server closed the stream");
        assertTrue(s.refusal() != null && s.refusal().startsWith("no Hello within 0.3 s"), s.got.toString());
        assertTrue(log.contains("(a): no Hello within 0.3 s") && log.contains("refused /127.0.0.1:"), String.join("\n", log.lines()));
    }

    @Test
    void streamsPerConnectionAndConnectionsPerIdentityAreCappedAndEachRefusalLogged(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        Path pki = pki(tmp);
        EventLog log = new EventLog(null, "server");
        FederationServer server = tlsServer(pki, log, new FederationServer.Limits(60_000, 2, 2, 120_000));
        int port = server.start();
        Tls.Pem a = SessionTest.siteTls(pki, "site-a");
        io.grpc.ManagedChannel first = channel(port, a);
        List<Silent> streams = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            streams.add(Silent.open(first));
        }
        await("3 of 5 streams refused", () -> streams.stream().filter(x -> x.refusal() != null).count() == 3);
        assertTrue(streams.stream().filter(x -> x.refusal() != null).allMatch(x -> x.refusal().equals("more than 2 streams on one connection")));
        assertEquals(3, log.lines().stream().filter(l -> l.contains("(a): more than 2 streams on one connection")).count());
        // a second connection with the same identity is admitted, a third is not (opened only once the second is counted:
        // two connections opened at once reach the server in either order)
        Silent second = Silent.open(channel(port, a));
        await("the second connection counted", () -> server.connectionsOf("a") == 2);
        Silent third = Silent.open(channel(port, a));
        assertTrue(third.ended.await(30, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals("more than 2 connections with certificate identity 'a'", third.refusal());
        assertNull(second.refusal(), second.got.toString());
        assertTrue(log.contains("(a): more than 2 connections with certificate identity 'a'"), String.join("\n", log.lines()));
    }

    @Test
    void aConnectionWithoutStreamsIsClosedWhenIdle(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path pki = pki(tmp);
        FederationServer server = tlsServer(pki, new EventLog(null, "server"), new FederationServer.Limits(10_000, 4, 4, 300));
        int port = server.start();
        io.grpc.ManagedChannel ch = channel(port, SessionTest.siteTls(pki, "site-a"));
        await("the connection", () -> ch.getState(true) == io.grpc.ConnectivityState.READY);
        await("the server to close the idle connection", () -> ch.getState(false) != io.grpc.ConnectivityState.READY);
    }

    /** #17 item 6: a CN with a newline writes one escaped line (with the peer's address), not a forged one. */
    @Test
    void aCertificateNameCannotForgeALogLineAndEveryTlsRefusalNamesThePeer(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path pki = pki(tmp);
        EventLog log = new EventLog(null, "server");
        FederationServer server = tlsServer(pki, log, FederationServer.Limits.DEFAULT);
        int port = server.start();
        String forged = "16:00:00.000 [server] site 'synthetic-1' connected"; // a CN has at most 64 characters
        Path odd = tmp.resolve("odd");
        java.nio.file.Files.createDirectories(odd);
        java.nio.file.Files.copy(pki.resolve("ca.pem"), odd.resolve("ca.pem"));
        java.time.Instant now = java.time.Instant.now();
        DevCertificates.write(odd, "forger", DevCertificates.issue(DevCertificates.authority("Some other CA", java.time.Duration.ofDays(1)),
                "x\n" + forged, false, List.of(), now.minusSeconds(60), now.plusSeconds(86400)));
        site(port, "a", SessionTest.siteTls(odd, "forger"), 1, Site.honest(1f));
        await("the refusal of the forger's certificate", () -> log.contains("certificate 'x\\u000a"), log);
        // and a client that shows no certificate at all
        io.grpc.ManagedChannel bare = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", port)
                .sslContext(io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient().trustManager(pki.resolve("ca.pem").toFile()).build())
                .negotiationType(io.grpc.netty.shaded.io.grpc.netty.NegotiationType.TLS).build();
        closing.add(bare::shutdownNow);
        Silent.open(bare);
        await("the refusal of the client without a certificate", () -> log.contains("no client certificate"));

        String all = String.join("\n", log.lines());
        assertTrue(log.lines().stream().noneMatch(l -> l.contains("\n")), all);
        assertTrue(all.lines().noneMatch(l -> l.startsWith("16:00:00.000")), "a forged line: " + all);
        assertTrue(all.contains("certificate 'x\\u000a16:00:00.000 [server] site 'synthetic-1' connected"), all);
        assertTrue(all.matches("(?s).*refused TLS client /127\\.0\\.0\\.1:\\d+: certificate 'x\\\\u000a.*"), all);
        assertTrue(all.matches("(?s).*refused TLS client /127\\.0\\.0\\.1:\\d+: no client certificate.*"), all);
        assertNull(server.session("a"));
    }

    /** #17 item 6: a Hello's software string and an answer's error are the peer's text: escaped and cut. */
    @Test
    void aSoftwareNameOrAnErrorMessageIsEscapedAndCut() throws Exception {
        EventLog log = new EventLog(null, "server");
        FederationServer server = server(log);
        int port = server.start();
        io.grpc.ManagedChannel ch = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .maxInboundMessageSize(Protocol.MAX_FRAME_BYTES).build();
        closing.add(ch::shutdownNow);
        String fake = "\n16:00:00.000 [server] site 'c' connected";
        Silent hello = new Silent();
        io.grpc.stub.StreamObserver<Frame> up = io.grpc.stub.ClientCalls.asyncBidiStreamingCall(ch.newCall(Protocol.SESSION,
                io.grpc.CallOptions.DEFAULT), hello);
        up.onNext(new Frame.Hello(Protocol.VERSION, "a", fake + "x".repeat(1 << 20), "plan-1"));
        await("site a", () -> log.contains("site 'a' connected from"));
        String line = log.lines().stream().filter(l -> l.contains("site 'a' connected")).findFirst().orElseThrow();
        assertTrue(line.length() < 1000 && line.contains("\\u000a16:00:00.000") && line.contains("more characters)"), line);

        // an error answer: what reaches the coordinator (and its log, metrics and the site's notice) is one bounded line
        site(port, "b", (run, seed, r) -> {
            throw new org.resfim.federation.ParticipantException("b", "boom" + fake + "y".repeat(100_000), false, null);
        });
        await("site b", () -> log.contains("site 'b' connected from"));
        GrpcTransport t = new GrpcTransport(server, SITES, new GrpcTransport.Settings(10_000, 10_000, 0), log, (s, r, sd, an, u, b, rj) -> { });
        t.beginRun("fedavg", 0, UploadCheckTest.model(0f), 0, 1000);
        org.resfim.federation.ParticipantException e = assertThrows(org.resfim.federation.ParticipantException.class,
                () -> t.call("b", new Request(Phase.SETUP, 0, Message.empty())));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().length() < 1200 && e.getMessage().contains("boom\\u000a16:00"), e.getMessage());
    }

    /** #17 item 4: the allow-list binds a site to its certificate, not only to a name the CA might issue again. */
    @Test
    void anotherCertificateWithAnAllowListedNameIsRefused(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path pki = pki(tmp);
        EventLog log = new EventLog(null, "server");
        FederationServer server = tlsServer(pki, log, FederationServer.Limits.DEFAULT);
        int port = server.start();
        Path caDir = DevCertificates.caDirFor(pki);
        DevCertificates.Issued ca = new DevCertificates.Issued(DevCertificates.readCertificate(caDir.resolve("ca.pem")),
                DevCertificates.readKey(caDir.resolve("ca-key.pem")));
        Path odd = tmp.resolve("odd");
        java.nio.file.Files.createDirectories(odd);
        java.nio.file.Files.copy(pki.resolve("ca.pem"), odd.resolve("ca.pem"));
        java.time.Instant now = java.time.Instant.now();
        DevCertificates.write(odd, "second-a", DevCertificates.issue(ca, "a", false, List.of(), now.minusSeconds(60), now.plusSeconds(86400)));
        SiteClient twin = site(port, "a", SessionTest.siteTls(odd, "second-a"), 1, Site.honest(1f));
        await("the refusal", () -> !twin.lastRefusal().isEmpty(), log);
        assertTrue(twin.lastRefusal().startsWith("certificate identity 'a' is bound to another certificate (this one is sha256:"),
                twin.lastRefusal());
        assertNull(server.session("a"));
        site(port, "a", SessionTest.siteTls(pki, "site-a"), 0, Site.honest(1f));
        await("the real site a", () -> server.session("a") != null, log);
    }

    /** #17 item 4: a certificate put on the deny-list loses its live session and cannot return; no restart. */
    @Test
    void aRevokedCertificateLosesItsSessionAndIsRefusedWithoutARestart(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path pki = pki(tmp);
        EventLog log = new EventLog(null, "server");
        Path deny = pki.resolve("denylist.txt");
        FederationServer server = tlsServer(pki, log, FederationServer.Limits.DEFAULT, AccessLists.files(pki.resolve("allowlist.txt"), deny));
        int port = server.start();
        SiteClient a = site(port, "a", SessionTest.siteTls(pki, "site-a"), 0, Site.honest(1f));
        SiteClient b = site(port, "b", SessionTest.siteTls(pki, "site-b"), 0, Site.honest(1f));
        await("a and b", () -> server.connected().equals(java.util.Set.of("a", "b")), log);

        String print = AllowList.fingerprint(DevCertificates.readCertificate(pki.resolve("site-a.pem")));
        java.nio.file.Files.writeString(deny, "# stolen laptop\nsha256:" + print.toUpperCase() + "\n");
        await("a's session closed for good", () -> a.lastRefusal().contains("is revoked (deny-list)"), log);
        assertTrue(log.contains("closing the session of site 'a'"), String.join("\n", log.lines()));
        await("a refused on reconnecting", () -> server.session("a") == null, log);
        assertNotNull(server.session("b"), "b is not affected");

        // the allow-list is re-read too: b's binding removed, b's session ends
        List<String> lines = java.nio.file.Files.readAllLines(pki.resolve("allowlist.txt"));
        java.nio.file.Files.write(pki.resolve("allowlist.txt"), lines.stream().filter(l -> !l.startsWith("b ")).toList());
        await("b's session closed", () -> b.lastRefusal().contains("certificate identity 'b' is not on the allow-list"), log);
        assertTrue(log.contains("allow-list " + pki.resolve("allowlist.txt") + " reloaded"), String.join("\n", log.lines()));
    }

    /** #17 item 9: a site's audit says what was handed to the connection, not what it meant to send. */
    @Test
    void anAnswerThatCouldNotBeSentIsAuditedAsNotSent(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        EventLog log = new EventLog(null, "server");
        FederationServer server = server(log);
        int port = server.start();
        Path auditFile = tmp.resolve("audit.jsonl");
        EventLog siteLog = new EventLog(null, "a");
        ModelState initial = UploadCheckTest.model(0f);
        SiteClient.Handler slow = (run, seed, r) -> {
            if (r.phase() == Phase.FIT) {
                try {
                    Thread.sleep(1500); // past the server's deadline: the server closes the session meanwhile
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new Reply("a", Phase.FIT, r.round(), Message.of(initial), 10, null, null);
            }
            return new Reply("a", r.phase(), r.round(), null, 10, null, null);
        };
        threads.submit(new SiteClient(new SiteClient.Options("127.0.0.1", port, "a", null, "plan-1", 100, 300, 0, null), slow,
                new Audit(auditFile), siteLog)::run);
        await("site a", () -> server.session("a") != null);
        GrpcTransport t = new GrpcTransport(server, SITES, new GrpcTransport.Settings(300, 300, 0), log, (s2, r, sd, an, u, b, rj) -> { });
        t.beginRun("fedavg", 0, initial, 0, 1000);
        t.call("a", new Request(Phase.SETUP, 0, Message.of(initial)));
        assertThrows(org.resfim.federation.ParticipantException.class, () -> t.call("a", new Request(Phase.FIT, 1, Message.empty())));
        await("the site's failed send", () -> siteLog.contains("could not send the answer to FIT round 1"), siteLog);
        List<com.fasterxml.jackson.databind.JsonNode> records = Audit.read(auditFile);
        com.fasterxml.jackson.databind.JsonNode fit = records.stream().filter(n -> n.path("kind").asText().equals("fit")).findFirst().orElseThrow();
        assertTrue(fit.has("send_failed"), "the record says the answer did not (wholly) leave: " + fit);
        com.fasterxml.jackson.databind.JsonNode setup = records.stream().filter(n -> n.path("kind").asText().equals("setup")).findFirst()
                .orElseThrow();
        assertFalse(setup.has("send_failed"), setup.toString());
    }

    @Test
    void aSiteDeclaringAHugeCountFromTheStartIsBoundedByTheMedianOrByClipping() throws Exception {
        EventLog log = new EventLog(null, "server");
        FederationServer server = server(log);
        int port = server.start();
        site(port, "a", Site.honest(1f));
        site(port, "b", Site.honest(3f));
        site(port, "c", new Site(Integer.MAX_VALUE, r -> (long) Integer.MAX_VALUE, HostileSiteTest::huge, 0.5));
        assertEquals(new java.util.TreeSet<>(SITES), server.awaitSites(SITES, 20_000));
        ModelState initial = UploadCheckTest.model(0f);
        GrpcTransport t = new GrpcTransport(server, SITES, new GrpcTransport.Settings(10_000, 10_000, 0), log, (s, r, sd, an, u, b, rj) -> { });
        for (Aggregation a : List.of(new Aggregation(Aggregator.median(), Aggregation.Weights.SAMPLES, 0, 0),
                new Aggregation(Aggregator.MEAN, Aggregation.Weights.SAMPLES, 0, 2.0))) {
            t.beginRun("fedavg " + a, 0, initial, 0, 1000);
            MaskedAverageServer fedavg = (MaskedAverageServer) AlgorithmRegistry.create("fedavg").newServer(initial);
            Recorder rec = new Recorder();
            new Coordinator(t, fedavg, new FederationSettings(1, 1.0, 2).withAggregation(a), rec, 0).run(initial);
            assertTrue(rec.failures.isEmpty(), rec.failures.toString());
            assertTrue(maxAbs(fedavg.global()) <= 3 + 1e-6, a + ": max |w| " + maxAbs(fedavg.global()));
            UploadSummary hostile = rec.uploads.stream().filter(u -> u.site().equals("c")).findFirst().orElseThrow();
            assertEquals(Integer.MAX_VALUE, hostile.numSamples());
            assertTrue(hostile.updateNorm() > 1e30, hostile.toString());
        }
    }
}
