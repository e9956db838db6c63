package org.resfim.transport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.resfim.federation.Message;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.Request;
import org.resfim.federation.Transport;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * #16 item 1 in one JVM on 127.0.0.1 (stand-in sites, no training): the calls of a phase reach all sites at once and
 * come back in site order whatever order they finish in; a site past its deadline fails alone; with a cap of one
 * answer received at once, answers larger than the flow-control window all arrive intact (the sessions waiting for
 * the receive gate stop reading and resume).
 */
class ConcurrentPhasesTest {
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

    /**
     * The sites of one test: each FIT first counts itself in and waits (up to a minute) until all three have started FIT;
     * whether every site saw all three start is causal evidence that the phase reached them at once (a coordinator
     * calling them one after another would leave the first waiting until its wait ran out).
     */
    static final class Started {
        final java.util.concurrent.CountDownLatch latch = new java.util.concurrent.CountDownLatch(3);
        final Map<String, Boolean> sawAll = new ConcurrentHashMap<>();
    }

    /** FIT: waits for the others to start, then {@code fitMillis.get(site)}, then uploads {@code upload} plus the site's number. */
    private static final class Site implements SiteClient.Handler {
        final String name;
        final long fitMillis;
        final ModelState upload;
        final Started trained;

        Site(String name, long fitMillis, ModelState upload, Started trained) {
            this.name = name;
            this.fitMillis = fitMillis;
            this.upload = upload;
            this.trained = trained;
        }

