package org.resfim.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The one "did you mean": typos, other spellings, abbreviations, a name inside a longer one, synonyms. */
class SuggestTest {
    static final List<String> TRAINING = List.of("lr", "weight_decay", "batch_size", "local_epochs", "lr_decay", "lr_decay_every");

    @Test
    void typosAndOtherSpellings() {
        assertEquals("local_epochs", Suggest.nearest("local_epoch", TRAINING));
        assertEquals("weight_decay", Suggest.nearest("weight-decay", TRAINING));
        assertEquals("weight_decay", Suggest.nearest("weightDecay", TRAINING));
        assertEquals("batch_size", Suggest.nearest("BatchSize", TRAINING));
        assertEquals("rounds", Suggest.nearest("round", List.of("rounds", "sample_fraction", "min_sites", "offload_sites")));
    }

    @Test
    void abbreviationsAndNamesInsideLongerOnes() {
        assertEquals("lr", Suggest.nearest("learning_rate", TRAINING));
        assertEquals("lr", Suggest.nearest("learningRate", TRAINING));
        assertEquals("batch_size", Suggest.nearest("bs", TRAINING));
        assertEquals("local_epochs", Suggest.nearest("epochs", TRAINING));
        assertEquals("batch_size", Suggest.nearest("batch", TRAINING));
        assertEquals("rounds", Suggest.nearest("num_rounds", List.of("rounds", "sample_fraction", "min_sites")));
        assertEquals("sites", Suggest.nearest("clients", List.of("samples", "sites", "size", "seed")));
    }

    @Test
    void nothingWhenNothingIsClose() {
        assertNull(Suggest.nearest("completely-different", TRAINING));
        assertNull(Suggest.nearest("x", List.of("m", "p", "beta")));
        assertNull(Suggest.nearest("momentum", TRAINING));
    }
}
