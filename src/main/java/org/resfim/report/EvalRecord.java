package org.resfim.report;

import org.resfim.federation.ImageScore;

import java.util.List;

/**
 * One site's evaluation in one round of one run (method, seed, fold): the per-image scores of its
 * personalized model on val and test.
 */
public record EvalRecord(String method, long seed, int fold, int round, String site, List<ImageScore> scores) {

    public double mean(String split, java.util.function.ToDoubleFunction<ImageScore> metric) {
        double s = 0;
        int n = 0;
        for (ImageScore i : scores) {
            if (i.split().equals(split)) {
                s += metric.applyAsDouble(i);
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    public double valDice() {
        return mean("val", i -> i.metrics().dice());
    }

    /**
     * One round's evaluations as a progress line says them: {@code "mean val Dice 0.512"} over the sites that have
     * validation images ({@code "(2 of 4 sites with validation images)"} added when some have none), or
     * {@code "no validation images"} when none has.
     */
    public static String meanValDiceText(List<EvalRecord> round) {
        double sum = 0;
        int n = 0;
        for (EvalRecord r : round) {
            double v = r.valDice();
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        if (n == 0) {
            return "no validation images";
        }
        return String.format(java.util.Locale.ROOT, "mean val Dice %.3f", sum / n)
                + (n < round.size() ? " (" + n + " of " + round.size() + " sites with validation images)" : "");
    }

    public List<ImageScore> test() {
        return scores.stream().filter(s -> s.split().equals("test")).toList();
    }
}
