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

    /** Longest line written; anything a peer managed to put into a longer one is cut. */
    public static final int MAX_LINE = 4000;

    /**
     * Writes one line: whatever the text holds, it stays one line (control characters and line separators are
     * escaped, see {@link LogText}) of at most {@link #MAX_LINE} characters.
     */
    public synchronized void info(String text) {
        String line = LocalTime.now().format(TIME) + " [" + who + "] " + LogText.line(text, MAX_LINE);
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
