package org.resfim.transport;

import java.util.ArrayDeque;

/**
 * A cap on answers being received at once. An answer's payload is held in memory while it arrives and while it
 * is decoded (a few times its size), so with many sites answering together these transient copies would grow with
 * sites × answer size; with the gate they grow with the cap (the decoded uploads a round aggregates stay, one per
 * site). A session whose answer finds no free place stops
 * reading its stream (gRPC flow control then holds the site's sender) until a place frees up, first come,
 * first served.
 */
final class ReceiveGate {
    private final int places;
    private int free;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private long waited;

    ReceiveGate(int places) {
        if (places < 1) {
            throw new IllegalArgumentException("answers received at once must be at least 1, got " + places);
        }
        this.places = places;
        this.free = places;
    }

    int places() {
        return places;
    }

    /** Takes a place now (true), or queues {@code granted}, which runs with the place once one frees up (false). */
    synchronized boolean enter(Runnable granted) {
        if (free > 0) {
            free--;
            return true;
        }
        waiting.add(granted);
        waited++;
        return false;
    }

    /** Withdraws a queued {@code granted}; false when it already ran (then its place must be left). */
    synchronized boolean withdraw(Runnable granted) {
        return waiting.remove(granted);
    }

    /** Gives a place back: to the first waiting, or free. */
    void leave() {
        Runnable next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                free++;
            }
        }
        if (next != null) {
            next.run();
        }
    }

    synchronized int free() {
        return free;
    }

    /** How many answers had to wait for a place so far. */
    synchronized long waited() {
        return waited;
    }
}
