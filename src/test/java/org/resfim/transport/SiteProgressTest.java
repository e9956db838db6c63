package org.resfim.transport;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a site reports as progress on a call: the CPU time of the thread handling it plus that of its work threads
 * ({@code resfim-*}: pFL-ResFIM's parallel Fisher workers, image decoding), so a handler that waits while its workers
 * compute is not mistaken for a stuck one. Causal, in CPU time: a worker burns a known amount of CPU while the handler
 * waits; no wall-clock reading is asserted.
 */
class SiteProgressTest {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    /** Spins until this thread has used {@code millis} of CPU time. */
    private static void burn(long millis) {
        long until = MX.getCurrentThreadCpuTime() + millis * 1_000_000L;
        long x = 0;
        while (MX.getCurrentThreadCpuTime() < until) {
            x += System.identityHashCode(new Object());
        }
        SINK.addAndGet(x);
    }

    private static final AtomicLong SINK = new AtomicLong();

    @Test
    void aWaitingHandlerWhoseWorkerComputesMakesProgress() throws Exception {
        Thread handler = Thread.currentThread();
        long handlerBefore = MX.getCurrentThreadCpuTime();
        long before = SiteClient.workMillis(handler);
        CountDownLatch done = new CountDownLatch(1);
        CountDownLatch measured = new CountDownLatch(1);
        long[] during = new long[1];
        Thread worker = new Thread(() -> {
            burn(200);
            during[0] = SiteClient.workMillis(handler); // measured while this worker is alive
            done.countDown();
            try {
                measured.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, SiteClient.WORK_THREAD_PREFIX + "test-worker");
        worker.start();
        done.await(); // the handler waits (no CPU of its own) while its worker computes
        long handlerOwn = (MX.getCurrentThreadCpuTime() - handlerBefore) / 1_000_000L;
        measured.countDown();
        worker.join();
        assertTrue(during[0] - before >= 200 - handlerOwn - 1,
                "the worker's 200 ms of CPU count: " + before + " -> " + during[0] + " ms (handler itself " + handlerOwn + " ms)");
    }

    @Test
    void otherThreadsDoNotCount() throws Exception {
        Thread handler = Thread.currentThread();
        CountDownLatch done = new CountDownLatch(1);
        CountDownLatch measured = new CountDownLatch(1);
        long[] beforeAfter = new long[2];
        Thread other = new Thread(() -> {
            beforeAfter[0] = SiteClient.workMillis(handler);
            burn(200);
            beforeAfter[1] = SiteClient.workMillis(handler);
            done.countDown();
            try {
                measured.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "grpc-like-thread");
        long handlerBefore = MX.getCurrentThreadCpuTime();
        other.start();
        done.await();
        long handlerOwn = (MX.getCurrentThreadCpuTime() - handlerBefore) / 1_000_000L;
        measured.countDown();
        other.join();
        // a thread that is not named as the handler's work (gRPC's, a keepalive's) adds nothing: only the handler's own
        // CPU, which barely moved while it waited, and any resfim-* thread of another test could change the sum
        assertTrue(beforeAfter[1] - beforeAfter[0] <= handlerOwn + 50,
                "a foreign thread's 200 ms must not count: " + beforeAfter[0] + " -> " + beforeAfter[1] + " ms");
    }
}
