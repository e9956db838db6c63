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

    public List<ImageScore> test() {
        return scores.stream().filter(s -> s.split().equals("test")).toList();
    }
}
