package org.resfim.transport;

/**
 * Peer-supplied text made safe for a log line: control characters (newlines included), Unicode line and
 * paragraph separators and bidirectional overrides are written as {@code \\uXXXX} (a backslash as {@code \\\\}), and
 * the text is cut to a length, saying how much was left out. A certificate's CN, a site name, a Hello's software
 * string or an answer's error message can then neither forge a line of its own nor flood the log.
 */
public final class LogText {
    /** Default length for names (site, identity, software). */
    public static final int NAME = 200;
    /** Default length for messages (an answer's error, a refusal). */
    public static final int MESSAGE = 1000;

    private LogText() {
    }

    /** {@code s} escaped and cut to {@code max} characters ("null" for null). */
    public static String clean(String s, int max) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 16);
        int i = 0;
        for (; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                sb.append("\\\\");
            } else if (unsafe(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (i < s.length()) {
            sb.append("…(").append(s.length() - i).append(" more characters)");
        }
        return sb.toString();
    }

    /** {@code s} escaped, cut to {@link #NAME} characters and in single quotes. */
    public static String quote(String s) {
        return "'" + clean(s, NAME) + "'";
    }

    /** A message from a peer, escaped and cut to {@link #MESSAGE} characters. */
    public static String message(String s) {
        return clean(s, MESSAGE);
    }

    static boolean unsafe(char c) {
        return Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || (c >= '\u202a' && c <= '\u202e')
                || (c >= '\u2066' && c <= '\u2069') || c == '\u200e' || c == '\u200f' || c == '\u061c';
    }

    /** A whole log line: only its unsafe characters escaped (its own text is trusted), cut to {@code max}. */
    static String line(String s, int max) {
        boolean clean = s.length() <= max;
        for (int i = 0; clean && i < s.length(); i++) {
            clean = !unsafe(s.charAt(i));
        }
        if (clean) {
            return s;
        }
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 16);
        int i = 0;
        for (; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            sb.append(unsafe(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        if (i < s.length()) {
            sb.append("…(").append(s.length() - i).append(" more characters)");
        }
        return sb.toString();
    }
}
