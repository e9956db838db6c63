package org.resfim.run;

import org.resfim.data.Sample;
import org.resfim.data.SiteDataset;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * k-fold evaluation: a site's images are grouped by patient, the patients shuffled (seeded) and dealt into
 * k folds; fold f is the test set, and of the remaining patients one in eight (at least one) validates.
 * Every image of a site is tested exactly once across the k folds.
 */
public final class Folds {
    private Folds() {
    }

    public static List<SiteDataset> split(List<SiteDataset> sites, int fold, int k, long seed) {
        List<SiteDataset> out = new ArrayList<>();
        for (SiteDataset s : sites) {
            out.add(split(s, fold, k, seed));
        }
        return out;
    }

    public static SiteDataset split(SiteDataset site, int fold, int k, long seed) {
        Map<String, List<Sample>> byPatient = new LinkedHashMap<>();
        for (Sample s : site.all()) {
            byPatient.computeIfAbsent(s.patientId(), x -> new ArrayList<>()).add(s);
        }
        if (byPatient.size() < k) {
            throw new IllegalArgumentException("site '" + site.name() + "' has " + byPatient.size() + " patients, fewer than evaluation.folds = " + k);
        }
        List<String> patients = new ArrayList<>(byPatient.keySet());
        SplittableRandom r = new SplittableRandom(seed * 31 + site.name().hashCode());
        for (int i = patients.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            String t = patients.get(i);
            patients.set(i, patients.get(j));
            patients.set(j, t);
        }
        List<Sample> train = new ArrayList<>();
        List<Sample> val = new ArrayList<>();
        List<Sample> test = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < patients.size(); i++) {
            if (i % k == fold) {
                test.addAll(byPatient.get(patients.get(i)));
            } else {
                rest.add(patients.get(i));
            }
        }
        int nVal = Math.max(1, rest.size() / 8);
        for (int i = 0; i < rest.size(); i++) {
            (i < nVal ? val : train).addAll(byPatient.get(rest.get(i)));
        }
        return new SiteDataset(site.name(), train, val, test, site.manifest());
    }
}
