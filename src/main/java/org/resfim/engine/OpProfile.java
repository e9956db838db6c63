package org.resfim.engine;

import ai.djl.pytorch.jni.JniUtils;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * libtorch's operator profiler around a piece of work: every aten operator with its input shapes and
 * wall time, written as a Chrome trace (open it in chrome://tracing or Perfetto; {@code bench.TraceSummary}
 * prints self time per operator). Profiling slows the work down, so never time a profiled run.
 */
public final class OpProfile {
    private OpProfile() {
    }

    /** Runs {@code work} with the profiler on and writes the trace to {@code trace}. */
    public static void record(Path trace, Runnable work) {
        Djl.engine();
        try {
            Path parent = trace.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create the folder of " + trace, e);
        }
        JniUtils.startProfile(false, true, false);
        try {
            work.run();
        } finally {
            JniUtils.stopProfile(trace.toAbsolutePath().toString());
        }
    }
}
