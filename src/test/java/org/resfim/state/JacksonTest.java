package org.resfim.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JacksonTest {
    @Test
    void readsNestedValues() {
        JsonNode m = Jackson.read(" {\"a\": [1, -2.5, 3e2, true, false, null], \"b\": {\"c\": \"x\\u0041\\n\"}, \"d\": []} ");
        JsonNode a = m.get("a");
        assertEquals(1L, a.get(0).longValue());
        assertTrue(a.get(0).isIntegralNumber());
        assertEquals(-2.5, a.get(1).doubleValue());
        assertEquals(300.0, a.get(2).doubleValue());
        assertTrue(a.get(3).booleanValue());
        assertTrue(a.get(5).isNull());
        assertEquals("xA\n", m.get("b").get("c").textValue());
        assertTrue(m.get("d").isArray() && m.get("d").isEmpty());
    }

    @Test
    void refusesMalformedJson() {
        for (String bad : new String[] {"", " ", "{", "[1,]", "{\"a\" 1}", "{\"a\":1} x", "\"abc", "tru", "[01x]", "{'a':1}", "[NaN]"}) {
            assertThrows(IllegalArgumentException.class, () -> Jackson.read(bad), bad);
        }
    }

    /**
     * The bytes of a split manifest's layout, pinned: runs record its SHA-256, and a cell compares the manifest it
     * would write with its plan's byte for byte, so files written by earlier builds must come out the same.
     */
    @Test
    void theLineLayoutIsPinned() {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("id", "a/b \"q\"\\\té\u007f\u0001\b");
        entry.put("sha", null);
        entry.put("width", 64);
        entry.put("values", List.of(0, 255));
        Map<String, Object> ratios = new LinkedHashMap<>();
        ratios.put("train", 0.7);
        ratios.put("val", 1.0E-4);
        ratios.put("ok", true);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("format", "f/1");
        doc.put("seed", 123456789012L);
        doc.put("ratios", ratios);
        doc.put("empty", Map.of());
        doc.put("none", List.of());
        doc.put("entries", List.of(entry, Map.of("x", List.of(List.of(1)))));
        assertEquals("""
                {
                  "format": "f/1",
                  "seed": 123456789012,
                  "ratios": {"train": 0.7, "val": 1.0E-4, "ok": true},
                  "empty": {},
                  "none": [],
                  "entries": [
                    {
                      "id": "a/b \\"q\\"\\\\\\t\\u00e9\\u007f\\u0001\\u0008",
                      "sha": null,
                      "width": 64,
                      "values": [0, 255]
                    },
                    {
                      "x": [
                        [1]
                      ]
                    }
                  ]
                }
                """, Jackson.writeLines(doc));
    }

    @Test
    void anObjectOfMoreThanSixteenScalarsTakesOneLineEach() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < 17; i++) {
            m.put("k" + i, i);
        }
        assertEquals(19, Jackson.writeLines(m).split("\n").length);
        m.remove("k16");
        assertEquals(1, Jackson.writeLines(m).split("\n").length);
    }

    /** config.resolved.json (whose settings a resume compares) and the deployment's sorted JSON keep their bytes. */
    @Test
    void theSharedWritersWriteAsTheMappersTheyReplaced() throws Exception {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("z", 1.0E-4);
        inner.put("a", List.of(1, 2.5, "é\n", Map.of()));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("b", inner);
        doc.put("a", null);
        doc.put("n", List.of());
        com.fasterxml.jackson.databind.ObjectMapper plain = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals(plain.copy().enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc),
                Jackson.PRETTY.writeValueAsString(doc));
        assertEquals(new String(plain.copy().configure(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
                        .writeValueAsBytes(doc)),
                new String(Jackson.MAPPER.writer().with(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                        .writeValueAsBytes(doc)));
        assertTrue(Jackson.PRETTY.writeValueAsString(doc).startsWith("{\n  \"b\" : {\n    \"z\" : 1.0E-4,"), Jackson.PRETTY.writeValueAsString(doc));
        assertEquals("{\"b\":{\"z\":1.0E-4,\"a\":[1,2.5,\"é\\n\",{}]},\"a\":null,\"n\":[]}", Jackson.MAPPER.writeValueAsString(doc));
    }
}
