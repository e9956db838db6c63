package org.resfim.engine;

import ai.djl.pytorch.jni.JniUtils;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * Runs independent per-sample work on parallel workers, one libtorch thread each, and returns the workers'
 * results in worker order, so that the caller reduces them in a fixed order: for a given number of workers the
 * result never depends on which worker finished first. Each worker has its own live network (the gradients of
 * one network cannot be accumulated from two threads). libtorch's intra-op thread count is process-wide, so it is
 * set to 1 while the workers run and restored afterwards; no other libtorch work may run meanwhile (the caller
 * waits for the workers).
 */
public final class FisherWorkers {
    private FisherWorkers() {
    }

    /** The default number of workers: libtorch's intra-op threads of the calling thread (the {@code --threads} of a run). */
    public static int defaultWorkers() {
        return Math.max(1, JniUtils.getNumThreads());
    }

    /** {@code task.apply(w)} for w = 0 .. workers − 1, each on its own thread with one libtorch thread; results in order w. */
    public static <R> List<R> run(int workers, IntFunction<R> task) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        if (workers == 1) {
            return List.of(task.apply(0));
        }
        int before = JniUtils.getNumThreads();
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "resfim-fisher-worker"); // "resfim-": a site's liveness reports count its CPU time
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<R>> futures = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int id = w;
                futures.add(pool.submit(() -> {
                    JniUtils.setNumThreads(1);
                    return task.apply(id);
                }));
            }
            List<R> out = new ArrayList<>();
            for (Future<R> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the Fisher workers ran", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(c);
        } finally {
            pool.shutdownNow();
            JniUtils.setNumThreads(before);
        }
    }

    /** Contiguous chunks of {@code n} items for {@code parts} workers, the first ones one larger: [from, to) pairs. */
    static int[][] chunks(int n, int parts) {
        int[][] out = new int[parts][];
        int base = n / parts;
        int extra = n % parts;
        int from = 0;
        for (int p = 0; p < parts; p++) {
            int to = from + base + (p < extra ? 1 : 0);
            out[p] = new int[] {from, to};
            from = to;
        }
        return out;
    }
}
