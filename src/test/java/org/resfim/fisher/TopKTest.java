package org.resfim.fisher;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
