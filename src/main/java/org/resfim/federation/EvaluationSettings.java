package org.resfim.federation;

import org.resfim.config.ConfigException;
import org.resfim.config.ConfigKey;
import org.resfim.config.Origin;
import org.resfim.config.Section;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The evaluation protocol of METHOD.md: each round every site's personalized model is validated; the
 * reported test score of a site is the one at its best validation round after {@code select_after}·T.
 */
public record EvaluationSettings(double selectAfter, int folds, String reference, int bootstrap) {
    public static final List<ConfigKey> KEYS = List.of(
            new ConfigKey("evaluation", "select_after", 0.5, "a site's test score is taken at its best validation round > select_after·T (METHOD.md: T/2); at its last round when it has no validation images"),
            new ConfigKey("evaluation", "folds", 1, "1 = the 70/10/20 split; k > 1 = k-fold: every image of a site is tested exactly once across folds"),
            new ConfigKey("evaluation", "reference", "", "method every row is compared with (paired per-image Dice); empty = the first method"),
            new ConfigKey("evaluation", "bootstrap", 2000, "bootstrap resamples for the 95% confidence interval of the paired Dice difference"));

    public static EvaluationSettings from(Map<String, Object> section) {
        return from(section, Origin.NONE);
    }

    /** The {@code evaluation:} section; errors name {@code origin}'s file, or the option that set a key. */
    public static EvaluationSettings from(Map<String, Object> section, Origin origin) {
        Section s = new Section("evaluation", section, KEYS, origin);
        return new EvaluationSettings(s.getDouble("select_after", 0, 1, true, false), s.getInt("folds", 1, 100),
                s.getString("reference"), s.getInt("bootstrap", 100, 1_000_000));
    }

    /**
     * The model-selection rule of the evaluation protocol, the one both selections apply: each site as it trains
     * (its {@code selected-model} file, {@link SiteParticipant}) and the result tables from the evaluations logged
     * ({@code report.Selection}). Rounds are offered in order; a round replaces the site's selected round when it
     * is eligible (≥ {@code firstSelectableRound}) and its mean validation Dice is higher (ties keep the earlier
     * round). A NaN Dice is never selected over a round that has one: it does not replace a selected round with a
     * Dice, and a round with a Dice replaces a selected NaN. A site without validation images (Dice NaN every round)
     * has nothing to select on: every eligible round replaces the one before, so it ends with its last round ("last
     * round: no validation images"). {@code SelectionTest} pins NaN and ties.
     *
     * @param round         the round offered
     * @param valDice       its mean validation Dice, NaN when the site has no validation images
     * @param selectedRound the round selected so far, 0 when none
     * @param selectedVal   that round's mean validation Dice
     */
    public static boolean replacesSelected(int round, double valDice, int firstSelectableRound, int selectedRound, double selectedVal) {
        if (round < firstSelectableRound) {
            return false;
        }
        if (selectedRound == 0) {
            return true;
        }
        if (Double.isNaN(selectedVal)) {
            return round > selectedRound;
        }
        return valDice > selectedVal;
    }

    /** The first round eligible for model selection: rounds r with r > ⌊select_after·T⌋. */
    public int firstSelectableRound(int rounds) {
        return (int) Math.floor(selectAfter * rounds) + 1;
    }

    public void validate(int rounds) {
        validate(rounds, Origin.NONE);
    }

    /**
     * Checks that {@code rounds} leave a round to select models from after {@code select_after}·T; the
     * message names both settings where they were written ({@code origin}: the file, or {@code --rounds}).
     */
    public void validate(int rounds, Origin origin) {
        String sa = origin.quote("evaluation.select_after", Section.num(selectAfter));
        String t = origin.quote("federation.rounds", rounds);
        String fix = selectAfter > 0 ? " or evaluation.select_after = 0" : "";
        if (rounds < 1) {
            throw origin.badValue("federation", "rounds", "must be at least 1, got " + rounds);
        }
        if (selectAfter > 0 && Math.floor(selectAfter * rounds) < 1) {
            throw new ConfigException(sa + " with " + t + ": selecting in the later part of training needs an earlier part to skip (at least "
                    + (int) Math.ceil(1 / selectAfter) + " rounds)," + fix);
        }
        if (firstSelectableRound(rounds) > rounds) {
            throw new ConfigException(sa + " with " + t + " leaves no round to select a model from (need a round > "
                    + (int) Math.floor(selectAfter * rounds) + "); use more rounds" + fix);
        }
    }

    /** The settings under their configuration keys, as a configuration file writes them. */
    public Map<String, Object> toConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("select_after", selectAfter);
        m.put("folds", folds);
        m.put("reference", reference);
        m.put("bootstrap", bootstrap);
        return m;
    }

    public EvaluationSettings withFolds(int k) {
        return new EvaluationSettings(selectAfter, k, reference, bootstrap);
    }
}
