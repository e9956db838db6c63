package org.resfim.transport;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NegotiationType;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import org.resfim.federation.Message;
import org.resfim.federation.ParticipantException;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.Request;
import org.resfim.state.Mask;
import org.resfim.state.StateFormatException;
import org.resfim.state.Tensor;

import java.util.BitSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A site's connection to the server: dials out (a site opens no port), says Hello, answers each call with its
 * {@link Handler} one at a time on one worker thread, and reconnects with exponential backoff (and jitter)
 * whenever the connection drops, until the server says Bye or refuses it for good. Every answer is recorded in
 * its {@link Audit} once it was handed to the connection (marked {@code send_failed} when the send broke off);
 * a masked upload whose personal elements are not zero is not sent at all. While its handler works on a call it
 * reports the CPU time the handler's thread has used, as often as the server's Welcome asks ({@link Frame.Progress}): the
 * server's application-level liveness check, which a connection's keepalive cannot give (gRPC answers keepalive pings
 * even when the handler is stuck).
 */
public final class SiteClient {
    /** Answers the server's calls for one run (method spec) and seed. */
    public interface Handler {
        Reply handle(String run, long seed, Request request) throws ParticipantException;
    }

    /** How a client ended. */
    public enum Outcome { FINISHED, REFUSED, GAVE_UP }

    /**
     * @param maxAttempts connection attempts in a row without a session before giving up (0 = never give up)
     */
    public record Options(String host, int port, String site, Tls.Pem tls, String planSha256, long initialBackoffMillis,
                          long maxBackoffMillis, int maxAttempts, String authority) {
    }

