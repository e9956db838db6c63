package org.resfim.transport;

import java.io.PrintStream;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** What a server or site process tells its operator: time-stamped lines, also kept for tests to read. */
public final class EventLog {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    private final PrintStream out;
    private final String who;
    private final List<String> lines = new ArrayList<>();

    public EventLog(PrintStream out, String who) {
        this.out = out;
        this.who = who;
    }

    public synchronized void info(String text) {
        String line = LocalTime.now().format(TIME) + " [" + who + "] " + text;
        lines.add(line);
        if (out != null) {
            out.println(line);
            out.flush();
        }
    }

    public void warn(String text) {
        info("WARNING: " + text);
    }

    /** Every line so far. */
    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    public synchronized boolean contains(String text) {
        return lines.stream().anyMatch(l -> l.contains(text));
    }
}
