package org.resfim.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BatchesTest {
    /**
     * The order is pinned: local training's epochs, FedALA's sample and pFL-ResFIM's Fisher samples all draw
     * through it, so a change here changes every seeded result.
     */
    @Test
    void theSeededShuffleIsPinned() {
        List<Integer> xs = List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertEquals(List.of(1, 5, 0, 4, 2, 8, 7, 3, 9, 6), Batches.shuffled(xs, new SplittableRandom(7)));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), xs, "the input is not touched");
        assertEquals(List.of(), Batches.shuffled(List.of(), new SplittableRandom(7)));
    }

    @Test
    void chunksKeepTheOrderAndTheLastOneIsShorter() {
        assertEquals(List.of(List.of(1, 2, 3), List.of(4, 5, 6), List.of(7)), Batches.chunks(List.of(1, 2, 3, 4, 5, 6, 7), 3));
        assertEquals(List.of(), Batches.chunks(List.of(), 3));
        assertThrows(IllegalArgumentException.class, () -> Batches.chunks(List.of(1), 0));
    }
}
