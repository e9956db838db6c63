package org.resfim.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesNestedValues() {
        Object v = Json.parse(" {\"a\": [1, -2.5, 3e2, true, false, null], \"b\": {\"c\": \"x\\u0041\\n\"}, \"d\": []} ");
        Map<?, ?> m = (Map<?, ?>) v;
        List<?> a = (List<?>) m.get("a");
        assertEquals(1L, a.get(0));
        assertEquals(-2.5, a.get(1));
        assertEquals(300.0, a.get(2));
        assertEquals(true, a.get(3));
        assertEquals(false, a.get(4));
        assertNull(a.get(5));
        assertEquals("xA\n", ((Map<?, ?>) m.get("b")).get("c"));
        assertEquals(List.of(), m.get("d"));
    }

    @Test
    void quoteRoundTripsThroughParse() {
        String s = "q\"b\\s/\n\t\u0001é";
        assertEquals(s, Json.parse(Json.quote(s)));
    }

    @Test
    void refusesMalformedJson() {
        for (String bad : new String[] {"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1} x", "\"abc", "tru", "[01x]", "{'a':1}"}) {
            assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
        }
    }
}
