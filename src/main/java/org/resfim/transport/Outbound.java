package org.resfim.transport;

import io.grpc.stub.CallStreamObserver;

/**
 * The sending half of a session stream, shared by threads: frames go out one at a time, and a sender waits
 * while gRPC's flow-control window is full, so a 50 M-parameter state is never queued in memory whole.
 * gRPC's callback threads never wait here: they send only small frames ({@link #sendNow}).
 */
final class Outbound {
    private final CallStreamObserver<Frame> stream;
    private final Object ready = new Object();
    private volatile boolean closed;
    private volatile String closedWhy = "the stream is closed";

    Outbound(CallStreamObserver<Frame> stream) {
        this.stream = stream;
    }

    /** Called by gRPC when the stream can take more frames. */
    void onReady() {
        synchronized (ready) {
            ready.notifyAll();
        }
    }

    /** Sends {@code f}, waiting (at most {@code timeoutMillis}) for the flow-control window. */
    void send(Frame f, long timeoutMillis) throws TransportException, InterruptedException {
        long end = System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (ready) {
            while (!closed && !stream.isReady()) {
                long left = (end - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    throw new TransportException("the peer does not take data (flow control stalled for " + timeoutMillis + " ms)");
                }
                ready.wait(Math.min(left, 100));
            }
        }
        sendNow(f);
    }

    /** Sends {@code f} without waiting for the window (small frames only). */
    void sendNow(Frame f) throws TransportException {
        synchronized (this) {
            if (closed) {
                throw new TransportException(closedWhy);
            }
            try {
                stream.onNext(f);
            } catch (RuntimeException e) {
                closed = true;
                throw new TransportException("cannot send: " + e.getMessage(), e);
            }
        }
    }

    /** Ends the stream normally (after a final frame, if any); later sends fail. */
    void complete() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                stream.onCompleted();
            } catch (RuntimeException ignored) {
                // already cancelled by the peer
            }
        }
        onReady();
    }

    /** Ends the stream with an error status; later sends fail. */
    void fail(Throwable t) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                stream.onError(t);
            } catch (RuntimeException ignored) {
                // already cancelled by the peer
            }
        }
        onReady();
    }

    /** Marks the stream closed because the peer went away. */
    void peerGone(String why) {
        closedWhy = why;
        closed = true;
        onReady();
    }

    boolean closed() {
        return closed;
    }
}
