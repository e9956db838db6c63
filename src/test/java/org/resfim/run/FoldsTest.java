package org.resfim.run;

import org.junit.jupiter.api.Test;
import org.resfim.data.Sample;
import org.resfim.data.SiteDataset;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class FoldsTest {

    static SiteDataset site(int patients, int imagesPerPatient) {
        List<Sample> all = new ArrayList<>();
        for (int p = 0; p < patients; p++) {
            for (int i = 0; i < imagesPerPatient; i++) {
                all.add(new Sample("p" + p + "/i" + i, "p" + p, new float[4], 1, 2, 2, new float[4], null, "test"));
            }
        }
        return new SiteDataset("S", all, List.of(), List.of(), null);
    }

    @Test
    void everyImageIsTestedExactlyOnceAndPatientsNeverCrossSplits() {
        SiteDataset s = site(13, 2);
        Map<String, Integer> tested = new HashMap<>();
        for (int f = 0; f < 5; f++) {
            SiteDataset fold = Folds.split(s, f, 5, 42);
            assertEquals(26, fold.size());
            fold.test().forEach(x -> tested.merge(x.id(), 1, Integer::sum));
            Set<String> tr = new HashSet<>();
            fold.train().forEach(x -> tr.add(x.patientId()));
            fold.val().forEach(x -> assertFalse(tr.contains(x.patientId())));
            fold.test().forEach(x -> assertFalse(tr.contains(x.patientId())));
            assertFalse(fold.val().isEmpty());
        }
        assertEquals(26, tested.size());
        assertTrue(tested.values().stream().allMatch(n -> n == 1));
    }

    @Test
    void tooFewPatientsForTheFoldsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Folds.split(site(3, 1), 0, 5, 0));
        assertTrue(e.getMessage().contains("evaluation.folds"), e.getMessage());
    }
}
