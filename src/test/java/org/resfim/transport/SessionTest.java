package org.resfim.transport;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.algorithms.AlgorithmRegistry;
import org.resfim.federation.ProcedureState;
import org.resfim.federation.Coordinator;
import org.resfim.federation.FederationSettings;
import org.resfim.federation.ImageScore;
import org.resfim.federation.Message;
import org.resfim.federation.ParticipantException;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.Request;
import org.resfim.federation.RoundListener;
import org.resfim.metrics.MetricSummary;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The gRPC transport in one JVM on 127.0.0.1, with stand-in sites (no training): mutual TLS, the refusals,
 * the protocol version check, chunked streaming of a 3.2 M-parameter state, deadlines and rejoining, and a
 * hostile upload that is rejected while the round goes on.
 */
class SessionTest {
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

    private FederationServer server(Path pki, EventLog log) {
        Tls.Pem tls = pki == null ? null : new Tls.Pem(pki.resolve("ca.pem"), pki.resolve("server.pem"), pki.resolve("server-key.pem"));
        FederationServer s = new FederationServer(new FederationServer.Options("127.0.0.1", 0, tls,
                pki == null ? null : AllowList.read(pki.resolve("allowlist.txt")), SITES, "plan-1", 256L << 20), log);
        closing.add(s);
        return s;
    }

    private SiteClient client(int port, String site, Tls.Pem tls, String plan, int maxAttempts, SiteClient.Handler h, EventLog log) {
        return new SiteClient(new SiteClient.Options("127.0.0.1", port, site, tls, plan, 100, 300, maxAttempts, null), h,
                DeploymentTest.tempAudit("resfim-test-audit-" + site + "-"), log);
    }

    private Future<SiteClient.Outcome> start(SiteClient c) {
        return threads.submit(c::run);
    }

    static Tls.Pem siteTls(Path dir, String stem) {
        return new Tls.Pem(dir.resolve("ca.pem"), dir.resolve(stem + ".pem"), dir.resolve(stem + "-key.pem"));
    }

    /** Echoes FIT's model back (+ site offset), answers EVALUATE with one score; records every call. */
    static final class Stub implements SiteClient.Handler {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final List<Message> received = new CopyOnWriteArrayList<>();
        volatile float add;
        volatile boolean nan;
        /** FIT of round 2 waits until this opens (null: no wait): an answer that cannot come before the test allows it. */
        volatile java.util.concurrent.CountDownLatch holdAtFit2;
        volatile ModelState model = new ModelState();

