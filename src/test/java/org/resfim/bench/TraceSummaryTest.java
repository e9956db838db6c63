package org.resfim.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.model.UNetConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TraceSummaryTest {
    @Test
    void selfTimeSubtractsDirectlyNestedEventsPerThread(@TempDir Path tmp) throws IOException {
        // Thread 1: A [0,100) holds B [10,40) (which holds C [15,25)) and D [50,70); E [200,210) stands alone.
        // Thread 2: another A [0,50) that overlaps thread 1's A in time but is not nested in it.
        String trace = """
                {"traceEvents": [
                  {"ph": "X", "name": "A", "pid": 1, "tid": 1, "ts": 0, "dur": 100},
                  {"ph": "X", "name": "B", "pid": 1, "tid": 1, "ts": 10, "dur": 30},
                  {"ph": "X", "name": "C", "pid": 1, "tid": 1, "ts": 15, "dur": 10},
                  {"ph": "X", "name": "D", "pid": 1, "tid": 1, "ts": 50, "dur": 20},
                  {"ph": "X", "name": "E", "pid": 1, "tid": 1, "ts": 200, "dur": 10},
                  {"ph": "X", "name": "A", "pid": 1, "tid": 2, "ts": 0, "dur": 50},
                  {"ph": "i", "name": "marker", "pid": 1, "tid": 1, "ts": 20},
                  {"ph": "M", "name": "thread_name", "pid": 1, "tid": 1}
                ]}""";
        Path f = tmp.resolve("t.json");
        Files.writeString(f, trace);
        List<TraceSummary.Op> ops = TraceSummary.read(f);
        Map<String, TraceSummary.Op> by = ops.stream().collect(Collectors.toMap(TraceSummary.Op::name, Function.identity()));
        assertEquals(5, ops.size());
        assertEquals(100 - 30 - 20 + 50, by.get("A").selfMicros(), 1e-9);
        assertEquals(2, by.get("A").calls());
        assertEquals(30 - 10, by.get("B").selfMicros(), 1e-9);
        assertEquals(10, by.get("C").selfMicros(), 1e-9);
        assertEquals(20, by.get("D").selfMicros(), 1e-9);
        assertEquals(10, by.get("E").selfMicros(), 1e-9);
        assertEquals("A", ops.get(0).name());
        List<String> table = TraceSummary.table(ops, 2);
        assertEquals(2, table.size());
        assertTrue(table.get(0).matches("\\s*0\\.1 ms\\s+62\\.5%\\s+2\\s+A"), table.get(0)); // 100 of 160 µs
    }

    @Test
    void aFileWithoutEventsIsRefusedByName(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("not-a-trace.json");
        Files.writeString(f, "{\"hello\": 1}");
        IOException e = assertThrows(IOException.class, () -> TraceSummary.read(f));
        assertTrue(e.getMessage().contains("not-a-trace.json"), e.getMessage());
    }

    @Test
    void aProfiledTrainingStepShowsTheConvolutionBackward(@TempDir Path tmp) throws IOException {
        UNetConfig tiny = new UNetConfig(3, 1, 4, 3, org.resfim.model.NormType.BATCH, 4);
        Path trace = tmp.resolve("training.json");
        TrainBenchmark.profile(tiny, "training", 16, 2, 2, 0, trace);
        Map<String, TraceSummary.Op> by = TraceSummary.read(trace).stream()
                .collect(Collectors.toMap(TraceSummary.Op::name, Function.identity(), (a, b) -> a));
        // 2 profiled steps of a depth-3 U-Net: 3·3 encoder + (2 + 3) decoder convolutions + 1 head = 15 per step.
        assertEquals(2 * 15, by.get("aten::convolution_backward").calls());
        assertThrows(IllegalArgumentException.class, () -> TrainBenchmark.profile(tiny, "trianing", 16, 2, 1, 0, tmp.resolve("x.json")));
    }
}
