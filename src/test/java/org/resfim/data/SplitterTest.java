package org.resfim.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SplitterTest {
    static final double[] R = {0.7, 0.1, 0.2};

    @Test
    void countsFollowTheRatios() {
        assertArrayEquals(new int[] {28, 4, 8}, Splitter.counts(40, R));
        assertArrayEquals(new int[] {11, 2, 3}, Splitter.counts(16, R));
        assertArrayEquals(new int[] {10, 1, 3}, Splitter.counts(14, R));
        assertArrayEquals(new int[] {70, 10, 20}, Splitter.counts(100, R));
        assertArrayEquals(new int[] {1, 0, 0}, Splitter.counts(1, R));
        assertArrayEquals(new int[] {1, 0, 1}, Splitter.counts(2, R));
        assertArrayEquals(new int[] {1, 1, 1}, Splitter.counts(3, R));
        assertArrayEquals(new int[] {18, 2, 0}, Splitter.counts(20, new double[] {0.875, 0.125, 0}));
    }

    static List<Splitter.Item> items(int patients, int perPatient) {
        List<Splitter.Item> it = new ArrayList<>();
        for (int p = 0; p < patients; p++) {
            for (int i = 0; i < perPatient; i++) {
                it.add(new Splitter.Item("p" + p + "/img" + i, "p" + p, null));
            }
        }
        return it;
    }

    @Test
    void patientsStayTogetherAndOrderDoesNotMatter() {
        List<Splitter.Item> it = items(30, 3);
        Map<String, Split> a = Splitter.assign(it, SplitRatios.DEFAULT, 0, "site");
        Map<Split, Integer> n = new EnumMap<>(Split.class);
        Map<String, Split> byPatient = new HashMap<>();
        for (Splitter.Item x : it) {
            Split s = a.get(x.id());
            n.merge(s, 1, Integer::sum);
            Split prev = byPatient.put(x.patientId(), s);
            assertTrue(prev == null || prev == s);
        }
        assertEquals(Map.of(Split.TRAIN, 63, Split.VAL, 9, Split.TEST, 18), n);
        List<Splitter.Item> shuffled = new ArrayList<>(it);
        Collections.shuffle(shuffled, new java.util.Random(4));
        Map<String, Split> b = Splitter.assign(shuffled, SplitRatios.DEFAULT, 0, "site");
        assertEquals(a, new HashMap<>(b).entrySet().stream().collect(java.util.stream.Collectors.toMap(
                Map.Entry::getKey, Map.Entry::getValue)));
        assertNotEquals(a, Splitter.assign(it, SplitRatios.DEFAULT, 1, "site"));
        assertNotEquals(a, Splitter.assign(it, SplitRatios.DEFAULT, 0, "other-site"));
    }

    @Test
    void officialSplitsAreKept() {
        List<Splitter.Item> it = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            it.add(new Splitter.Item("train/" + i, "train/" + i, Split.TRAIN));
            it.add(new Splitter.Item("test/" + i, "test/" + i, Split.TEST));
        }
        Map<String, Split> a = Splitter.assign(it, SplitRatios.DEFAULT, 0, "DRIVE");
        int val = 0;
        for (int i = 0; i < 20; i++) {
            assertEquals(Split.TEST, a.get("test/" + i));
            val += a.get("train/" + i) == Split.VAL ? 1 : 0;
        }
        assertEquals(2, val);
        // with official validation samples, official training samples all stay in training
        it.add(new Splitter.Item("val/0", "val/0", Split.VAL));
        Map<String, Split> b = Splitter.assign(it, SplitRatios.DEFAULT, 0, "DRIVE");
        for (int i = 0; i < 20; i++) {
            assertEquals(Split.TRAIN, b.get("train/" + i));
        }
        assertEquals(Split.VAL, b.get("val/0"));
    }
}