        @Override
        public Reply handle(String run, long seed, Request r) throws ParticipantException {
            calls.add(r.phase() + " " + r.round());
            received.add(r.message());
            switch (r.phase()) {
                case FIT -> {
                    java.util.concurrent.CountDownLatch hold = holdAtFit2;
                    if (r.round() == 2 && hold != null) {
                        holdAtFit2 = null;
                        try {
                            hold.await(60, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    ModelState up = new ModelState();
                    for (Tensor t : model.tensors()) {
                        float[] d = t.data().clone();
                        for (int i = 0; i < d.length; i++) {
                            d[i] = nan && i == 0 ? Float.NaN : d[i] + add;
                        }
                        up.put(t.withData(d));
                    }
                    return new Reply("x", Phase.FIT, r.round(), Message.of(up), 10, null, Map.of("train_loss", 0.1));
                }
                case EVALUATE -> {
                    model = model.overlay(r.message().tensors());
                    return new Reply("x", Phase.EVALUATE, r.round(), null, 10,
                            List.of(new ImageScore("val", "img", new MetricSummary(0.5, 0.3, 0.6, 0.9, 2.0))), null);
                }
                default -> {
                    if (r.round() == 0) {
                        model = r.message().tensors();
                    }
                    return new Reply("x", Phase.SETUP, r.round(), null, 10, null, null);
                }
            }
        }
    }

    @Test
    void mutualTlsCarriesA32MParameterStateBothWaysInChunks(@TempDir Path tmp) throws Exception {
        Path pki = tmp.resolve("pki");
        DevCertificates.create(pki, SITES, List.of(), Duration.ofDays(1));
        EventLog log = new EventLog(null, "server");
        FederationServer server = server(pki, log);
        int port = server.start();
        Stub stub = new Stub();
        Future<SiteClient.Outcome> a = start(client(port, "a", siteTls(pki, "site-a"), "plan-1", 0, stub, new EventLog(null, "a")));
        assertTrue(server.awaitSites(List.of("a"), 20_000).contains("a"), String.join("\n", log.lines()));
        assertEquals("a", server.session("a").identity());

        ModelState big = ProtocolTest.state(3_200_000, 3);
        List<String> audited = new CopyOnWriteArrayList<>();
        GrpcTransport t = new GrpcTransport(server, SITES, new GrpcTransport.Settings(60_000, 60_000, 0), log,
                (site, run, seed, ans, up, bytes, rejected) -> audited.add(site + " " + ans.phase() + " " + bytes + " " + rejected));
        t.beginRun("fedavg", 0, big, 0, big.numElements());
        stub.add = 1f;
        t.call("a", new Request(Phase.SETUP, 0, Message.of(big)));
        Reply r = t.call("a", new Request(Phase.FIT, 1, Message.empty()));
        assertEquals(big.numElements(), stub.model.numElements());
        assertEquals("a", r.site());
        for (Tensor x : big.tensors()) {
            float[] got = r.upload().tensors().get(x.name()).data();
            assertEquals(x.data()[17] + 1f, got[17]);
            assertEquals(x.data()[x.size() - 1] + 1f, got[x.size() - 1]);
        }
        assertEquals(2, audited.size());
        assertTrue(audited.get(0).startsWith("a SETUP 0 null"), audited.toString());
        assertTrue(audited.get(1).startsWith("a FIT " + StateBytes.of(big) + " null"), audited.toString());
        server.byeAll("done");
        assertEquals(SiteClient.Outcome.FINISHED, a.get(20, TimeUnit.SECONDS));
    }

    /** Size of a state's RFIM encoding. */
    static final class StateBytes {
        static long of(ModelState s) {
            return org.resfim.state.StateFile.toBytes(s).length;
        }
    }

    @Test
    void certificatesFromAnotherCaExpiredUnlistedOrClaimingAnotherSiteAreRefusedAndLogged(@TempDir Path tmp) throws Exception {
        Path pki = tmp.resolve("pki");
        DevCertificates.create(pki, SITES, List.of(), Duration.ofDays(1));
        DevCertificates.Issued ca = new DevCertificates.Issued(DevCertificates.readCertificate(pki.resolve("ca.pem")),
                DevCertificates.readKey(DevCertificates.caDirFor(pki).resolve("ca-key.pem")));
        Path odd = tmp.resolve("odd");
        java.nio.file.Files.createDirectories(odd);
        java.nio.file.Files.copy(pki.resolve("ca.pem"), odd.resolve("ca.pem"));
        Instant now = Instant.now();
        DevCertificates.Issued other = DevCertificates.authority("Some other CA", Duration.ofDays(1));
        DevCertificates.write(odd, "other-ca-a", DevCertificates.issue(other, "a", false, List.of(), now.minusSeconds(60), now.plusSeconds(86400)));
        DevCertificates.write(odd, "expired-a", DevCertificates.issue(ca, "a", false, List.of(), now.minusSeconds(864000), now.minusSeconds(86400)));
        DevCertificates.write(odd, "mallory", DevCertificates.issue(ca, "mallory", false, List.of(), now.minusSeconds(60), now.plusSeconds(86400)));

        EventLog log = new EventLog(null, "server");
        FederationServer server = server(pki, log);
        int port = server.start();
        Stub stub = new Stub();

        SiteClient fromOtherCa = client(port, "a", siteTls(odd, "other-ca-a"), "plan-1", 1, stub, new EventLog(null, "x"));
        assertNotEquals(SiteClient.Outcome.FINISHED, start(fromOtherCa).get(30, TimeUnit.SECONDS));
        SiteClient expired = client(port, "a", siteTls(odd, "expired-a"), "plan-1", 1, stub, new EventLog(null, "x"));
        assertNotEquals(SiteClient.Outcome.FINISHED, start(expired).get(30, TimeUnit.SECONDS));
        SiteClient unlisted = client(port, "a", siteTls(odd, "mallory"), "plan-1", 1, stub, new EventLog(null, "x"));
        assertEquals(SiteClient.Outcome.REFUSED, start(unlisted).get(30, TimeUnit.SECONDS));
        assertTrue(unlisted.lastRefusal().contains("'mallory' is not on the allow-list"), unlisted.lastRefusal());
        SiteClient impostor = client(port, "b", siteTls(pki, "site-a"), "plan-1", 1, stub, new EventLog(null, "x"));
        assertEquals(SiteClient.Outcome.REFUSED, start(impostor).get(30, TimeUnit.SECONDS));
        assertTrue(impostor.lastRefusal().contains("bound to site 'a', not to site 'b'"), impostor.lastRefusal());

        String all = String.join("\n", log.lines());
        // every TLS refusal names the peer's address (#17 item 6)
        assertTrue(all.matches("(?s).*refused TLS client /127\\.0\\.0\\.1:\\d+: certificate 'a' \\(issuer CN=Some other CA.*"), all);
        assertTrue(all.matches("(?s).*refused TLS client /127\\.0\\.0\\.1:\\d+: certificate 'a' \\(issuer CN=ResFIM development CA.*valid .* to .*\\): .*"),
                all);
        assertTrue(all.contains("(mallory): certificate identity 'mallory' is not on the allow-list"), all);
        assertTrue(all.contains("(a): certificate identity 'a' is bound to site 'a', not to site 'b'"), all);
        // nothing a refused peer sent was used: no session exists, and no call reached the stand-in site
        assertTrue(server.connected().isEmpty(), server.connected().toString());
        assertTrue(stub.calls.isEmpty(), stub.calls.toString());
        GrpcTransport t = new GrpcTransport(server, SITES, new GrpcTransport.Settings(1000, 1000, 0), log, (s, r, sd, an, u, b, rj) -> { });
        ParticipantException e = assertThrows(ParticipantException.class, () -> t.call("b", new Request(Phase.SETUP, 0, Message.empty())));
        assertTrue(e.getMessage().contains("not connected"));
    }

    @Test
    void aPeerWithAnotherProtocolVersionOrPlanIsRefusedNamingBoth(@TempDir Path tmp) throws Exception {
        EventLog log = new EventLog(null, "server");
        FederationServer server = server(null, log);
        int port = server.start();
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        closing.add(ch::shutdownNow);
        List<Frame> got = new CopyOnWriteArrayList<>();
        CountDownLatch end = new CountDownLatch(1);
        StreamObserver<Frame> toServer = ClientCalls.asyncBidiStreamingCall(ch.newCall(Protocol.SESSION, CallOptions.DEFAULT), new StreamObserver<>() {
            @Override
            public void onNext(Frame f) {
                got.add(f);
            }

            @Override
            public void onError(Throwable t) {
                end.countDown();
            }

            @Override
            public void onCompleted() {
                end.countDown();
            }
        });
        toServer.onNext(new Frame.Hello(99, "a", "future", "plan-1"));
        assertTrue(end.await(20, TimeUnit.SECONDS));
        Frame.Refusal r = (Frame.Refusal) got.get(0);
        assertTrue(r.reason().contains("protocol version 99") && r.reason().contains("protocol version " + Protocol.VERSION), r.reason());
        assertEquals(Protocol.VERSION, r.protocolVersion());
        assertTrue(log.contains("protocol version 99"));

        SiteClient otherPlan = client(port, "a", null, "plan-2", 1, new Stub(), new EventLog(null, "a"));
        assertEquals(SiteClient.Outcome.REFUSED, start(otherPlan).get(20, TimeUnit.SECONDS));
        assertTrue(otherPlan.lastRefusal().contains("different plan"), otherPlan.lastRefusal());
        SiteClient stranger = client(port, "zz", null, "plan-1", 1, new Stub(), new EventLog(null, "zz"));
        assertEquals(SiteClient.Outcome.REFUSED, start(stranger).get(20, TimeUnit.SECONDS));
        assertTrue(server.connected().isEmpty());
    }

    @Test
    void aSiteMissingTheRoundDeadlineIsSkippedAndRestoresItsStateWhenItRejoins(@TempDir Path tmp) throws Exception {
        EventLog log = new EventLog(null, "server");
        FederationServer server = server(null, log);
        int port = server.start();
        Stub stub = new Stub();
        EventLog siteLog = new EventLog(null, "a");
        start(client(port, "a", null, "plan-1", 0, stub, siteLog));
        assertTrue(server.awaitSites(List.of("a"), 20_000).contains("a"));
        ModelState m = UploadCheckTest.model(1f);
        GrpcTransport t = new GrpcTransport(server, SITES, new GrpcTransport.Settings(10_000, 1_000, 10_000), log, (s, r, sd, an, u, b, rj) -> { });
        t.beginRun("fedavg", 0, m, 0, 1000);
        t.call("a", new Request(Phase.SETUP, 0, Message.of(m)));
        t.call("a", new Request(Phase.FIT, 1, Message.of(m)));
        t.call("a", new Request(Phase.EVALUATE, 1, Message.of(m)));
        java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
        stub.holdAtFit2 = hold;
        // the site cannot answer until the latch opens after the call returned: only the round deadline (1 s) ends the wait
        ParticipantException late = assertThrows(ParticipantException.class, () -> t.call("a", new Request(Phase.FIT, 2, Message.of(m))));
        hold.countDown();
        assertFalse(late.permanent());
        assertTrue(late.getMessage().contains("deadline"), late.getMessage());
        // the server closed the late site's connection; it reconnects, restores round 1 and evaluates round 2
        Reply r = t.call("a", new Request(Phase.EVALUATE, 2, Message.of(m)));
        assertEquals(1, r.scores().size());
        assertEquals(List.of("SETUP 0", "FIT 1", "EVALUATE 1", "FIT 2", "SETUP 1", "EVALUATE 2"), stub.calls);
        assertTrue(log.contains("site 'a' rejoined: restoring its state after round 1"), String.join("\n", log.lines()));
    }

    @Test
    void aHostileUploadIsRejectedTheSiteIsToldWhyAndTheRoundGoesOn(@TempDir Path tmp) throws Exception {
        EventLog log = new EventLog(null, "server");
        FederationServer server = server(null, log);
        int port = server.start();
        Map<String, Stub> stubs = new java.util.LinkedHashMap<>();
        Map<String, EventLog> logs = new java.util.LinkedHashMap<>();
        for (String s : SITES) {
            Stub st = new Stub();
            stubs.put(s, st);
            logs.put(s, new EventLog(null, s));
            start(client(port, s, null, "plan-1", 0, st, logs.get(s)));
        }
        stubs.get("a").add = 1f;
        stubs.get("b").add = 3f;
        stubs.get("c").nan = true;
        assertEquals(Set3.of(SITES), server.awaitSites(SITES, 20_000));
        ModelState initial = UploadCheckTest.model(0f);
        GrpcTransport t = new GrpcTransport(server, SITES, new GrpcTransport.Settings(10_000, 10_000, 0), log, (s, r, sd, an, u, b, rj) -> { });
        t.beginRun("fedavg", 0, initial, 0, 1000);
        List<String> failures = new CopyOnWriteArrayList<>();
        RoundListener listener = new RoundListener() {
            @Override
            public void onFailure(int round, Phase phase, String site, String message, boolean permanent) {
                failures.add(site + ": " + message);
                t.notice(site, round, phase + " round " + round + " not used: " + message);
            }

            @Override
            public void onRoundEnd(int round, ProcedureState serverState) {
            }
        };
        new Coordinator(t, AlgorithmRegistry.create("fedavg").newServer(initial), new FederationSettings(1, 1.0, 2), listener, 0).run(initial);
        assertEquals(1, failures.size(), failures + " " + stubs.get("c").calls + "\n" + String.join("\n", log.lines()));
        assertTrue(failures.get(0).startsWith("c: ") && failures.get(0).contains("finite"), failures.get(0));
        // a and b were averaged (equal sample counts): 0 + (1 + 3) / 2 = 2; c evaluated what the others made
        for (String s : SITES) {
            Message down = stubs.get(s).received.get(stubs.get(s).received.size() - 1);
            assertEquals(2f, down.tensors().get("conv.bias").data()[0], 1e-6, s);
            assertEquals("EVALUATE 1", stubs.get(s).calls.get(stubs.get(s).calls.size() - 1));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!logs.get("c").contains("not used: ") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(logs.get("c").contains("FIT round 1 not used: site 'c': upload rejected at the transport:"), String.join("\n", logs.get("c").lines()));
    }

    @Test
    void aServerWithFewerThanMinSitesConnectedDoesNotStart(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("tiny.yaml");
        java.nio.file.Files.writeString(cfg, DeploymentTest.yaml(2, "fedavg").replace("federation: {rounds: 2}", "federation: {rounds: 2, min_sites: 2}"));
        org.resfim.run.RunPlan plan = org.resfim.run.Plans.build(new org.resfim.run.Plans.Overrides(cfg, null, null, null, null, null, null,
                tmp.resolve("run")));
        ServerRuntime runtime = new ServerRuntime(plan, new ServerRuntime.Options("127.0.0.1", 0, null, null, 10_000, 10_000, 0, 3_000,
                1 << 20, false), new PrintStream(java.io.OutputStream.nullOutputStream()));
        Future<?> run = threads.submit(() -> {
            runtime.run();
            return null;
        });
        Path address = tmp.resolve("run").resolve(ServerRuntime.ADDRESS_FILE);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!java.nio.file.Files.exists(address) && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        String a = java.nio.file.Files.readString(address).strip();
        int port = Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
        Stub stub = new Stub();
        start(client(port, "synthetic-1", null, Deployment.planSha256(plan), 0, stub, new EventLog(null, "synthetic-1")));
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class, () -> run.get(60, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("only 1 of 3 sites connected [synthetic-1], fewer than federation.min_sites = 2"),
                e.getCause().getMessage());
        assertTrue(stub.calls.isEmpty());
        assertTrue(runtime.log().contains("site 'synthetic-1' connected"));
    }

    /** A set of site names. */
    static final class Set3 {
        static java.util.Set<String> of(List<String> l) {
            return new java.util.TreeSet<>(l);
        }
    }
}
