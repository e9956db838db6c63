package org.resfim.report;

import org.resfim.federation.ImageScore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Model selection of METHOD.md: for each run (method, seed, fold) and site, the round with the best mean
 * validation Dice among rounds ≥ {@code firstRound} (ties: the earliest), and that round's test scores.
 */
public final class Selection {
    private Selection() {
    }

    /** Identifies one site of one run. */
    public record Key(String method, long seed, int fold, String site) {
    }

    /** The selected round of a site and its test images' scores. */
    public record Selected(int round, double valDice, List<ImageScore> test) {
    }

    public static Map<Key, Selected> select(List<EvalRecord> records, int firstRound) {
        Map<Key, EvalRecord> best = new LinkedHashMap<>();
        List<EvalRecord> sorted = new ArrayList<>(records);
        sorted.sort(Comparator.comparingInt(EvalRecord::round));
        for (EvalRecord r : sorted) {
            if (r.round() < firstRound) {
                continue;
            }
            Key k = new Key(r.method(), r.seed(), r.fold(), r.site());
            EvalRecord cur = best.get(k);
            double v = r.valDice();
            if (cur == null || v > cur.valDice() || (Double.isNaN(cur.valDice()) && !Double.isNaN(v))) {
                best.put(k, r);
            }
        }
        Map<Key, Selected> out = new LinkedHashMap<>();
        best.forEach((k, r) -> out.put(k, new Selected(r.round(), r.valDice(), r.test())));
        return out;
    }
}
