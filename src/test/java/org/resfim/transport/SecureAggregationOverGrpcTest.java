package org.resfim.transport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.resfim.algorithms.MaskedAverageServer;
import org.resfim.federation.Coordinator;
import org.resfim.federation.FederationSettings;
import org.resfim.federation.ImageScore;
import org.resfim.federation.Message;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.Sections;
import org.resfim.federation.secagg.SecAggSite;
import org.resfim.federation.secagg.SecAggWire;
import org.resfim.federation.secagg.SecureAggregationServerTest;
import org.resfim.metrics.MetricSummary;
import org.resfim.privacy.PrivacySettings;
import org.resfim.state.ModelState;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Secure aggregation through the real gRPC transport in one JVM (sites built from the project's own classes, answering
 * with {@link SecAggSite}, the element-wise partial uploads of {@link SecureAggregationServerTest}): the round's result
 * is the plain masked average within the quantisation bound; a site whose masked vector holds more values than its FIT
 * mask shares is refused by the transport before a byte of it is kept, naming the site, and the round completes
 * without it (its pairwise masks removed with its mask key, rebuilt from the shares).
 */
class SecureAggregationOverGrpcTest {
    private static final List<String> SITES = SecureAggregationServerTest.SITES;
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

    /** A site of the fixture: its SETUP count, its partial upload through SecAggSite, a constant score. */
    /** Each site's SECAGG steps wait here until all four sites received the step (null: no barrier). */
    private volatile java.util.Map<String, java.util.concurrent.CountDownLatch> barriers;
    private final List<String> barrier = new java.util.concurrent.CopyOnWriteArrayList<>();

    private static boolean await(java.util.concurrent.CountDownLatch l) {
        try {
            return l.await(15, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private SiteClient.Handler site(String name, boolean oversized, PrivacySettings p) {
        int k = SITES.indexOf(name);
        SecAggSite[] part = new SecAggSite[1];
        ModelState[] layout = new ModelState[1];
        return (run, seed, r) -> switch (r.phase()) {
            case SETUP -> {
                if (r.round() == 0) {
                    layout[0] = r.message().tensors();
                }
                yield new Reply(name, Phase.SETUP, r.round(), null, SecureAggregationServerTest.SAMPLES[k], null, null);
            }
            case FIT -> {
                part[0] = new SecAggSite(name);
                yield new Reply(name, Phase.FIT, r.round(), part[0].fit(r.round(), SecureAggregationServerTest.upload(k), layout[0]),
                        SecureAggregationServerTest.SAMPLES[k], null, null);
            }
            case SECAGG -> {
                if (barriers != null) {
                    java.util.concurrent.CountDownLatch l = barriers.get(SecAggWire.step(r.message()));
                    l.countDown();
                    barrier.add(name + " " + SecAggWire.step(r.message()) + (await(l) ? " passed" : " timed out"));
                }
                Message m = part[0].exchange(r.round(), r.message(), p, new SplittableRandom(k));
                if (oversized && "mask".equals(SecAggWire.step(r.message()))) {
                    long[] v = SecAggWire.masked(m);
                    m = new Message(null, null, null, Sections.builder().uint64("masked", java.util.Arrays.copyOf(v, v.length + 1)).build());
                }
                yield new Reply(name, Phase.SECAGG, r.round(), m, SecureAggregationServerTest.SAMPLES[k], null, null);
            }
            case EVALUATE -> new Reply(name, Phase.EVALUATE, r.round(), null, SecureAggregationServerTest.SAMPLES[k],
                    List.of(new ImageScore("val", "img", new MetricSummary(0.5, 0.3, 0.6, 0.9, 2.0))), null);
        };
    }

    private HostileSiteTest.Recorder round(String oversized, MaskedAverageServer server, EventLog log) throws Exception {
        PrivacySettings p = SecureAggregationServerTest.secagg(0);
        FederationServer fs = new FederationServer(new FederationServer.Options("127.0.0.1", 0, null, null, SITES, "plan-1", 256L << 20), log);
        closing.add(fs);
        int port = fs.start();
        for (String s : SITES) {
            SiteClient c = new SiteClient(new SiteClient.Options("127.0.0.1", port, s, null, "plan-1", 100, 300, 0, null), site(s, s.equals(oversized), p),
                    new Audit(java.nio.file.Files.createTempFile("resfim-secagg-audit-" + s, ".jsonl")), new EventLog(null, s));
            threads.submit(c::run);
        }
        assertEquals(new java.util.TreeSet<>(SITES), fs.awaitSites(SITES, 20_000));
        ModelState initial = SecureAggregationServerTest.model(1);
        GrpcTransport t = new GrpcTransport(fs, SITES, new GrpcTransport.Settings(20_000, 20_000, 0), log, (s, r, sd, an, u, b, rj) -> { });
        closing.add(t);
        t.beginRun("fedavg", 0, initial, 0, initial.numElements());
        HostileSiteTest.Recorder rec = new HostileSiteTest.Recorder();
        new Coordinator(t, server, new FederationSettings(1, 1.0, 2).withPrivacy(p), rec, 0).run(initial);
        return rec;
    }

    /**
     * Also: each step reaches all sites at once. Every site waits in each step until all four have received it (a
     * barrier): a coordinator that called them one after another would leave the first waiting until its barrier timed
     * out. Causal, not timed.
     */
    @Test
    void theSecureSumOverGrpcIsThePlainMaskedAverage() throws Exception {
        ModelState initial = SecureAggregationServerTest.model(1);
        MaskedAverageServer s = new MaskedAverageServer(initial);
        barriers = java.util.Map.of("share", new java.util.concurrent.CountDownLatch(4), "mask", new java.util.concurrent.CountDownLatch(4),
                "unmask", new java.util.concurrent.CountDownLatch(4));
        HostileSiteTest.Recorder rec = round(null, s, new EventLog(null, "server"));
        assertEquals(12, barrier.size(), barrier.toString());
        assertTrue(barrier.stream().allMatch(b -> b.endsWith(" passed")), barrier.toString());
        assertEquals(List.of(), rec.failures);
        assertEquals(4, rec.uploads.size());
        SecureAggregationServerTest.assertClose(SecureAggregationServerTest.plain(initial, SITES), s.global());
    }

    @Test
    void aMaskedVectorLargerThanTheSitesMaskIsRefusedNamingTheSiteAndTheRoundCompletesWithoutIt() throws Exception {
        ModelState initial = SecureAggregationServerTest.model(1);
        MaskedAverageServer s = new MaskedAverageServer(initial);
        EventLog log = new EventLog(null, "server");
        HostileSiteTest.Recorder rec = round("b", s, log);
        String failure = rec.failures.stream().filter(f -> f.startsWith("1 FIT b: ")).findFirst().orElse(null);
        assertNotNull(failure, rec.failures.toString());
        assertTrue(failure.contains("sent no usable masked vector") && failure.contains("its SECAGG answer (round 1) declares a payload of")
                && failure.contains("more than the limit of"), failure);
        assertTrue(log.lines().stream().anyMatch(l -> l.contains("site 'b' broke the protocol: its SECAGG answer (round 1) declares")),
                String.join("\n", log.lines()));
        assertEquals(List.of("a", "c", "d"), rec.uploads.stream().map(u -> u.site()).sorted().toList());
        SecureAggregationServerTest.assertClose(SecureAggregationServerTest.plain(initial, List.of("a", "c", "d")), s.global());
    }
}
