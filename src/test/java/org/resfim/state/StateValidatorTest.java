package org.resfim.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StateValidatorTest {
    private static final ModelState MODEL = Fixtures.wb(new float[] {1, 2, 3, 4}, new float[] {5, 6, 7});

    @Test
    void acceptsTheFullModelAndASubset() {
        StateValidator.validate(MODEL, MODEL.copy(), 7);
        StateValidator.validate(MODEL, new ModelState(List.of(MODEL.get("b"))), 3);
    }

    @Test
    void refusesUnknownTensor() {
        ModelState up = new ModelState(List.of(Fixtures.tensor("intruder", new int[] {1}, 0f)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateValidator.validate(MODEL, up, 100));
        assertTrue(e.getMessage().contains("'intruder'"), e.getMessage());
    }

    @Test
    void refusesWrongShape() {
        ModelState up = new ModelState(List.of(Fixtures.tensor("w", new int[] {4}, 1, 2, 3, 4)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateValidator.validate(MODEL, up, 100));
        assertEquals("upload tensor 'w' has shape [4], model expects [2, 2]", e.getMessage());
    }

    @Test
    void refusesNonFiniteNamingTheFirstIndex() {
        ModelState up = MODEL.copy();
        up.get("b").data()[1] = Float.NaN;
        up.get("b").data()[2] = Float.POSITIVE_INFINITY;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateValidator.validate(MODEL, up, 100));
        assertEquals("upload tensor 'b' element 1 (of 3) is NaN; values must be finite", e.getMessage());
        up.get("b").data()[1] = 0;
        e = assertThrows(IllegalArgumentException.class, () -> StateValidator.validate(MODEL, up, 100));
        assertTrue(e.getMessage().contains("element 2") && e.getMessage().contains("Infinity"), e.getMessage());
    }

    @Test
    void refusesOversizedUpload() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateValidator.validate(MODEL, MODEL, 6));
        assertTrue(e.getMessage().contains("7 elements") && e.getMessage().contains("6"), e.getMessage());
    }
}
