package org.resfim.spectral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class StyleConfigTest {

    @Test
    void defaultsAreTheMethodDefaults() {
        StyleConfig d = StyleConfig.defaults();
        assertEquals(0.03, d.beta());
        assertEquals(StyleConfig.Share.SITE_MEAN, d.share());
        assertEquals(8, d.m());
        assertEquals(0.0, d.sigma());
        assertEquals(1.0, d.lambda());
        assertFalse(d.augment());
        assertEquals(0.5, d.p());
        assertEquals(d, StyleConfig.fromMap(d.toMap()));
    }

    @Test
    void fromMapParsesKeysWithOrWithoutPrefix() {
        StyleConfig c = StyleConfig.fromMap(Map.of("style.beta", "0.05", "share", "per-image", "m", 4, "sigma", 0.1,
                "lambda", "0.5", "augment", "on", "p", 0.25));
        assertEquals(new StyleConfig(0.05, StyleConfig.Share.PER_IMAGE, 4, 0.1, 0.5, true, 0.25), c);
        assertTrue(StyleConfig.fromMap(Map.of("augment", true)).augment());
    }

    @Test
    void badValuesNameTheKey() {
        assertEquals("style.beta must be in (0, 0.5], got 0.7", message(Map.of("beta", 0.7)));
        assertEquals("style.beta must be in (0, 0.5], got 0.0", message(Map.of("beta", 0)));
        assertTrue(message(Map.of("share", "all")).startsWith("style.share must be site-mean or per-image"));
        assertEquals("style.m must be >= 1, got 0", message(Map.of("m", 0)));
        assertTrue(message(Map.of("m", 2.5)).startsWith("style.m must be an integer"));
        assertTrue(message(Map.of("sigma", -1)).startsWith("style.sigma"));
        assertEquals("style.lambda must be in [0, 1], got 1.5", message(Map.of("lambda", 1.5)));
        assertTrue(message(Map.of("p", "NaN")).startsWith("style.p"));
        assertTrue(message(Map.of("augment", "maybe")).startsWith("style.augment"));
        assertTrue(message(Map.of("beta", "abc")).startsWith("style.beta must be a number"));
        assertTrue(message(Map.of("gamma", 1)).contains("'style.gamma'"));
    }

    private static String message(Map<String, ?> values) {
        return assertThrows(IllegalArgumentException.class, () -> StyleConfig.fromMap(values)).getMessage();
    }
}
