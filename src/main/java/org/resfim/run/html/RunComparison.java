package org.resfim.run.html;

import org.resfim.report.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One table across runs: a row per run and method with the run's test Dice averaged over sites
 * (unweighted and weighted by test-set size, mean ± std over seeds), HD95, and the paired Dice difference
 * with the run's own reference method.
 */
public final class RunComparison {
    /** One table row; {@code key} is the method's name in {@code table}. */
    private record Row(String run, String method, String key, ResultTable table, RunResults results) {
    }

    private final List<Row> rows = new ArrayList<>();
    private String referenceLabel;

    private RunComparison() {
    }

    /** Reads every run; a missing, foreign or empty directory is refused with its name. */
    public static RunComparison of(List<Path> runDirs) {
        return of(runDirs, null);
    }

    /**
     * As {@link #of(List)}, but with {@code reference} ({@code METHOD}, or {@code RUN/METHOD} where several runs
     * have it; RUN is the directory's name) every row of every run is paired with that one method, image by
     * image. Runs can only be paired when they tested the same images with the same model-selection window:
     * same sites, seeds, folds, first selectable round and identical split manifests; a run that differs is
     * refused, naming it and what differs.
     */
    public static RunComparison of(List<Path> runDirs, String reference) {
        if (reference == null || reference.isBlank()) {
            return perRun(runDirs);
        }
        List<RunResults> runs = readAll(runDirs);
        List<String> labels = labels(runs);
        int slash = reference.lastIndexOf('/');
        String refMethod = slash >= 0 ? reference.substring(slash + 1) : reference;
        String refRun = slash >= 0 ? reference.substring(0, slash) : null;
        int at = -1;
        for (int i = 0; i < runs.size() && at < 0; i++) {
            boolean runMatches = refRun == null || refRun.equals(labels.get(i)) || refRun.equals(runs.get(i).name());
            if (runMatches && runs.get(i).methods().contains(refMethod)) {
                at = i;
            }
        }
        if (at < 0) {
            List<String> have = new ArrayList<>();
            for (int i = 0; i < runs.size(); i++) {
                for (String m : runs.get(i).methods()) {
                    have.add(labels.get(i) + "/" + m);
                }
            }
            throw new IllegalArgumentException("--reference " + reference + ": no run given has that method; the runs have " + have);
        }
        RunResults ref = runs.get(at);
        List<EvalRecord> records = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        RunComparison c = new RunComparison();
        for (int i = 0; i < runs.size(); i++) {
            RunResults r = runs.get(i);
            requirePairable(ref, r);
            String label = labels.get(i);
            for (EvalRecord e : r.records()) {
                records.add(new EvalRecord(key(label, e.method()), e.seed(), e.fold(), e.round(), e.site(), e.scores()));
            }
            for (String m : r.methods()) {
                keys.add(key(label, m));
            }
        }
        c.referenceLabel = key(labels.get(at), refMethod);
        ResultTable merged = new ResultTable(records, keys, ref.sites(), ref.seeds(), ref.evaluation().firstSelectableRound(ref.rounds()),
                c.referenceLabel, ref.evaluation().bootstrap());
        for (int i = 0; i < runs.size(); i++) {
            for (String m : runs.get(i).methods()) {
                c.rows.add(new Row(labels.get(i), m, key(labels.get(i), m), merged, runs.get(i)));
            }
        }
        return c;
    }

    /** A method's name in a table merged across runs (and its row label). */
    private static String key(String runLabel, String method) {
        return runLabel + " / " + method;
    }

    private static void requirePairable(RunResults ref, RunResults r) {
        String what = null;
        if (!ref.sites().equals(r.sites())) {
            what = "sites " + r.sites() + " vs " + ref.sites();
        } else if (!ref.seeds().equals(r.seeds())) {
            what = "seeds " + r.seeds() + " vs " + ref.seeds();
        } else if (ref.folds() != r.folds()) {
            what = "folds " + r.folds() + " vs " + ref.folds();
        } else if (ref.evaluation().firstSelectableRound(ref.rounds()) != r.evaluation().firstSelectableRound(r.rounds())) {
            what = "model selection from round " + r.evaluation().firstSelectableRound(r.rounds()) + " vs "
                    + ref.evaluation().firstSelectableRound(ref.rounds()) + " (rounds " + r.rounds() + " vs " + ref.rounds() + ")";
        } else {
            what = manifestDifference(ref.root().resolve("manifests"), r.root().resolve("manifests"));
        }
        if (what != null) {
            throw new IllegalArgumentException("run " + r.root() + " cannot be paired image by image with the reference run " + ref.root()
                    + ": its " + what);
        }
    }

    /** Null when both folders hold the same split manifests byte for byte, else what differs. */
    private static String manifestDifference(Path a, Path b) {
        try {
            List<String> na = names(a);
            List<String> nb = names(b);
            if (!na.equals(nb)) {
                return "split manifests " + nb + " vs " + na;
            }
            for (String n : na) {
                if (Files.mismatch(a.resolve(n), b.resolve(n)) != -1) {
                    return "split manifest " + n + " differs (other images or another split)";
                }
            }
            return null;
        } catch (IOException e) {
            return "split manifests cannot be read: " + e.getMessage();
        }
    }

