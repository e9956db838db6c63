package org.resfim.report.html;

import org.resfim.report.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One table across runs: a row per run and method with the run's test Dice averaged over sites
 * (unweighted and weighted by test-set size, mean ± std over seeds), HD95, and the paired Dice difference
 * with the run's own reference method.
 */
public final class RunComparison {
    private record Row(String run, String method, ResultTable table, RunResults results) {
    }

    private final List<Row> rows = new ArrayList<>();

    private RunComparison() {
    }

    /** Reads every run; a missing, foreign or empty directory is refused with its name. */
    public static RunComparison of(List<Path> runDirs) {
        if (runDirs == null || runDirs.isEmpty()) {
            throw new IllegalArgumentException("no run directory given");
        }
        List<RunResults> runs = new ArrayList<>();
        for (Path d : runDirs) {
            runs.add(RunResults.read(d).requireResults());
        }
        Set<String> names = new HashSet<>();
        boolean unique = runs.stream().allMatch(r -> names.add(r.name()));
        RunComparison c = new RunComparison();
        for (RunResults r : runs) {
            ResultTable t = r.table();
            String label = unique ? r.name() : r.root().toString();
            for (String m : r.methods()) {
                c.rows.add(new Row(label, m, t, r));
            }
        }
        return c;
    }

    public String markdown() {
        StringBuilder sb = new StringBuilder("| run / method | sites | seeds | rounds | Dice avg | Dice weighted avg | HD95 avg (px) | ΔDice vs run reference [95% CI] |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String[] r : cells()) {
            sb.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        sb.append("\nDice in %: test images at each site's selected round, averaged over sites, mean ± std over seeds. "
                + "Δ: paired per-image Dice difference with the first method (or evaluation.reference) of the same run, in points.\n");
        return sb.toString();
    }

    public String csv() {
        StringBuilder sb = new StringBuilder("run,method,sites,seeds,rounds,dice_avg,dice_avg_std,dice_wavg,dice_wavg_std,hd95_avg,hd95_avg_std,"
                + "delta_dice_vs_reference,ci_low,ci_high,reference\n");
        for (Row r : rows) {
            ResultTable t = r.table();
            PairedStatistics.Result p = t.paired(r.method());
            boolean ref = r.method().equals(t.reference());
            sb.append(String.join(",", csvText(r.run()), csvText(r.method()), Integer.toString(t.sites().size()),
                    Integer.toString(r.results().seeds().size()), Integer.toString(r.results().rounds()),
                    num(t.average(r.method(), "avg", "dice")), num(t.averageStd(r.method(), "avg", "dice")),
                    num(t.average(r.method(), "wavg", "dice")), num(t.averageStd(r.method(), "wavg", "dice")),
                    num(t.average(r.method(), "avg", "hd95")), num(t.averageStd(r.method(), "avg", "hd95")),
                    ref ? "" : num(p.meanDifference()), ref ? "" : num(p.ciLow()), ref ? "" : num(p.ciHigh()), csvText(t.reference())))
                    .append('\n');
        }
        return sb.toString();
    }

    private List<String[]> cells() {
        List<String[]> out = new ArrayList<>();
        for (Row r : rows) {
            ResultTable t = r.table();
            String m = r.method();
            PairedStatistics.Result p = t.paired(m);
            String delta = m.equals(t.reference()) ? "(reference)" : p.n() == 0 ? "—"
                    : String.format(Locale.ROOT, "%+.2f [%+.2f, %+.2f]", 100 * p.meanDifference(), 100 * p.ciLow(), 100 * p.ciHigh());
            out.add(new String[] {r.run() + " / " + m, Integer.toString(t.sites().size()), Integer.toString(r.results().seeds().size()),
                    Integer.toString(r.results().rounds()), ResultTable.pm(t.average(m, "avg", "dice"), t.averageStd(m, "avg", "dice"), 100),
                    ResultTable.pm(t.average(m, "wavg", "dice"), t.averageStd(m, "wavg", "dice"), 100),
                    ResultTable.pm(t.average(m, "avg", "hd95"), t.averageStd(m, "avg", "hd95"), 1), delta});
        }
        return out;
    }

    private static String csvText(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v);
    }
}
