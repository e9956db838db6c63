package org.resfim.federation;

import org.junit.jupiter.api.Test;
import org.resfim.config.ConfigException;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TrainingSettingsTest {

    @Test
    void learningRateIsHalvedEveryQuarterOfTheRounds() {
        TrainingSettings t = TrainingSettings.from(Map.of());
        assertEquals(1e-3, t.learningRate());
        assertEquals(5e-4, t.weightDecay());
        assertEquals(8, t.batchSize());
        // T = 20: every 5 rounds
        assertEquals(1e-3, t.learningRate(1, 20), 0);
        assertEquals(1e-3, t.learningRate(5, 20), 0);
        assertEquals(5e-4, t.learningRate(6, 20), 0);
        assertEquals(2.5e-4, t.learningRate(11, 20), 0);
        assertEquals(1.25e-4, t.learningRate(20, 20), 0);
        // T = 3: ⌊3/4⌋ = 0 → at least every round
        assertEquals(5e-4, t.learningRate(2, 3), 0);
    }

    @Test
    void valuesAreValidatedNamingTheKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> TrainingSettings.from(Map.of("lr", -1)));
        assertTrue(e.getMessage().contains("training.lr"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> TrainingSettings.from(Map.of("batch_size", "eight")));
        assertTrue(e.getMessage().contains("training.batch_size must be an integer"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> TrainingSettings.from(Map.of("local_epoch", 2)));
        assertTrue(e.getMessage().contains("did you mean 'training.local_epochs'"), e.getMessage());
    }
}
