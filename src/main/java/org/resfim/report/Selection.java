package org.resfim.report;

import org.resfim.federation.EvaluationSettings;
import org.resfim.federation.ImageScore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Model selection of METHOD.md over logged evaluations: for each run (method, seed, fold) and site, the round
 * {@link EvaluationSettings#replacesSelected} ends with — the best mean validation Dice among rounds ≥
 * {@code firstRound} (ties: the earliest), the last round for a site without validation images — and that
 * round's test scores. Sites select by the same rule as they train, so the table's round is the round of the
 * site's {@code selected-model} file.
 */
public final class Selection {
    private Selection() {
    }

    /** Identifies one site of one run. */
    public record Key(String method, long seed, int fold, String site) {
    }

    /** The selected round of a site and its test images' scores; {@code valDice} NaN: no validation images (last round). */
    public record Selected(int round, double valDice, List<ImageScore> test) {
        /** Selected as the last round because the site has no validation images. */
        public boolean lastRoundWithoutValidation() {
            return Double.isNaN(valDice);
        }
    }

    public static Map<Key, Selected> select(List<EvalRecord> records, int firstRound) {
        Map<Key, EvalRecord> best = new LinkedHashMap<>();
        List<EvalRecord> sorted = new ArrayList<>(records);
        sorted.sort(Comparator.comparingInt(EvalRecord::round));
        for (EvalRecord r : sorted) {
            Key k = new Key(r.method(), r.seed(), r.fold(), r.site());
            EvalRecord cur = best.get(k);
            if (EvaluationSettings.replacesSelected(r.round(), r.valDice(), firstRound, cur == null ? 0 : cur.round(),
                    cur == null ? Double.NaN : cur.valDice())) {
                best.put(k, r);
            }
        }
        Map<Key, Selected> out = new LinkedHashMap<>();
        best.forEach((k, r) -> out.put(k, new Selected(r.round(), r.valDice(), r.test())));
        return out;
    }
}
