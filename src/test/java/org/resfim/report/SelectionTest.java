package org.resfim.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.resfim.report.ResultTableTest.rec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.resfim.federation.EvaluationSettings;

/**
 * The one selection rule ({@link EvaluationSettings#replacesSelected}), as the result tables apply it and as each site
 * applies it while training (SiteParticipant calls the same rule round by round): a NaN validation Dice is never
 * selected over a round that has one, and a tie keeps the earliest round.
 */
class SelectionTest {
    private static Selection.Selected selectedOf(double[] valByRound, int firstRound) {
        List<EvalRecord> r = new ArrayList<>();
        for (int round = valByRound.length; round >= 1; round--) { // offered out of order: select sorts them
            r.add(rec("A", 0, round, "X", valByRound[round - 1], 0.5));
        }
        Map<Selection.Key, Selection.Selected> s = Selection.select(r, firstRound);
        assertEquals(1, s.size());
        return s.values().iterator().next();
    }

    /** The round a site selects while it trains, offering the rounds one by one as SiteParticipant does. */
    private static int selectedWhileTraining(double[] valByRound, int firstRound) {
        int best = 0;
        double bestVal = Double.NEGATIVE_INFINITY;
        for (int round = 1; round <= valByRound.length; round++) {
            if (EvaluationSettings.replacesSelected(round, valByRound[round - 1], firstRound, best, bestVal)) {
                best = round;
                bestVal = valByRound[round - 1];
            }
        }
        return best;
    }

    @Test
    void nanIsNeverSelectedOverARoundWithADiceAndTiesKeepTheEarliestRound() {
        double nan = Double.NaN;
        double[][] cases = {
            {nan, 0.5, nan, 0.5, 0.4},   // NaN first, then a Dice: the Dice; the tie at round 4 keeps round 2
            {0.5, nan, nan},             // NaN after a Dice never replaces it
            {0.3, 0.6, nan, 0.6, nan},   // the best, earliest of the tie, NaNs around it
            {0.9, 0.2, 0.7},             // not eligible before round 2: round 1's 0.9 does not count
        };
        int[] expected = {2, 1, 2, 3};
        int[] firstRound = {1, 1, 1, 2};
        for (int i = 0; i < cases.length; i++) {
            Selection.Selected s = selectedOf(cases[i], firstRound[i]);
            assertEquals(expected[i], s.round(), "case " + i);
            assertFalse(Double.isNaN(s.valDice()), "case " + i);
            assertFalse(s.lastRoundWithoutValidation());
            assertEquals(expected[i], selectedWhileTraining(cases[i], firstRound[i]), "case " + i + " while training");
        }
    }

    @Test
    void aSiteWithoutAnyValidationDiceEndsWithItsLastRound() {
        double[] none = {Double.NaN, Double.NaN, Double.NaN};
        Selection.Selected s = selectedOf(none, 2);
        assertEquals(3, s.round());
        assertTrue(s.lastRoundWithoutValidation());
        assertEquals(3, selectedWhileTraining(none, 2));
    }
}
