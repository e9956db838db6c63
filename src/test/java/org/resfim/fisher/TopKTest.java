package org.resfim.fisher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TopKTest {

    private static BitSet bits(int... idx) {
        BitSet b = new BitSet();
        for (int i : idx) {
            b.set(i);
        }
        return b;
    }

    @Test
    void handMadeCases() {
        assertEquals(bits(1, 3), TopK.select(new float[] {0.1f, 0.9f, 0.5f, 0.95f, 0.2f}, 2));
        assertEquals(bits(0, 1, 2), TopK.select(new float[] {7, 7, 7, 7, 7}, 3), "all equal: lowest indices");
        assertEquals(bits(1, 2, 3), TopK.select(new float[] {1, 5, 3, 3, 3, 0}, 3), "tie at the threshold");
        assertEquals(bits(0, 1), TopK.select(new float[] {0f, -0f, 0f, -0f}, 2), "-0.0 ties with 0.0");
        assertEquals(bits(0, 1), TopK.select(new float[] {-0f, 1f, 0f, -0f}, 2), "-0.0 at index 0 beats 0.0 at 2");
        assertEquals(bits(), TopK.select(new float[] {1, 2}, 0));
        assertEquals(bits(0, 1), TopK.select(new float[] {1, 2}, 5));
        assertEquals(bits(), TopK.select(new float[0], 1));
    }

    /** Against a stable sort by (score descending, index ascending), with many ties. */
    @Test
    void agreesWithSortingOnRandomInputs() {
        Random r = new Random(5);
        for (int rep = 0; rep < 300; rep++) {
            int n = 1 + r.nextInt(200);
            int levels = 1 + r.nextInt(6);
            float[] s = new float[n];
            for (int i = 0; i < n; i++) {
                s[i] = rep % 2 == 0 ? r.nextInt(levels) : r.nextFloat();
            }
            int k = r.nextInt(n + 1);
            Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -s[i]).thenComparingInt(i -> i));
            BitSet expect = new BitSet();
            for (int i = 0; i < k; i++) {
                expect.set(order[i]);
            }
            assertEquals(expect, TopK.select(s, k), "n=" + n + " k=" + k);
        }
    }

    /** resfim.ties = random: above the threshold nothing changes; among the tied the draw is seeded and unbiased. */
    @Test
    void randomTiesAreDrawnAmongTheTiedOnly() {
        // no tie at the threshold: the same set as lowest-index, and the draw is not touched
        Random untouched = new Random(3);
        assertEquals(bits(1, 3), TopK.select(new float[] {0.1f, 0.9f, 0.5f, 0.95f, 0.2f}, 2, untouched));
        assertEquals(new Random(3).nextLong(), untouched.nextLong(), "no choice needed: the random stream is not used");
        // all tied elements needed: taken without a draw
        Random all = new Random(4);
        assertEquals(bits(1, 2, 3, 4), TopK.select(new float[] {1, 5, 3, 3, 3, 0}, 4, all));
        assertEquals(new Random(4).nextLong(), all.nextLong());

        // index 4 (score 5) always; two of the four zeros; the same seed gives the same two
        float[] dead = {0, 0, 0, 0, 5};
        BitSet a = TopK.select(dead, 3, new Random(11));
        assertEquals(a, TopK.select(dead, 3, new Random(11)), "seeded");
        assertTrue(a.get(4));
        assertEquals(3, a.cardinality());
        // the documented draw, by hand: tied = [0,1,2,3]; place 0 takes tied[0 + r0], place 1 tied[1 + r1] of the rest
        Random r = new Random(11);
        int[] tied = {0, 1, 2, 3};
        BitSet expect = bits(4);
        for (int j = 0; j < 2; j++) {
            int q = j + r.nextInt(4 - j);
            int x = tied[q];
            tied[q] = tied[j];
            tied[j] = x;
            expect.set(x);
        }
        assertEquals(expect, a);

        // 20 dead elements (F = 0) of which 10 are needed: lowest-index takes the first half every time (a
        // structured bias toward the first channels); random takes each with probability 1/2
        float[] zeros = new float[20];
        assertEquals(bits(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), TopK.select(zeros, 10));
        int[] hits = new int[20];
        int draws = 4000;
        Random seeds = new Random(7);
        for (int d = 0; d < draws; d++) {
            BitSet b = TopK.select(zeros, 10, new Random(seeds.nextLong()));
            assertEquals(10, b.cardinality());
            b.stream().forEach(i -> hits[i]++);
        }
        for (int i = 0; i < 20; i++) {
            // binomial(4000, 0.5): sd 31.6; 5 sd
            assertEquals(draws / 2.0, hits[i], 160, "element " + i);
        }
    }
}
