package org.resfim.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.resfim.state.Jackson;

/**
 * Self time per operator of a Chrome trace ({@code traceEvents} of complete "X" events with {@code ts} and
 * {@code dur} in microseconds): an event's duration minus the durations of the events nested directly in it
 * on the same thread. The operator view of where a step spends its time.
 */
public final class TraceSummary {
    private TraceSummary() {
    }

    /** One operator: total self time in microseconds and number of calls. */
    public record Op(String name, double selfMicros, int calls) {
    }

    public static List<Op> read(Path trace) throws IOException {
        JsonNode root = Jackson.MAPPER.readTree(trace.toFile());
        JsonNode events = root.isArray() ? root : root.path("traceEvents");
        if (!events.isArray()) {
            throw new IOException(trace + ": no traceEvents array (not a Chrome trace)");
        }
        Map<String, List<Event>> byThread = new HashMap<>();
        for (JsonNode e : events) {
            if (!"X".equals(e.path("ph").asText()) || !e.has("ts") || !e.has("dur")) {
                continue;
            }
            byThread.computeIfAbsent(e.path("pid").asText() + "/" + e.path("tid").asText(), k -> new ArrayList<>())
                    .add(new Event(e.path("name").asText(), e.path("ts").asDouble(), e.path("dur").asDouble()));
        }
        return summarise(byThread.values());
    }

    /** One complete event; {@code nested} collects the durations of the events directly inside it. */
    private static final class Event {
        final String name;
        final double start;
        final double duration;
        double nested;

        Event(String name, double start, double duration) {
            this.name = name;
            this.start = start;
            this.duration = duration;
        }
    }

    private static List<Op> summarise(Iterable<List<Event>> threads) {
        Map<String, double[]> acc = new LinkedHashMap<>();
        for (List<Event> events : threads) {
            events.sort(Comparator.<Event>comparingDouble(ev -> ev.start).thenComparing(ev -> -ev.duration));
            Deque<Event> open = new ArrayDeque<>();
            for (Event ev : events) {
                while (!open.isEmpty() && open.peek().start + open.peek().duration <= ev.start) {
                    open.pop();
                }
                if (!open.isEmpty()) {
                    open.peek().nested += ev.duration;
                }
                open.push(ev);
            }
            for (Event ev : events) {
                double[] a = acc.computeIfAbsent(ev.name, k -> new double[2]);
                a[0] += ev.duration - ev.nested;
                a[1]++;
            }
        }
        List<Op> ops = new ArrayList<>();
        acc.forEach((name, a) -> ops.add(new Op(name, a[0], (int) a[1])));
        ops.sort(Comparator.comparingDouble(Op::selfMicros).reversed().thenComparing(Op::name));
        return ops;
    }

    /** The {@code top} operators as aligned text lines: self ms, share of all self time, calls, name. */
    public static List<String> table(List<Op> ops, int top) {
        double total = ops.stream().mapToDouble(Op::selfMicros).sum();
        List<String> lines = new ArrayList<>();
        for (Op op : ops.subList(0, Math.min(top, ops.size()))) {
            lines.add(String.format("%9.1f ms %5.1f%% %6d  %s", op.selfMicros() / 1000, total > 0 ? 100 * op.selfMicros() / total : 0.0,
                    op.calls(), op.name()));
        }
        return lines;
    }
}
