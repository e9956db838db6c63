package org.resfim.transport;

import io.grpc.Status;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server's end of one connected site: sends a call with its payload chunks, and collects the answer and
 * its chunks. One call at a time per site (sites are called at once, each on its own session); an answer to
 * anything but the call in flight is a protocol violation and ends the session. An answer with a payload is
 * received only while it holds a place of the server's {@link ReceiveGate}; without one the session stops
 * reading its stream until a place frees up.
 */
public final class SiteSession {
    private static final AtomicLong NUMBERS = new AtomicLong();
    private static final AtomicLong CALL_IDS = new AtomicLong();

    /** An answer with its payload; {@link #close} gives back its place in the receive gate (once decoded). */
    public record Received(Frame.Answer answer, Payload payload, Runnable release) implements AutoCloseable {
        public Received(Frame.Answer answer, Payload payload) {
            this(answer, payload, () -> { });
        }

        @Override
        public void close() {
            release.run();
        }
    }

    private final String site;
    private final String identity;
    private final String fingerprint;
    private final String address;
    private final long number = NUMBERS.incrementAndGet();
    private final Outbound out;
    private final long maxPayloadBytes;
    private final long livenessNanos;
    private final EventLog log;
    private final Runnable readMore;
    private volatile boolean open = true;
    private volatile String closedWhy = "";
    private Pending pending;

    private static final class Pending {
        final Frame.Call call;
        final long limit;
        final ReceiveGate gate;
        final CompletableFuture<Received> result = new CompletableFuture<>();
        Frame.Answer answer;
        Payload.Assembler assembler;
        /** Queued in the gate while this answer waits for a place. */
        Runnable granted;
        /** Holds a place of the gate (guarded by the session). */
        boolean holding;
        /** The place went to the caller with the answer. */
        boolean handed;
        /** Liveness (guarded by the session): the last CPU time the site reported for this call, and when it last grew. */
        long reportedCpuMillis = -1;
        long progressedAt;
        int reports;

        Pending(Frame.Call call, long limit, ReceiveGate gate) {
            this.call = call;
            this.limit = limit;
            this.gate = gate;
        }
    }

    SiteSession(String site, String identity, String address, Outbound out, long maxPayloadBytes, EventLog log) {
        this(site, identity, null, address, out, maxPayloadBytes, 0, log, () -> { });
    }

    /**
     * @param readMore asks the stream for its next frame (the server reads a session's stream one frame at a time, so
     *                 that a session can stop reading while its answer waits for a place in the receive gate)
     * @param livenessMillis a call whose handler reports no progress for that long fails (0 = wait for the deadline)
     */
    SiteSession(String site, String identity, String fingerprint, String address, Outbound out, long maxPayloadBytes, long livenessMillis,
                EventLog log, Runnable readMore) {
        this.livenessNanos = livenessMillis * 1_000_000L;
        this.readMore = readMore;
        this.fingerprint = fingerprint;
        this.site = site;
        this.identity = identity;
        this.address = address;
        this.out = out;
        this.maxPayloadBytes = maxPayloadBytes;
        this.log = log;
    }

    public String site() {
        return site;
    }

    /** The certificate identity (subject CN), or "(insecure)". */
    public String identity() {
        return identity;
    }

    public String address() {
        return address;
    }

    /** SHA-256 of the site's certificate (null without TLS). */
    public String fingerprint() {
        return fingerprint;
    }

    /** Ends the session for good: the site is told it is refused (it does not reconnect), then the stream closes. */
    void revoke(String why) {
        try {
            out.sendNow(new Frame.Refusal(why, Protocol.VERSION, true));
        } catch (TransportException ignored) {
            // gone already
        }
        close(Status.PERMISSION_DENIED, why);
    }

    /** A number unique to this connection (a reconnecting site gets a new one). */
    public long number() {
        return number;
    }

    public boolean open() {
        return open && !out.closed();
    }

    /**
     * Sends a call with {@code payload} and waits for the answer until {@code deadlineNanos} (System.nanoTime), or, with a
     * liveness timeout, until the site's handler has reported no progress for that long.
     *
     * @throws TransportException    the session closed, the site broke the protocol, the deadline passed (then
     *                               {@link TimeoutException} is the cause) or the handler stalled (then {@link Stalled} is)
     */
    public Received exchange(String phase, int round, String run, long seed, java.util.Map<String, String> meta, Payload payload,
                             long deadlineNanos, long maxAnswerBytes) throws TransportException, InterruptedException {
        return exchange(phase, round, run, seed, meta, payload, deadlineNanos, maxAnswerBytes, null);
    }

