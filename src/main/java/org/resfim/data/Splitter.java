package org.resfim.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Seeded train/validation/test assignment by patient (by image where each image is its own patient).
 *
 * <ul>
 *   <li>Samples with a declared official split keep it. When official training samples exist and no official
 *       validation samples, validation patients are drawn from the official training patients with the fraction
 *       val / (train + val).</li>
 *   <li>Undeclared samples are split by patient with the ratios. Counts come from the largest-remainder method
 *       (ties to train, then val, then test); with at least 2 patients a part with a positive ratio gets at
 *       least one, taken from train.</li>
 *   <li>The shuffle depends on the seed and the site name only, not on file system order.</li>
 * </ul>
 */
public final class Splitter {
    private Splitter() {
    }

    /** A sample to assign: its id, patient and declared split (null if none). */
    public record Item(String id, String patientId, Split official) {
    }

    /** Split per sample id. */
    public static Map<String, Split> assign(List<Item> items, SplitRatios ratios, long seed, String siteName) {
        Map<String, Split> out = new LinkedHashMap<>();
        TreeMap<String, List<Item>> free = new TreeMap<>();
        TreeMap<String, List<Item>> officialTrain = new TreeMap<>();
        boolean officialVal = false;
        for (Item it : items) {
            if (it.official() == null) {
                free.computeIfAbsent(it.patientId(), k -> new ArrayList<>()).add(it);
            } else if (it.official() == Split.TRAIN) {
                officialTrain.computeIfAbsent(it.patientId(), k -> new ArrayList<>()).add(it);
            } else {
                officialVal |= it.official() == Split.VAL;
                out.put(it.id(), it.official());
            }
        }
        Random rng = new Random(mix(seed, siteName));
        // undeclared: train/val/test by ratios
        assignGroups(free, new double[] {ratios.train(), ratios.val(), ratios.test()}, rng, out);
        // official training: keep, or draw validation from it
        if (officialVal || ratios.val() == 0) {
            for (List<Item> g : officialTrain.values()) {
                for (Item it : g) {
                    out.put(it.id(), Split.TRAIN);
                }
            }
        } else {
            double tv = ratios.train() + ratios.val();
            assignGroups(officialTrain, new double[] {ratios.train() / tv, ratios.val() / tv, 0}, rng, out);
        }
        return out;
    }

    private static void assignGroups(TreeMap<String, List<Item>> groups, double[] ratios, Random rng,
                                     Map<String, Split> out) {
        if (groups.isEmpty()) {
            return;
        }
        List<String> patients = new ArrayList<>(groups.keySet());
        Collections.shuffle(patients, rng);
        int[] n = counts(patients.size(), ratios);
        Split[] parts = {Split.TRAIN, Split.VAL, Split.TEST};
        int p = 0;
        for (int k = 0; k < 3; k++) {
            for (int i = 0; i < n[k]; i++, p++) {
                for (Item it : groups.get(patients.get(p))) {
                    out.put(it.id(), parts[k]);
                }
            }
        }
    }

    /** Patients per part for {@code n} patients: largest remainder, then at least one per positive part. */
    static int[] counts(int n, double[] ratios) {
        int[] c = new int[3];
        double[] rem = new double[3];
        int used = 0;
        for (int k = 0; k < 3; k++) {
            double ideal = n * ratios[k];
            c[k] = (int) Math.floor(ideal + 1e-9);
            rem[k] = ideal - c[k];
            used += c[k];
        }
        while (used < n) {
            int best = 0;
            for (int k = 1; k < 3; k++) {
                if (rem[k] > rem[best] + 1e-9) {
                    best = k;
                }
            }
            c[best]++;
            rem[best] = -1;
            used++;
        }
        for (int k : new int[] {2, 1}) {
            if (ratios[k] > 0 && c[k] == 0 && c[0] > 1) {
                c[k]++;
                c[0]--;
            }
        }
        return c;
    }

    static long mix(long seed, String name) {
        long h = seed * 0x9E3779B97F4A7C15L + name.hashCode();
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }
}