    private static List<String> names(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static List<RunResults> readAll(List<Path> runDirs) {
        if (runDirs == null || runDirs.isEmpty()) {
            throw new IllegalArgumentException("no run directory given");
        }
        List<RunResults> runs = new ArrayList<>();
        for (Path d : runDirs) {
            runs.add(RunResults.read(d).requireResults());
        }
        return runs;
    }

    /** Each run's directory name, or its whole path when two runs share a name. */
    private static List<String> labels(List<RunResults> runs) {
        Set<String> names = new HashSet<>();
        boolean unique = runs.stream().allMatch(r -> names.add(r.name()));
        return runs.stream().map(r -> unique ? r.name() : r.root().toString()).toList();
    }

    private static RunComparison perRun(List<Path> runDirs) {
        List<RunResults> runs = readAll(runDirs);
        List<String> labels = labels(runs);
        RunComparison c = new RunComparison();
        for (int i = 0; i < runs.size(); i++) {
            RunResults r = runs.get(i);
            ResultTable t = r.table();
            for (String m : r.methods()) {
                c.rows.add(new Row(labels.get(i), m, m, t, r));
            }
        }
        return c;
    }

    public String markdown() {
        String delta = referenceLabel == null ? "ΔDice vs run reference [95% CI]" : "ΔDice vs " + referenceLabel + " [95% CI]";
        StringBuilder sb = new StringBuilder("| run / method | sites | seeds | rounds | Dice avg | Dice weighted avg | HD95 avg (px) | " + delta
                + " | p (Wilcoxon) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String[] r : cells()) {
            sb.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        boolean oneSeedEach = rows.stream().allMatch(r -> r.results().seeds().size() == 1);
        sb.append("\nDice in %: test images at each site's selected round, averaged over sites, " + (oneSeedEach ? "one seed per run"
                : "mean ± std over the seeds of each run (no ± for a run of one seed)") + ". Δ: paired per-image "
                + "Dice difference, in points, with " + (referenceLabel == null ? "the first method (or evaluation.reference) of the same run"
                : referenceLabel + " on the same images") + "; p: Wilcoxon signed-rank test of the same pairs.\n");
        java.util.Set<RunResults> seen = new java.util.LinkedHashSet<>();
        rows.forEach(r -> seen.add(r.results()));
        for (RunResults r : seen) {
            String missing = r.missingNote();
            if (missing != null) {
                sb.append("\n").append(r.name()).append(": ").append(missing).append(".\n");
            }
        }
        return sb.toString();
    }

    public String csv() {
        StringBuilder sb = new StringBuilder("run,method,sites,seeds,rounds,dice_avg,dice_avg_std,dice_wavg,dice_wavg_std,hd95_avg,hd95_avg_std,"
                + "delta_dice_vs_reference,ci_low,ci_high,wilcoxon_p,reference\n");
        for (Row r : rows) {
            ResultTable t = r.table();
            PairedStatistics.Result p = t.paired(r.key());
            boolean ref = r.key().equals(t.reference());
            sb.append(String.join(",", csvText(r.run()), csvText(r.method()), Integer.toString(t.sites().size()),
                    Integer.toString(r.results().seeds().size()), Integer.toString(r.results().rounds()),
                    num(t.average(r.key(), "avg", "dice")), num(t.averageStd(r.key(), "avg", "dice")),
                    num(t.average(r.key(), "wavg", "dice")), num(t.averageStd(r.key(), "wavg", "dice")),
                    num(t.average(r.key(), "avg", "hd95")), num(t.averageStd(r.key(), "avg", "hd95")),
                    ref ? "" : num(p.meanDifference()), ref ? "" : num(p.ciLow()), ref ? "" : num(p.ciHigh()), ref ? "" : num(p.wilcoxonP()),
                    csvText(t.reference())))
                    .append('\n');
        }
        return sb.toString();
    }

    private List<String[]> cells() {
        List<String[]> out = new ArrayList<>();
        for (Row r : rows) {
            ResultTable t = r.table();
            String m = r.key();
            PairedStatistics.Result p = t.paired(m);
            boolean none = m.equals(t.reference()) || p.n() == 0;
            String delta = m.equals(t.reference()) ? "(reference)" : p.n() == 0 ? "—"
                    : String.format(Locale.ROOT, "%+.2f [%+.2f, %+.2f]", 100 * p.meanDifference(), 100 * p.ciLow(), 100 * p.ciHigh());
            String pValue = none ? "—" : String.format(Locale.ROOT, "%.3g", p.wilcoxonP());
            out.add(new String[] {key(r.run(), r.method()), Integer.toString(t.sites().size()), Integer.toString(r.results().seeds().size()),
                    Integer.toString(r.results().rounds()), t.averageCell(m, "avg", "dice", 100), t.averageCell(m, "wavg", "dice", 100),
                    t.averageCell(m, "avg", "hd95", 1), delta, pValue});
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
