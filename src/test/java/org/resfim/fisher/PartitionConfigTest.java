package org.resfim.fisher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.resfim.fisher.PartitionConfig.Scope;
import org.resfim.fisher.PartitionConfig.Variant;

class PartitionConfigTest {

    @Test
    void defaultsAndMethodSpecOverrides() {
        assertEquals(new PartitionConfig(Variant.FIM, Residual.ABSOLUTE, Scope.PER_TENSOR, 0.2, 1e-12),
                PartitionConfig.defaults(), "own Fisher is the default since the 5-fold decision study (METHOD.md: resfim)");
        PartitionConfig c = PartitionConfig.fromMap(Map.of("variant", "fim", "rho", "0.1"));
        assertEquals(Variant.FIM, c.variant());
        assertEquals(0.1, c.rho());
        c = PartitionConfig.fromMap(Map.of("resfim.scope", "global", "resfim.residual", "relative", "eps", 1e-8,
                "variant", "layerwise"));
        assertEquals(new PartitionConfig(Variant.LAYERWISE, Residual.RELATIVE, Scope.GLOBAL, 0.2, 1e-8), c);
        assertFalse(Variant.RANDOM.needsFisher());
        assertFalse(Variant.FIM.needsForeignFisher());
        assertTrue(Variant.RESFIM.needsForeignFisher());
    }

    @Test
    void badValuesNameTheKey() {
        assertEquals("resfim.rho must be in (0, 1), got 1.5", message(Map.of("rho", 1.5)));
        assertEquals("resfim.rho must be in (0, 1), got 0.0", message(Map.of("rho", 0)));
        assertEquals("resfim.rho must be in (0, 1), got 1.0", message(Map.of("rho", "1")));
        assertTrue(message(Map.of("rho", "lots")).startsWith("resfim.rho must be a number"));
        assertEquals("resfim.variant must be resfim, fim, random or layerwise, got 'magic'",
                message(Map.of("variant", "magic")));
        assertEquals("resfim.scope must be per-tensor or global, got 'local'", message(Map.of("scope", "local")));
        assertTrue(message(Map.of("residual", "l2")).startsWith("resfim.residual"));
        assertTrue(message(Map.of("eps", -1)).startsWith("resfim.eps"));
        assertTrue(message(Map.of("beta", 0.1)).contains("'resfim.beta'"));
    }

    private static String message(Map<String, ?> values) {
        return assertThrows(IllegalArgumentException.class, () -> PartitionConfig.fromMap(values)).getMessage();
    }
}
