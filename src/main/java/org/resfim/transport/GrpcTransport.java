package org.resfim.transport;

import io.grpc.Status;
import org.resfim.federation.Message;
import org.resfim.federation.ParticipantException;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.Request;
import org.resfim.federation.Transport;
import org.resfim.federation.SetupBound;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.StateFile;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The coordinator's {@link Transport} over the sites' gRPC sessions. The calls of a phase go to all their sites at
 * once ({@link #callAll}), each site on its own thread and session with its own deadline (the call timeout; for
 * FIT also the round timeout, both counted from the start of the phase); a message that several sites receive (the
 * FIT broadcast) is encoded once. At most {@link Settings#maxReceiving} answers with a payload are received and
 * decoded at once ({@link ReceiveGate}), so their transient copies in the heap do not grow with sites × answer
 * size. A call waits for its answer until its deadline; a site that is not connected, breaks the protocol, sends an
 * invalid upload, misses the deadline or, while its handler works, reports no progress for the liveness timeout
 * ({@link FederationServer.Limits#livenessTimeoutMillis}: a stuck handler behind a healthy connection is found in
 * seconds, not at the deadline) fails the call (not permanently: it is skipped for the round, and told to
 * reconnect). A site whose
 * connection was replaced since it last answered in step (it crashed and rejoined, or timed out) first restores
 * its own state saved after the last round it completed, so it rejoins with its personal state intact.
 */
public final class GrpcTransport implements Transport {
    /** Answers received at once unless configured otherwise. */
    public static final int DEFAULT_MAX_RECEIVING = 4;

    /**
     * @param callTimeoutMillis  longest wait for one answer
     * @param roundTimeoutMillis longest FIT phase of a round, from its start (all sites train at once)
     * @param rejoinGraceMillis  how long a call waits for a disconnected site to reconnect (once per absence)
     * @param maxReceiving       answers with a payload received and decoded at once (each holds a few times its size
     *                           in heap meanwhile); the others wait, their sites held by flow control
     */
    public record Settings(long callTimeoutMillis, long roundTimeoutMillis, long rejoinGraceMillis, int maxReceiving) {
        public Settings(long callTimeoutMillis, long roundTimeoutMillis, long rejoinGraceMillis) {
            this(callTimeoutMillis, roundTimeoutMillis, rejoinGraceMillis, DEFAULT_MAX_RECEIVING);
        }

        public Settings {
            if (maxReceiving < 1) {
                throw new IllegalArgumentException("answers received at once must be at least 1, got " + maxReceiving);
            }
        }
    }

    /** Receives each answer that arrived (accepted or not), for the server's audit. */
    public interface Received {
        void answer(String site, String run, long seed, Frame.Answer answer, Message upload, long wireBytes, String rejected);
    }

    private final FederationServer server;
    private final List<String> sites;
    private final Settings settings;
    private final EventLog log;
    private final Received audit;
    private final ReceiveGate gate;
    private final ExecutorService callers;
    private volatile String run = "";
    private volatile long seed;
    private volatile ModelState initial = new ModelState();
    private volatile UploadCheck check = new UploadCheck(new ModelState(), 0);
    private volatile long answerLimit = Long.MAX_VALUE;
    private volatile long setupLimit;
    // per site: each site is called by one thread at a time
    private final Map<String, Long> inStep = new ConcurrentHashMap<>();
    private final Map<String, Integer> lastGood = new ConcurrentHashMap<>();
    private final Set<String> absent = ConcurrentHashMap.newKeySet();
    /** What the coordinator's SETUP told the sites (privacy.dp, privacy.secagg): a rejoining site is set up with it too. */
    private volatile Map<String, String> setupMeta = Map.of();

    public GrpcTransport(FederationServer server, List<String> sites, Settings settings, EventLog log, Received audit) {
        this.server = server;
        this.sites = List.copyOf(sites);
        this.settings = settings;
        this.log = log;
        this.audit = audit;
        this.gate = new ReceiveGate(settings.maxReceiving());
        AtomicInteger n = new AtomicInteger();
        this.callers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "site-call-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts a run (method × seed): calls carry {@code run} and {@code seed}; FIT uploads are checked against
     * {@code initial}'s layout; {@code resumedAfter} is the last round every site saved (0 for a fresh run).
     */
    public synchronized void beginRun(String run, long seed, ModelState initial, int resumedAfter, long maxUploadElements) {
        beginRun(run, seed, initial, resumedAfter, maxUploadElements, SetupBound.NONE);
    }

    /**
     * As above, with what a SETUP answer may carry ({@code setup}: the method's style bank). Every answer's declared
     * size is checked against its phase's limit before a byte of it is kept: a FIT upload at most the encoding of
     * the whole model and its mask, a SETUP answer the style bank the configuration allows, an EVALUATE answer or a
     * restore nothing.
     */
    public synchronized void beginRun(String run, long seed, ModelState initial, int resumedAfter, long maxUploadElements, SetupBound setup) {
        this.run = run;
        this.seed = seed;
        this.initial = initial;
        this.check = new UploadCheck(initial, maxUploadElements, setup);
        // an answer may hold at most the allowed elements as float32, their mask bits and encoding overhead, and never
        // more than the encoding of the whole model with a mask over all of it
        long layoutBytes = initial.size() == 0 ? 0 : StateFile.toBytes(initial).length + Mask.allInvariant(initial).toBytes().length;
        this.answerLimit = Math.min(4 * maxUploadElements + maxUploadElements / 8 + (16L << 20), layoutBytes + (64L << 10));
        this.setupLimit = setup.maxBytes();
        inStep.clear();
        lastGood.clear();
        for (String s : sites) {
            lastGood.put(s, resumedAfter);
        }
    }

    @Override
    public List<String> sites() {
        return sites;
    }

    /** One call on its own, with its own deadline. */
    @Override
    public Reply call(String site, Request request) throws ParticipantException {
        return call(site, request, Payload.of(request.message()), deadline(request.phase(), System.nanoTime()));
    }

    /**
     * All calls of a phase at once, one thread per site; the outcomes in the order of {@code calls}. Every distinct
     * message is encoded once, however many sites receive it.
     */
    @Override
    public List<Outcome> callAll(Map<String, Request> calls) {
        long start = System.nanoTime();
        Map<Message, Payload> encoded = new IdentityHashMap<>();
        List<Future<Outcome>> running = new ArrayList<>(calls.size());
        for (Map.Entry<String, Request> c : calls.entrySet()) {
            String site = c.getKey();
            Request request = c.getValue();
            Payload payload = encoded.computeIfAbsent(request.message(), Payload::of);
            long deadline = deadline(request.phase(), start);
            running.add(callers.submit(() -> {
                try {
                    return new Outcome(site, call(site, request, payload, deadline), null);
                } catch (ParticipantException e) {
                    return new Outcome(site, null, e);
                } catch (RuntimeException e) {
                    return new Outcome(site, null, new ParticipantException(site, String.valueOf(e.getMessage()), false, e));
                }
            }));
        }
        encoded.clear();
        List<Outcome> out = new ArrayList<>(running.size());
        for (Future<Outcome> f : running) {
            try {
                out.add(f.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running.forEach(x -> x.cancel(true));
                throw new IllegalStateException("interrupted while the sites answered", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
        return out;
    }

    private Reply call(String site, Request request, Payload payload, long deadline) throws ParticipantException {
        SiteSession s = connectedSession(site);
        if (request.phase() == Phase.SETUP) {
            setupMeta = request.message().meta();
        }
        if (request.phase() != Phase.SETUP && !Long.valueOf(s.number()).equals(inStep.get(site))) {
            int r = lastGood.getOrDefault(site, 0);
            log.info("site '" + site + "' rejoined: restoring its state after round " + r + " before " + request.phase() + " round " + request.round());
            Message m = new Message(r == 0 ? initial : null, null, setupMeta);
            exchange(s, new Request(Phase.SETUP, r, m), Payload.of(m), System.nanoTime() + settings.callTimeoutMillis() * 1_000_000L);
            inStep.put(site, s.number());
        }
        Reply reply = exchange(s, request, payload, deadline);
        inStep.put(site, s.number());
        if (request.phase() == Phase.EVALUATE || (request.phase() == Phase.SETUP && request.round() > 0)) {
            lastGood.put(site, request.round());
        }
        return reply;
    }

    @Override
    public void close() {
        callers.shutdownNow();
    }

    /** The cap on answers received at once (for tests). */
    ReceiveGate gate() {
        return gate;
    }

    /** Tells a site something, e.g. why its upload was not used (best effort). */
    public void notice(String site, int round, String text) {
        SiteSession s = server.session(site);
        if (s != null) {
            s.notice(round, text);
        }
    }

    private SiteSession connectedSession(String site) throws ParticipantException {
        if (!sites.contains(site)) {
            throw new ParticipantException(site, "no such site", true, null);
        }
        SiteSession s = server.session(site);
        if (s == null && !absent.contains(site) && settings.rejoinGraceMillis() > 0) {
            log.info("site '" + site + "' is not connected; waiting up to " + settings.rejoinGraceMillis() / 1000.0 + " s for it to rejoin");
            try {
                s = server.awaitSession(site, settings.rejoinGraceMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ParticipantException(site, "interrupted", false, e);
            }
        }
        if (s == null) {
            absent.add(site);
            throw new ParticipantException(site, "not connected", false, null);
        }
        absent.remove(site);
        return s;
    }

    /** The most bytes an answer to {@code request} may declare. */
    private long answerLimit(Request request) {
        return switch (request.phase()) {
            case FIT -> answerLimit;
            case SETUP -> request.round() == 0 ? setupLimit : 0;
            case EVALUATE -> 0;
            // a secure-aggregation step: what the step asks for, e.g. 8 bytes per element the site's FIT mask shares
            case SECAGG -> org.resfim.federation.secagg.SecAggWire.answerBound(request.message());
        };
    }

    /** The deadline of a call of {@code phase} started at {@code start}: the call timeout; for FIT also the round timeout. */
    private long deadline(Phase phase, long start) {
        long call = settings.callTimeoutMillis();
        return start + (phase == Phase.FIT ? Math.min(call, settings.roundTimeoutMillis()) : call) * 1_000_000L;
    }

    private Reply exchange(SiteSession s, Request request, Payload out, long deadline) throws ParticipantException {
        String site = s.site();
        SiteSession.Received got;
        try {
            got = s.exchange(request.phase().name(), request.round(), run, seed, request.message().meta(), out, deadline, answerLimit(request),
                    gate);
        } catch (TransportException e) {
            inStep.remove(site);
            if (e.getCause() instanceof TimeoutException) {
                log.warn("site '" + site + "' did not answer " + request.phase() + " round " + request.round() + " of " + run
                        + " before its deadline: skipped for this round");
                s.close(Status.DEADLINE_EXCEEDED, "no answer to " + request.phase() + " round " + request.round()
                        + " before the deadline; reconnect and restore");
            } else if (e.getCause() instanceof SiteSession.Stalled stalled) {
                log.warn("site '" + site + "' is stuck: " + stalled.getMessage() + " of " + run + " (liveness check): skipped for this round");
                s.close(Status.DEADLINE_EXCEEDED, stalled.getMessage() + "; skipped for this round, reconnect and restore");
            }
            throw new ParticipantException(site, e.getMessage(), false, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ParticipantException(site, "interrupted", false, e);
        }
        try (got) { // the answer's place in the receive gate is given back once it is decoded and checked
            return accept(site, request, got);
        }
    }

    private Reply accept(String site, Request request, SiteSession.Received got) throws ParticipantException {
        Frame.Answer a = got.answer();
        Frame.Call call = new Frame.Call(a.id(), request.phase().name(), request.round(), run, seed, null, 0, 0, Protocol.DTYPE);
        if (a.failed()) {
            inStep.remove(site);
            String error = LogText.message(a.error()); // the site's text: escaped and cut before it reaches logs and metrics
            audit.answer(site, run, seed, a, null, got.payload().size(), error);
            throw new ParticipantException(site, error, a.permanent(), null);
        }
        Message upload;
        try {
            upload = check.check(site, call, a, got.payload());
        } catch (TransportException e) {
            inStep.remove(site);
            String why = "upload rejected at the transport: " + e.getMessage();
            audit.answer(site, run, seed, a, null, got.payload().size(), why);
            throw new ParticipantException(site, why, false, e);
        }
        audit.answer(site, run, seed, a, upload, got.payload().size(), null);
        return new Reply(site, request.phase(), request.round(), upload, a.numSamples(), a.scores(), a.stats());
    }
}
