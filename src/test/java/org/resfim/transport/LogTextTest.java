package org.resfim.transport;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Peer text in a log line: one line, bounded (#17 item 6). */
class LogTextTest {
    @Test
    void controlCharactersLineSeparatorsAndBidiOverridesAreEscapedAndLongTextIsCut() {
        assertEquals("a\\u000ab\\u000dc\\u2028d\\u202ee\\\\f", LogText.clean("a\nb\rc\u2028d\u202ee\\f", 100));
        assertEquals("'x\\u0000'", LogText.quote("x\0"));
        String cut = LogText.clean("y".repeat(5000), 10);
        assertEquals("yyyyyyyyyy…(4990 more characters)", cut);
        assertEquals("null", LogText.clean(null, 10));
        assertEquals("ok: plain text", LogText.line("ok: plain text", 100));
    }

    @Test
    void anEventLogLineStaysOneLineWhateverItsText() {
        EventLog log = new EventLog(null, "server");
        log.warn("refused: " + "z\n12:00:00.000 [server] site 'a' connected" + "w".repeat(10_000));
        String line = log.lines().get(0);
        assertFalse(line.contains("\n"), line);
        assertTrue(line.contains("z\\u000a12:00:00.000") && line.length() < EventLog.MAX_LINE + 100, line);
    }
}