        @Override
        public Reply handle(String run, long seed, Request r) {
            if (r.phase() != Phase.FIT) {
                return new Reply(name, r.phase(), r.round(), null, 10, null, null);
            }
            try {
                trained.latch.countDown();
                trained.sawAll.put(name, trained.latch.await(60, java.util.concurrent.TimeUnit.SECONDS));
                Thread.sleep(fitMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ModelState up = new ModelState();
            for (Tensor t : upload.tensors()) {
                float[] d = t.data().clone();
                d[0] = name.charAt(0);
                up.put(t.withData(d));
            }
            return new Reply(name, Phase.FIT, r.round(), Message.of(up), 10, null, null);
        }
    }

    private GrpcTransport federation(Map<String, Long> fitMillis, ModelState model, GrpcTransport.Settings settings, Started trained,
                                     EventLog log) throws Exception {
        FederationServer server = new FederationServer(new FederationServer.Options("127.0.0.1", 0, null, null, SITES, "plan", 256L << 20), log);
        closing.add(server);
        int port = server.start();
        for (String s : SITES) {
            SiteClient c = new SiteClient(new SiteClient.Options("127.0.0.1", port, s, null, "plan", 100, 300, 0, null),
                    new Site(s, fitMillis.get(s), model, trained),
                    DeploymentTest.tempAudit("resfim-test-audit-" + s + "-"),
                    new EventLog(null, s));
            threads.submit(c::run);
        }
        assertTrue(server.awaitSites(SITES, 30_000).containsAll(SITES));
        GrpcTransport t = new GrpcTransport(server, SITES, settings, log, (s, r, sd, a, u, b, rj) -> { });
        closing.add(t);
        t.beginRun("fedavg", 0, model, 0, 4 * model.numElements());
        for (Transport.Outcome o : t.callAll(all(new Request(Phase.SETUP, 0, Message.of(model))))) {
            assertFalse(o.failed(), String.valueOf(o.failure()));
        }
        return t;
    }

    private static Map<String, Request> all(Request r) {
        Map<String, Request> m = new LinkedHashMap<>();
        SITES.forEach(s -> m.put(s, r));
        return m;
    }

    static ModelState model(int elements) {
        ModelState s = new ModelState();
        s.put(new Tensor("w", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {elements}, new float[elements]));
        return s;
    }

    @Test
    void aPhaseReachesAllSitesAtOnceAndItsAnswersComeBackInSiteOrder() throws Exception {
        Started trained = new Started();
        // a finishes last, c first
        GrpcTransport t = federation(Map.of("a", 900L, "b", 600L, "c", 300L), model(1000), new GrpcTransport.Settings(30_000, 30_000, 0),
                trained, new EventLog(null, "server"));
        List<Transport.Outcome> out = t.callAll(all(new Request(Phase.FIT, 1, Message.empty())));
        assertEquals(SITES, out.stream().map(Transport.Outcome::site).toList());
        for (Transport.Outcome o : out) {
            assertFalse(o.failed(), String.valueOf(o.failure()));
            assertEquals(o.site(), o.reply().site());
            assertEquals(o.site().charAt(0), o.reply().upload().tensors().get("w").data()[0], "each site's own upload");
        }
        assertEquals(Map.of("a", true, "b", true, "c", true), trained.sawAll, "every site saw all three start FIT: they trained at the same time");
    }

    @Test
    void aSitePastItsDeadlineFailsAloneAndTheOthersAnswer() throws Exception {
        Started trained = new Started();
        EventLog log = new EventLog(null, "server");
        GrpcTransport t = federation(Map.of("a", 50L, "b", 60_000L, "c", 50L), model(1000), new GrpcTransport.Settings(30_000, 1_500, 0),
                trained, log);
        List<Transport.Outcome> out = t.callAll(all(new Request(Phase.FIT, 1, Message.empty())));
        assertFalse(out.get(0).failed(), String.valueOf(out.get(0).failure()));
        assertTrue(out.get(1).failed());
        assertTrue(out.get(1).failure().getMessage().contains("no answer to FIT round 1 before the deadline"), out.get(1).failure().getMessage());
        assertFalse(out.get(1).failure().permanent());
        assertFalse(out.get(2).failed(), String.valueOf(out.get(2).failure()));
        assertTrue(log.contains("site 'b' did not answer FIT round 1 of fedavg before its deadline: skipped for this round"), log.lines().toString());
    }

    @Test
    void withOneAnswerReceivedAtOnceLargeAnswersAllArriveIntact() throws Exception {
        Started trained = new Started();
        // 12 MB per answer: far more than the flow-control window, so a session waiting for the gate really stops its site
        int n = 3_000_000;
        ModelState big = model(n);
        GrpcTransport t = federation(Map.of("a", 0L, "b", 0L, "c", 0L), big, new GrpcTransport.Settings(60_000, 60_000, 0, 1),
                trained, new EventLog(null, "server"));
        for (int round = 1; round <= 2; round++) {
            List<Transport.Outcome> out = t.callAll(all(new Request(Phase.FIT, round, Message.empty())));
            for (Transport.Outcome o : out) {
                assertFalse(o.failed(), String.valueOf(o.failure()));
                float[] d = o.reply().upload().tensors().get("w").data();
                assertEquals(n, d.length);
                assertEquals(o.site().charAt(0), d[0]);
                assertEquals(0f, d[n - 1]);
            }
        }
        assertTrue(t.gate().waited() > 0, "answers waited for the one place: the paused sessions resumed");
        assertEquals(1, t.gate().free(), "every place given back");
    }

    @Test
    void theGateGivesPlacesInTurn() {
        ReceiveGate g = new ReceiveGate(2);
        List<String> ran = new ArrayList<>();
        assertTrue(g.enter(() -> ran.add("x")));
        assertTrue(g.enter(() -> ran.add("y")));
        Runnable third = () -> ran.add("third");
        Runnable fourth = () -> ran.add("fourth");
        assertFalse(g.enter(third));
        assertFalse(g.enter(fourth));
        assertEquals(0, g.free());
        assertTrue(g.withdraw(fourth), "a waiting entry can be withdrawn");
        g.leave();
        assertEquals(List.of("third"), ran, "the first waiting gets the place given back");
        assertEquals(0, g.free());
        g.leave();
        g.leave();
        assertEquals(2, g.free());
        assertFalse(g.withdraw(third), "it ran already");
        assertThrows(IllegalArgumentException.class, () -> new ReceiveGate(0));
    }
}