    /**
     * As above; an answer with a payload is received only holding a place of {@code gate} (null: no cap), which the
     * returned {@link Received} keeps until it is closed.
     */
    public Received exchange(String phase, int round, String run, long seed, java.util.Map<String, String> meta, Payload payload,
                             long deadlineNanos, long maxAnswerBytes, ReceiveGate gate) throws TransportException, InterruptedException {
        long id = CALL_IDS.incrementAndGet();
        Frame.Call call = new Frame.Call(id, phase, round, run, seed, meta, payload.state().length, payload.mask().length, Protocol.DTYPE,
                payload.sections().length);
        Pending p = new Pending(call, Math.min(maxAnswerBytes, maxPayloadBytes), gate);
        synchronized (this) {
            if (!open()) {
                throw new TransportException("the connection is closed" + (closedWhy.isEmpty() ? "" : ": " + closedWhy));
            }
            if (pending != null) {
                throw new IllegalStateException("site '" + site + "' has a call in flight");
            }
            pending = p;
        }
        try {
            out.send(call, millisLeft(deadlineNanos));
            for (java.util.Iterator<Frame.Chunk> it = payload.chunkIterator(id); it.hasNext(); ) {
                out.send(it.next(), millisLeft(deadlineNanos)); // one chunk copied at a time, not the whole payload per site
            }
            synchronized (this) {
                p.progressedAt = System.nanoTime(); // the site's handler starts once the payload is in: its clock starts now
            }
            Received r = awaitAnswer(p, deadlineNanos, phase, round);
            synchronized (this) {
                p.handed = p.holding;
            }
            return p.handed ? new Received(r.answer(), r.payload(), p.gate::leave) : r;
        } catch (TimeoutException e) {
            throw new TransportException("no answer to " + phase + " round " + round + " before the deadline", e);
        } catch (Stalled e) {
            throw new TransportException(e.getMessage(), e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof TransportException t ? t : new TransportException(String.valueOf(c.getMessage()), c);
        } finally {
            boolean release;
            Runnable waiting;
            synchronized (this) {
                pending = null;
                release = p.holding && !p.handed;
                waiting = p.granted;
            }
            if (waiting != null && p.gate.withdraw(waiting)) {
                readMore.run(); // it was waiting for a place: read (and drop) what follows
            }
            if (release) {
                p.gate.leave();
            }
        }
    }

    /** Why a call failed its liveness check (the cause of the {@link TransportException}). */
    public static final class Stalled extends Exception {
        Stalled(String message) {
            super(message);
        }
    }

    /**
     * Waits for {@code p}'s answer until the deadline; with a liveness timeout, fails as soon as the site's handler has
     * reported no growth of its CPU time for that long before the answer began to arrive (once it has, the transfer is
     * bounded by the deadline and flow control, not by progress reports).
     */
    private Received awaitAnswer(Pending p, long deadlineNanos, String phase, int round)
            throws TimeoutException, Stalled, ExecutionException, InterruptedException {
        while (true) {
            long now = System.nanoTime();
            long left = deadlineNanos - now;
            if (left <= 0) {
                throw new TimeoutException();
            }
            long wait = left;
            if (livenessNanos > 0) {
                long still;
                long cpu;
                int reports;
                synchronized (this) {
                    still = p.answer != null ? -1 : now - p.progressedAt;
                    cpu = p.reportedCpuMillis;
                    reports = p.reports;
                }
                if (still >= livenessNanos) {
                    throw new Stalled("no progress on " + phase + " round " + round + " for " + String.format(java.util.Locale.ROOT, "%.1f",
                            still / 1e9) + " s (" + (reports == 0 ? "no progress report arrived"
                            : "its handler's CPU time stood still at " + cpu + " ms over " + reports + " reports") + ")");
                }
                if (still >= 0) {
                    wait = Math.min(wait, livenessNanos - still);
                }
            }
            try {
                return p.result.get(wait, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // check the deadline and the site's progress again
            }
        }
    }

    /** A progress report for the call in flight: its CPU time grew, so the handler is working. */
    private void progress(Frame.Progress r) {
        if (pending == null || pending.answer != null || r.id() != pending.call.id()) {
            return; // for a call given up on, or after the answer began: nothing to check
        }
        pending.reports++;
        if (r.cpuMillis() != pending.reportedCpuMillis) {
            pending.reportedCpuMillis = r.cpuMillis();
            pending.progressedAt = System.nanoTime();
        }
    }

    /** The gate gave {@code p} a place: receive its answer, or give the place back if the call was given up. */
    private void granted(Pending p) {
        boolean mine;
        synchronized (this) {
            mine = pending == p && open;
            if (mine) {
                p.holding = true;
            }
        }
        if (!mine) {
            p.gate.leave();
        }
        readMore.run();
    }

    private static long millisLeft(long deadlineNanos) throws TransportException {
        long ms = (deadlineNanos - System.nanoTime()) / 1_000_000L;
        if (ms <= 0) {
            throw new TransportException("the deadline passed while sending");
        }
        return ms;
    }

    /**
     * A frame from the site (after its Hello); returns whether to read the next frame now (false: this answer waits
     * for a place in the receive gate, which asks for the next frame when it gives one).
     */
    boolean onFrame(Frame f) {
        try {
            synchronized (this) {
                if (f instanceof Frame.Answer a) {
                    if (pending == null || pending.answer != null || a.id() != pending.call.id()) {
                        // a late answer to a call that timed out: the site was told to reconnect, ignore it
                        if (pending != null && pending.answer == null && a.id() > pending.call.id()) {
                            throw new TransportException("answered call " + a.id() + ", which was never made");
                        }
                        return true;
                    }
                    pending.answer = a;
                    pending.assembler = new Payload.Assembler(a.id(), a.stateBytes(), a.maskBytes(), a.sectionBytes(), pending.limit,
                            "its " + pending.call.phase() + " answer (round " + pending.call.round() + ")");
                    if (pending.gate != null && a.stateBytes() + a.maskBytes() + a.sectionBytes() > 0) {
                        Pending p = pending;
                        p.granted = () -> granted(p);
                        if (!p.gate.enter(p.granted)) {
                            return false; // its chunks wait in the stream (flow control) until a place frees up
                        }
                        p.granted = null;
                        p.holding = true;
                    }
                    finishIfComplete();
                } else if (f instanceof Frame.Progress r) {
                    progress(r);
                } else if (f instanceof Frame.Chunk c) {
                    if (pending == null || pending.assembler == null || c.id() != pending.call.id()) {
                        return true; // chunks of an answer given up on
                    }
                    pending.assembler.add(c);
                    finishIfComplete();
                } else {
                    throw new TransportException("sent a " + f.getClass().getSimpleName() + " frame during a session");
                }
            }
        } catch (TransportException e) {
            log.warn("site '" + site + "' broke the protocol: " + e.getMessage() + "; closing its connection");
            close(Status.INVALID_ARGUMENT, e.getMessage());
        }
        return true;
    }

    private void finishIfComplete() {
        if (pending.assembler.complete()) {
            pending.result.complete(new Received(pending.answer, pending.assembler.payload()));
        }
    }

    /** Tells the site something (best effort). */
    public void notice(int round, String text) {
        try {
            out.sendNow(new Frame.Notice(round, text));
        } catch (TransportException ignored) {
            // the site is gone; it was told nothing, the server log has it
        }
    }

    /** Ends the session with a final frame. */
    void bye(String reason) {
        try {
            out.sendNow(new Frame.Bye(reason));
        } catch (TransportException ignored) {
            // gone already
        }
        out.complete();
        closed("finished: " + reason);
    }

    /** Ends the session from the server's side: the site reconnects (and restores its state) if it still can. */
    public void close(Status status, String why) {
        out.fail(status.withDescription(why).asRuntimeException());
        closed(why);
    }

    /** The stream ended: a call in flight fails. */
    void closed(String why) {
        Pending p;
        synchronized (this) {
            if (!open) {
                return;
            }
            open = false;
            closedWhy = why;
            p = pending;
        }
        out.peerGone(why);
        if (p != null) {
            p.result.completeExceptionally(new TransportException("connection lost: " + why));
        }
    }
}