    private final Options options;
    private final Handler handler;
    private final Audit audit;
    private final EventLog log;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "site-worker");
        workerThread = t;
        t.setDaemon(true);
        return t;
    });
    private final java.util.concurrent.ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "site-progress");
        t.setDaemon(true);
        return t;
    });
    private volatile String lastRefusal = "";
    /** The one thread that runs the handler (created with the first call). */
    private volatile Thread workerThread;

    public SiteClient(Options options, Handler handler, Audit audit, EventLog log) {
        this.options = options;
        this.handler = handler;
        this.audit = audit;
        this.log = log;
    }

    /** Why the server last refused this site (for good or for now), or "". */
    public String lastRefusal() {
        return lastRefusal;
    }

    /** Connects, serves sessions and reconnects until the server says Bye, refuses the site, or attempts run out. */
    public Outcome run() throws InterruptedException {
        NettyChannelBuilder b = NettyChannelBuilder.forAddress(options.host(), options.port())
                .maxInboundMessageSize(Protocol.MAX_FRAME_BYTES)
                .flowControlWindow(Protocol.FLOW_WINDOW_BYTES)
                .keepAliveTime(20, TimeUnit.SECONDS)
                .keepAliveTimeout(20, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true);
        if (options.tls() != null) {
            b.sslContext(Tls.client(options.tls())).negotiationType(NegotiationType.TLS);
            if (options.authority() != null) {
                b.overrideAuthority(options.authority());
            }
        } else {
            b.usePlaintext();
        }
        ManagedChannel channel = b.build();
        try {
            long backoff = options.initialBackoffMillis();
            int failures = 0;
            while (true) {
                channel.resetConnectBackoff(); // our backoff decides when to retry, not the channel's (up to 2 minutes)
                Session s = new Session();
                SessionEnd end = s.run(channel);
                switch (end.kind) {
                    case BYE -> {
                        log.info("the server ended the federation: " + end.text);
                        return Outcome.FINISHED;
                    }
                    case REFUSED -> {
                        lastRefusal = end.text;
                        log.warn("the server refused this site: " + end.text);
                        return Outcome.REFUSED;
                    }
                    default -> {
                        if (s.welcomed) {
                            failures = 0;
                            backoff = options.initialBackoffMillis();
                        }
                        failures++;
                        if (options.maxAttempts() > 0 && failures >= options.maxAttempts()) {
                            log.warn("giving up after " + failures + " attempts: " + end.text);
                            return Outcome.GAVE_UP;
                        }
                        long wait = backoff + ThreadLocalRandom.current().nextLong(backoff / 4 + 1);
                        log.info("connection to " + options.host() + ":" + options.port() + " ended (" + end.text + "); retrying in "
                                + wait + " ms");
                        Thread.sleep(wait);
                        backoff = Math.min(options.maxBackoffMillis(), backoff * 2);
                    }
                }
            }
        } finally {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
            worker.shutdownNow();
            beats.shutdownNow();
        }
    }

    /** Threads that do a handler's work for it (Fisher workers, image decoding) are named with this prefix. */
    public static final String WORK_THREAD_PREFIX = "resfim-";

    /**
     * CPU time, ms, that {@code handler} and the work threads ({@link #WORK_THREAD_PREFIX}) alive now have used: a handler
     * that waits while its workers compute (pFL-ResFIM's parallel Fisher passes) still makes progress. -1 where the JVM
     * cannot measure thread CPU time (then every report counts as progress). A worker that ended takes its time with it,
     * so the sum can fall; the server counts any change as progress.
     */
    static long workMillis(Thread handler) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!mx.isThreadCpuTimeSupported()) {
            return -1;
        }
        long nanos = Math.max(0, mx.getThreadCpuTime(handler.getId()));
        for (java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds(), 0)) { // names only, no stacks
            if (t != null && t.getThreadId() != handler.getId() && t.getThreadName().startsWith(WORK_THREAD_PREFIX)) {
                nanos += Math.max(0, mx.getThreadCpuTime(t.getThreadId()));
            }
        }
        return nanos / 1_000_000L;
    }

    private enum EndKind { BYE, REFUSED, LOST }

    private record SessionEnd(EndKind kind, String text) {
    }

    /** One stream to the server. */
    private final class Session implements ClientResponseObserver<Frame, Frame> {
        private final CountDownLatch done = new CountDownLatch(1);
        private final AtomicReference<SessionEnd> end = new AtomicReference<>();
        private Outbound out;
        private volatile boolean welcomed;
        private volatile long progressMillis;
        private final java.util.concurrent.atomic.AtomicLong unmeasured = new java.util.concurrent.atomic.AtomicLong();
        private Frame.Call call;
        private Payload.Assembler assembler;

        SessionEnd run(ManagedChannel channel) throws InterruptedException {
            ClientCalls.asyncBidiStreamingCall(channel.newCall(Protocol.SESSION, io.grpc.CallOptions.DEFAULT), this);
            try {
                out.sendNow(new Frame.Hello(Protocol.VERSION, options.site(), org.resfim.run.BuildInfo.version(), options.planSha256()));
            } catch (TransportException e) {
                finish(EndKind.LOST, e.getMessage());
            }
            done.await();
            return end.get();
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<Frame> requestStream) {
            out = new Outbound(requestStream);
            requestStream.setOnReadyHandler(out::onReady);
        }

        @Override
        public void onNext(Frame f) {
            try {
                if (f instanceof Frame.Welcome w) {
                    if (w.protocolVersion() != Protocol.VERSION) {
                        finish(EndKind.REFUSED, Protocol.versionMismatch("the server", w.protocolVersion()));
                        out.complete();
                        return;
                    }
                    welcomed = true;
                    progressMillis = w.progressMillis();
                    log.info("connected to " + options.host() + ":" + options.port() + " as site '" + options.site() + "'"
                            + (options.tls() == null ? " WITHOUT TLS" : " over mutual TLS") + " (server " + w.software() + ")");
                } else if (f instanceof Frame.Refusal r) {
                    lastRefusal = r.reason();
                    finish(r.permanent() ? EndKind.REFUSED : EndKind.LOST, r.reason());
                } else if (f instanceof Frame.Notice n) {
                    log.warn("server notice (round " + n.round() + "): " + n.text());
                } else if (f instanceof Frame.Bye b) {
                    finish(EndKind.BYE, b.reason());
                } else if (f instanceof Frame.Call c) {
                    if (call != null) {
                        throw new TransportException("a call arrived while call " + call.id() + " was still being received");
                    }
                    if (!Protocol.DTYPE.equals(c.dtype())) {
                        throw new TransportException("call in dtype '" + c.dtype() + "'");
                    }
                    call = c;
                    assembler = new Payload.Assembler(c.id(), c.stateBytes(), c.maskBytes(), c.sectionBytes(), 3L * Integer.MAX_VALUE, "call " + c.id());
                    dispatchIfComplete();
                } else if (f instanceof Frame.Chunk c) {
                    if (assembler == null) {
                        throw new TransportException("a chunk arrived outside a call");
                    }
                    assembler.add(c);
                    dispatchIfComplete();
                } else {
                    throw new TransportException("unexpected " + f.getClass().getSimpleName() + " from the server");
                }
            } catch (TransportException e) {
                log.warn("the server broke the protocol: " + e.getMessage());
                out.fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
                finish(EndKind.LOST, e.getMessage());
            }
        }

        private void dispatchIfComplete() {
            if (!assembler.complete()) {
                return;
            }
            Frame.Call c = call;
            Payload p = assembler.payload();
            call = null;
            assembler = null;
            // reports start when the call is queued: a call waiting behind one still running (after a reconnect) reports
            // the worker's progress on that one, so a slow but working site is not taken for a stuck one
            long every = progressMillis;
            java.util.concurrent.ScheduledFuture<?> beat = every <= 0 ? null
                    : beats.scheduleAtFixedRate(() -> report(c.id(), workerThread), every, every, TimeUnit.MILLISECONDS);
            worker.execute(() -> {
                try {
                    answer(c, p, beat);
                } finally {
                    if (beat != null) {
                        beat.cancel(false); // also when answer() returned early
                    }
                }
            });
        }

        /** On the worker thread: handle one call and send the answer (to this session, if it is still open). */
        private void answer(Frame.Call c, Payload p, java.util.concurrent.ScheduledFuture<?> beat) {
            Phase phase;
            Frame.Answer a;
            Payload up = Payload.EMPTY;
            Message upload = null;
            try {
                phase = Phase.valueOf(c.phase());
            } catch (IllegalArgumentException e) {
                send(c, error(c, "unknown phase '" + c.phase() + "'", false), Payload.EMPTY, null);
                return;
            }
            try {
                Message m = p.toMessage(c.meta(), "call " + c.id() + " from the server");
                if (phase == Phase.FIT) {
                    log.info("FIT round " + c.round() + " started (" + c.run() + ", seed " + c.seed() + ")");
                }
                Reply r = handler.handle(c.run(), c.seed(), new Request(phase, c.round(), m));
                upload = r.upload();
                requirePersonalZero(upload);
                up = Payload.of(upload);
                a = new Frame.Answer(c.id(), c.phase(), c.round(), options.site(), r.numSamples(), r.stats(), r.scores(), upload.meta(),
                        up.state().length, up.mask().length, Protocol.DTYPE, "", false, up.sections().length);
            } catch (ParticipantException e) {
                String prefix = "site '" + options.site() + "': ";
                String why = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
                a = error(c, why, e.permanent());
            } catch (StateFormatException | RuntimeException e) {
                a = error(c, e.getClass().getSimpleName() + ": " + e.getMessage(), false);
            } finally {
                if (beat != null) {
                    beat.cancel(false);
                }
            }
            send(c, a, up, a.failed() ? null : upload);
        }

        /** One progress report on call {@code id}: the CPU time of the thread that handles it and of its work threads. */
        private void report(long id, Thread handler) {
            if (handler == null) {
                return; // the worker thread does not exist yet (it is created with the first call)
            }
            long cpu = workMillis(handler);
            if (cpu < 0) {
                cpu = unmeasured.incrementAndGet(); // no CPU clock: report that the process is alive, every time a new value
            }
            try {
                out.sendNow(new Frame.Progress(id, cpu));
            } catch (TransportException ignored) {
                // the session is gone; the call's answer will not reach the server either
            }
        }

        private Frame.Answer error(Frame.Call c, String why, boolean permanent) {
            log.warn(c.phase() + " round " + c.round() + " failed: " + why);
            return new Frame.Answer(c.id(), c.phase(), c.round(), options.site(), 0, null, null, null, 0, 0, Protocol.DTYPE, why, permanent);
        }

        /**
         * Sends the answer, then writes its audit record: what was handed to the connection, or, when the send
         * failed part-way, the same record marked {@code send_failed} (some of it may have left).
         */
        private void send(Frame.Call c, Frame.Answer a, Payload up, Message upload) {
            String kind = Phase.SETUP.name().equals(c.phase()) && c.round() > 0 ? "restore" : c.phase().toLowerCase(java.util.Locale.ROOT);
            String failed = null;
            boolean interrupted = false;
            try {
                out.send(a, TimeUnit.MINUTES.toMillis(10));
                for (Frame.Chunk ch : up.chunks(a.id())) {
                    out.send(ch, TimeUnit.MINUTES.toMillis(10));
                }
                if (!a.failed() && upload != null && !upload.isEmpty()) {
                    log.info(c.phase() + " round " + c.round() + ": sent " + upload.tensors().size() + " tensors, "
                            + upload.tensors().numElements() + " elements, " + (upload.sections().isEmpty() ? ""
                            : upload.sections().size() + " sections " + upload.sections().names() + ", ") + up.size() + " bytes");
                }
            } catch (TransportException e) {
                failed = e.getMessage();
            } catch (InterruptedException e) {
                failed = "interrupted";
                interrupted = true;
            }
            com.fasterxml.jackson.databind.node.ObjectNode rec = Audit.record(options.site(), c.run(), c.seed(), kind, c.round(), upload,
                    up.size(), a.numSamples(), a.scores(), a.stats(), a.error());
            if (failed != null) {
                rec.put("send_failed", LogText.message(failed));
            }
            audit.write(rec);
            if (failed != null) { // after the audit record: whoever reads this line finds the record on disk
                log.warn("could not send the answer to " + c.phase() + " round " + c.round() + ": " + failed);
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void onError(Throwable t) {
            Status s = Status.fromThrowable(t);
            finish(EndKind.LOST, s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription())
                    + (s.getCause() != null && s.getDescription() == null ? ": " + s.getCause().getMessage() : ""));
        }

        @Override
        public void onCompleted() {
            finish(EndKind.LOST, "the server closed the connection");
        }

        private void finish(EndKind kind, String text) {
            if (end.compareAndSet(null, new SessionEnd(kind, text))) {
                if (out != null) {
                    out.peerGone(text);
                }
                done.countDown();
            }
        }
    }

    /** Refuses to send an upload that carries a personal (masked) element's value: those must be sent as zero. */
    static void requirePersonalZero(Message m) {
        if (m == null || m.mask() == null) {
            return;
        }
        Mask mask = m.mask();
        for (Tensor t : m.tensors().tensors()) {
            if (!mask.contains(t.name())) {
                continue;
            }
            BitSet b = mask.bits(t.name());
            float[] d = t.data();
            for (int i = b.nextSetBit(0); i >= 0 && i < d.length; i = b.nextSetBit(i + 1)) {
                if (d[i] != 0f) {
                    throw new IllegalStateException("refusing to send tensor '" + t.name() + "': personal element " + i
                            + " carries a value; personal elements never leave the site");
                }
            }
        }
    }
}
