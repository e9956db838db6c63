package org.resfim.report;

import org.junit.jupiter.api.Test;
import org.resfim.federation.EvaluationSettings;
import org.resfim.federation.ImageScore;
import org.resfim.metrics.MetricSummary;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ResultTableTest {

    static ImageScore img(String split, String id, double dice) {
        return new ImageScore(split, id, new MetricSummary(dice, dice / 2, dice, 1 - dice / 10, 10 * (1 - dice)));
    }

    /** A site's round: one val image and its test images. */
    static EvalRecord rec(String m, long seed, int round, String site, double val, double... test) {
        List<ImageScore> s = new ArrayList<>();
        s.add(img("val", site + "/v", val));
        for (int i = 0; i < test.length; i++) {
            s.add(img("test", site + "/t" + i, test[i]));
        }
        return new EvalRecord(m, seed, 0, round, site, s);
    }

    @Test
    void selectsTheBestValidationRoundInTheSecondHalfAndAveragesAsSpecified() {
        List<EvalRecord> r = new ArrayList<>();
        // T = 4, select rounds ≥ 3. Method A, site X: round 2 has the best val but is too early.
        r.add(rec("A", 0, 1, "X", 0.1, 0.0));
        r.add(rec("A", 0, 2, "X", 0.9, 0.0));
        r.add(rec("A", 0, 3, "X", 0.5, 0.6));
        r.add(rec("A", 0, 4, "X", 0.4, 0.9));
        // site Y has 3 test images; rounds 3 and 4 tie on val → the earlier round (3) is selected
        r.add(rec("A", 0, 3, "Y", 0.7, 0.2, 0.4, 0.6));
        r.add(rec("A", 0, 4, "Y", 0.7, 1.0, 1.0, 1.0));
        // method B
        r.add(rec("B", 0, 3, "X", 0.2, 0.5));
        r.add(rec("B", 0, 4, "X", 0.3, 0.7));
        r.add(rec("B", 0, 3, "Y", 0.8, 0.3, 0.5, 0.9));
        r.add(rec("B", 0, 4, "Y", 0.1, 0.0, 0.0, 0.0));
        ResultTable t = new ResultTable(r, List.of("A", "B"), List.of("X", "Y"), List.of(0L), 3, "", 1000);
        assertEquals("A", t.reference());
        assertEquals(0.6, t.siteMean("A", "X", "dice"), 1e-12);
        assertEquals(0.4, t.siteMean("A", "Y", "dice"), 1e-12);
        assertEquals(0.5, t.average("A", "avg", "dice"), 1e-12);           // (0.6 + 0.4)/2
        assertEquals((1 * 0.6 + 3 * 0.4) / 4, t.average("A", "wavg", "dice"), 1e-12);
        assertEquals(0.7, t.siteMean("B", "X", "dice"), 1e-12);            // round 4 (val 0.3)
        assertEquals((0.3 + 0.5 + 0.9) / 3, t.siteMean("B", "Y", "dice"), 1e-12);
        // paired per image: X: 0.7−0.6; Y: 0.1, 0.1, 0.3 → mean 0.15
        assertEquals((0.1 + 0.1 + 0.1 + 0.3) / 4, t.paired("B").meanDifference(), 1e-12);
        assertEquals(4, t.paired("B").n());
        assertEquals(0.0, t.siteStd("A", "X", "dice"), 0);
        assertEquals(10 * (1 - 0.6), t.siteMean("A", "X", "hd95"), 1e-12);
        String md = t.markdown();
        assertTrue(md.contains("| A | 60.00 | 40.00 | 50.00 |"), "one seed: no ± (it would always read 0.00)\n" + md);
        assertFalse(md.contains("±"), md);
        assertEquals(1, md.split("one seed", -1).length - 1, "'one seed' said once:\n" + md);
        assertFalse(t.html().contains("±"), t.html());
        assertTrue(t.html().contains("selected round, one seed</caption>"), t.html());
        assertTrue(md.contains("+15.00"), md);
        assertTrue(t.csv().contains("B,X,dice,0.7,0,1,"), t.csv());
        assertTrue(t.latex().contains("& 60.00 & 40.00 & 50.00 &"), t.latex());
    }

    @Test
    void meanAndPopulationStdOverSeeds() {
        List<EvalRecord> r = new ArrayList<>();
        r.add(rec("A", 0, 2, "X", 0.5, 0.6));
        r.add(rec("A", 1, 2, "X", 0.5, 0.8));
        ResultTable t = new ResultTable(r, List.of("A"), List.of("X"), List.of(0L, 1L), 2, "", 1000);
        assertEquals(0.7, t.siteMean("A", "X", "dice"), 1e-12);
        assertEquals(0.1, t.siteStd("A", "X", "dice"), 1e-12);
        assertTrue(t.markdown().contains("| A | 70.00 ± 10.00 |"), t.markdown());
        assertTrue(t.markdown().contains("mean ± std over 2 seeds."), t.markdown());
        assertTrue(t.latex().contains("70.00 $\\pm$ 10.00"), t.latex());
        assertTrue(t.html().contains("<td>70.00 ± 10.00</td>"), t.html());
    }

    @Test
    void aSiteWithoutASelectableRoundIsShownAsMissing() {
        List<EvalRecord> r = new ArrayList<>();
        r.add(rec("A", 0, 1, "X", 0.5, 0.6)); // site X died before the second half
        r.add(rec("A", 0, 2, "Y", 0.5, 0.8));
        ResultTable t = new ResultTable(r, List.of("A"), List.of("X", "Y"), List.of(0L), 2, "", 1000);
        assertTrue(Double.isNaN(t.siteMean("A", "X", "dice")));
        assertEquals(0.8, t.siteMean("A", "Y", "dice"), 1e-12);
        assertTrue(Double.isNaN(t.average("A", "avg", "dice")), "no average over an incomplete set of sites");
        assertTrue(t.markdown().contains("| A | — | 80.00 |"), t.markdown());
    }

    /** A site's round without validation images: test images only. */
    static EvalRecord noVal(String m, int round, String site, double... test) {
        List<ImageScore> s = new ArrayList<>();
        for (int i = 0; i < test.length; i++) {
            s.add(img("test", site + "/t" + i, test[i]));
        }
        return new EvalRecord(m, 0, 0, round, site, s);
    }

    @Test
    void aSiteWithoutValidationImagesIsTakenAtItsLastRoundAndSaysSo() {
        List<EvalRecord> r = new ArrayList<>();
        // T = 4, selection from round 3; Z has no validation images: round 4, its last, not the first eligible round
        // (3, which the table used to take) nor the one with the best test score
        for (int round = 1; round <= 4; round++) {
            r.add(rec("A", 0, round, "X", 0.1 * round, 0.2 * round));
            r.add(noVal("A", round, "Z", new double[] {0.9, 0.1, 0.95, 0.3}[round - 1]));
        }
        ResultTable t = new ResultTable(r, List.of("A"), List.of("X", "Z"), List.of(0L), 3, "", 1000);
        assertEquals(0.3, t.siteMean("A", "Z", "dice"), 1e-12);
        assertEquals(4.0, t.selectedRounds().get("A").get("Z"), 0);
        assertEquals(4.0, t.selectedRounds().get("A").get("X"), 0);
        assertEquals(List.of("Z"), t.sitesWithoutValidation());
        assertEquals("Z: last round: no validation images", t.selectionNote());
        assertTrue(t.markdown().contains("test images at each site's best validation round after the first half of training"
                + " (Z: last round: no validation images); one seed."), t.markdown());
        // every site with validation images: no note
        ResultTable only = new ResultTable(r.stream().filter(e -> e.site().equals("X")).toList(), List.of("A"), List.of("X"), List.of(0L), 3, "", 1000);
        assertEquals("", only.selectionNote());
        assertFalse(only.markdown().contains("no validation images"), only.markdown());
    }

    @Test
    void theSelectionRule() {
        // not eligible before the first selectable round, whatever the Dice
        assertFalse(EvaluationSettings.replacesSelected(2, 0.9, 3, 0, Double.NaN));
        assertTrue(EvaluationSettings.replacesSelected(3, 0.1, 3, 0, Double.NaN), "the first eligible round is selected");
        assertTrue(EvaluationSettings.replacesSelected(4, 0.6, 3, 3, 0.5));
        assertFalse(EvaluationSettings.replacesSelected(4, 0.5, 3, 3, 0.5), "a tie keeps the earlier round");
        assertFalse(EvaluationSettings.replacesSelected(4, 0.4, 3, 3, 0.5));
        // no validation images: each later round replaces the one before
        assertTrue(EvaluationSettings.replacesSelected(4, Double.NaN, 3, 3, Double.NaN));
        assertFalse(EvaluationSettings.replacesSelected(3, Double.NaN, 3, 4, Double.NaN));
        // what a site resumed from an older state (no round selected, -∞) does
        assertTrue(EvaluationSettings.replacesSelected(5, Double.NaN, 3, 0, Double.NEGATIVE_INFINITY));
    }

    @Test
    void theProgressTextOfARound() {
        assertEquals("mean val Dice 0.500", EvalRecord.meanValDiceText(List.of(rec("A", 0, 1, "X", 0.4), rec("A", 0, 1, "Y", 0.6))));
        assertEquals("mean val Dice 0.400 (1 of 2 sites with validation images)",
                EvalRecord.meanValDiceText(List.of(rec("A", 0, 1, "X", 0.4), noVal("A", 1, "Z", 0.6))));
        assertEquals("no validation images", EvalRecord.meanValDiceText(List.of(noVal("A", 1, "Z", 0.6), noVal("A", 1, "W"))));
    }
}
