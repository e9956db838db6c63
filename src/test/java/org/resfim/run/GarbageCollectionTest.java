package org.resfim.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Same seed, same numbers, however often the JVM collects garbage. DJL frees the native memory behind a
 * tensor made from Java data when the Java object is collected, and its arithmetic with Java numbers closes
 * the number's tensor right after the operation although autograd keeps it for the backward pass: with a
 * collection in between, the backward read freed memory and runs of one seed differed (before the fix,
 * every run after the first in this test did). See engine.NativeArrays.
 */
class GarbageCollectionTest {
    @Test
    void constantCollectionsDoNotChangeTheNumbers(@TempDir Path tmp) throws Exception {
        Path cfg = TinyRuns.config(tmp, 3);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        List<String> methods = List.of("pfl-resfim", "ditto"); // the loss, the proximal term, the Fisher pass
        new Simulation(Plans.build(TinyRuns.overrides(cfg, tmp.resolve("quiet"), methods)), quiet).run();
        Thread collector = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                System.gc();
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "gc-hammer");
        collector.setDaemon(true);
        collector.start();
        try {
            new Simulation(Plans.build(TinyRuns.overrides(cfg, tmp.resolve("collected"), methods)), quiet).run();
        } finally {
            collector.interrupt();
            collector.join();
        }
        assertEquals(TinyRuns.table(tmp.resolve("quiet")), TinyRuns.table(tmp.resolve("collected")));
    }
}
