package org.resfim.state;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * ResFIM's one JSON configuration of Jackson: the shared mapper, its indented writer, a strict reader (RFC 8259: one
 * value filling the whole text) and the line layout of the files whose bytes are compared or hashed (split manifests,
 * whose SHA-256 a run's provenance records and whose bytes a cell checks against its plan's).
 */
public final class Jackson {
    private Jackson() {
    }

    /**
     * The one mapper every JSON read and write of ResFIM goes through (Jackson's defaults). Thread-safe; never
     * reconfigure it: derive an {@code ObjectWriter} or {@code ObjectReader} ({@link #PRETTY}, {@link #read}).
     */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    /** Jackson's indented layout (two spaces, {@code "key" : value}), for files and pages people read. */
    public static final ObjectWriter PRETTY = MAPPER.writerWithDefaultPrettyPrinter();

    private static final ObjectReader STRICT = MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * Parses one JSON value filling the whole of {@code text}.
     *
     * @throws IllegalArgumentException naming what is wrong and where, for text that is not exactly one JSON value
     */
    public static JsonNode read(String text) {
        JsonNode n;
        try {
            n = STRICT.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()), e);
        }
        if (n == null || n.isMissingNode()) {
            throw new IllegalArgumentException("JSON: no value (empty text)");
        }
        return n;
    }

    /**
     * {@code value} (maps, lists, strings, numbers, booleans, null; or anything Jackson maps to those) as JSON in
     * lines: an object of at most 16 members none of which is an object or array, and an array none of whose
     * elements is an object or array, stand on one line ({@code {"a": 1, "b": [1, 2]}} is not one of them,
     * {@code [1, 2]} is); every other object or array puts each member on its own line, indented by two spaces per
     * level. Strings escape quote, backslash, newline, carriage return and tab by letter, every other character
     * below U+0020 or above U+007E as a lower-case {@code \}{@code uXXXX}; numbers as {@link Double#toString} and
     * {@link Long#toString} write them. Ends with a newline.
     */
    public static String writeLines(Object value) {
        JsonNode tree = MAPPER.valueToTree(value);
        Deque<Boolean> layout = new ArrayDeque<>();
        plan(tree, layout);
        try {
            return MAPPER.writer(new LinesPrinter(layout)).with(ASCII_ESCAPES).writeValueAsString(tree) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The one-line decision of every object and array of {@code n}, in the order the generator starts them. */
    private static void plan(JsonNode n, Deque<Boolean> layout) {
        if (!n.isContainerNode()) {
            return;
        }
        boolean scalarsOnly = true;
        for (JsonNode c : n) {
            scalarsOnly &= !c.isContainerNode();
        }
        layout.addLast(scalarsOnly && (n.isArray() || n.size() <= 16));
        for (JsonNode c : n) {
            plan(c, layout);
        }
    }

    /** The layout of {@link #writeLines}: each container takes its one-line decision from the plan as it starts. */
    private static final class LinesPrinter implements PrettyPrinter {
        private final Deque<Boolean> plan;
        private final Deque<Boolean> open = new ArrayDeque<>();

        LinesPrinter(Deque<Boolean> plan) {
            this.plan = plan;
        }

        private void start(JsonGenerator g, char c) throws IOException {
            open.push(plan.removeFirst());
            g.writeRaw(c);
        }

        private void separate(JsonGenerator g, boolean comma) throws IOException {
            if (comma) {
                g.writeRaw(',');
            }
            if (open.peek()) {
                if (comma) {
                    g.writeRaw(' ');
                }
            } else {
                newline(g, open.size());
            }
        }

        private void end(JsonGenerator g, char c, int members) throws IOException {
            boolean oneLine = open.pop();
            if (!oneLine && members > 0) {
                newline(g, open.size());
            }
            g.writeRaw(c);
        }

        private static void newline(JsonGenerator g, int depth) throws IOException {
            g.writeRaw('\n');
            for (int i = 0; i < depth; i++) {
                g.writeRaw("  ");
            }
        }

        @Override
        public void writeRootValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw('\n');
        }

        @Override
        public void writeStartObject(JsonGenerator g) throws IOException {
            start(g, '{');
        }

        @Override
        public void beforeObjectEntries(JsonGenerator g) throws IOException {
            separate(g, false);
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            separate(g, true);
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(": ");
        }

        @Override
        public void writeEndObject(JsonGenerator g, int nrOfEntries) throws IOException {
            end(g, '}', nrOfEntries);
        }

        @Override
        public void writeStartArray(JsonGenerator g) throws IOException {
            start(g, '[');
        }

        @Override
        public void beforeArrayValues(JsonGenerator g) throws IOException {
            separate(g, false);
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            separate(g, true);
        }

        @Override
        public void writeEndArray(JsonGenerator g, int nrOfValues) throws IOException {
            end(g, ']', nrOfValues);
        }
    }

    /** Printable ASCII as itself; {@code " \ \n \r \t} by letter; every other character as lower-case {@code \}{@code uXXXX}. */
    private static final CharacterEscapes ASCII_ESCAPES = new CharacterEscapes() {
        private final int[] codes = ascii();

        private static int[] ascii() {
            int[] c = new int[128];
            for (int i = 0; i < 0x20; i++) {
                c[i] = ESCAPE_CUSTOM;
            }
            c['"'] = '"';
            c['\\'] = '\\';
            c['\n'] = 'n';
            c['\r'] = 'r';
            c['\t'] = 't';
            c[0x7f] = ESCAPE_CUSTOM;
            return c;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return codes;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return new SerializedString(String.format("\\u%04x", ch));
        }
    };
}
