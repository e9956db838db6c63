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

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * The coordinator's {@link Transport} over the sites' gRPC sessions. A call is sent down the site's stream and
 * waits for its answer until the call's deadline (and, for FIT, the round's deadline); a site that is not
 * connected, breaks the protocol, sends an invalid upload or misses the deadline fails the call (not
 * permanently: it is skipped for the round). A site whose connection was replaced since it last answered in
 * step (it crashed and rejoined, or timed out) first restores its own state saved after the last round it
 * completed, so it rejoins with its personal state intact.
 */
public final class GrpcTransport implements Transport {
    /**
     * @param callTimeoutMillis  longest wait for one answer
     * @param roundTimeoutMillis longest FIT phase of a round, from its first FIT call
     * @param rejoinGraceMillis  how long a call waits for a disconnected site to reconnect (once per absence)
     */
    public record Settings(long callTimeoutMillis, long roundTimeoutMillis, long rejoinGraceMillis) {
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
    private String run = "";
    private long seed;
    private ModelState initial = new ModelState();
    private UploadCheck check = new UploadCheck(new ModelState(), 0);
    private long answerLimit = Long.MAX_VALUE;
    private long setupLimit;
    private final Map<String, Long> inStep = new HashMap<>();
    private final Map<String, Integer> lastGood = new HashMap<>();
    private final Set<String> absent = new HashSet<>();
    private int fitRound = -1;
    /** What the coordinator's SETUP told the sites (privacy.dp, privacy.secagg): a rejoining site is set up with it too. */
    private java.util.Map<String, String> setupMeta = java.util.Map.of();
    private long fitDeadline;

    public GrpcTransport(FederationServer server, List<String> sites, Settings settings, EventLog log, Received audit) {
        this.server = server;
        this.sites = List.copyOf(sites);
        this.settings = settings;
        this.log = log;
        this.audit = audit;
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
        fitRound = -1;
    }

    @Override
    public List<String> sites() {
        return sites;
    }

    @Override
    public synchronized Reply call(String site, Request request) throws ParticipantException {
        SiteSession s = connectedSession(site);
        long deadline = deadline(request);
        if (request.phase() == Phase.SETUP) {
            setupMeta = request.message().meta();
        }
        if (request.phase() != Phase.SETUP && !Long.valueOf(s.number()).equals(inStep.get(site))) {
            int r = lastGood.getOrDefault(site, 0);
            log.info("site '" + site + "' rejoined: restoring its state after round " + r + " before " + request.phase() + " round " + request.round());
            Message m = new Message(r == 0 ? initial : null, null, setupMeta);
            exchange(s, new Request(Phase.SETUP, r, m), System.nanoTime() + settings.callTimeoutMillis() * 1_000_000L);
            inStep.put(site, s.number());
        }
        Reply reply = exchange(s, request, deadline);
        inStep.put(site, s.number());
        if (request.phase() == Phase.EVALUATE || (request.phase() == Phase.SETUP && request.round() > 0)) {
            lastGood.put(site, request.round());
        }
        return reply;
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
            case EVALUATE, SECAGG -> 0;
        };
    }

    private long deadline(Request request) {
        long now = System.nanoTime();
        long call = now + settings.callTimeoutMillis() * 1_000_000L;
        if (request.phase() != Phase.FIT) {
            return call;
        }
        if (request.round() != fitRound) {
            fitRound = request.round();
            fitDeadline = now + settings.roundTimeoutMillis() * 1_000_000L;
        }
        return Math.min(call, fitDeadline);
    }

    private Reply exchange(SiteSession s, Request request, long deadline) throws ParticipantException {
        String site = s.site();
        Payload out = Payload.of(request.message());
        SiteSession.Received got;
        try {
            got = s.exchange(request.phase().name(), request.round(), run, seed, request.message().meta(), out, deadline, answerLimit(request));
        } catch (TransportException e) {
            inStep.remove(site);
            if (e.getCause() instanceof TimeoutException) {
                s.close(Status.DEADLINE_EXCEEDED, "no answer to " + request.phase() + " round " + request.round()
                        + " before the deadline; reconnect and restore");
            }
            throw new ParticipantException(site, e.getMessage(), false, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ParticipantException(site, "interrupted", false, e);
        }
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
