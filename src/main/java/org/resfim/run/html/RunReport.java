package org.resfim.run.html;

import org.resfim.report.*;

import com.fasterxml.jackson.databind.JsonNode;
import org.resfim.algorithms.AlgorithmSpec;
import org.resfim.data.FederationConfig;
import org.resfim.data.FederationData;
import org.resfim.data.Sample;
import org.resfim.data.SiteDataset;
import org.resfim.federation.Batches;
import org.resfim.metrics.SegmentationMetrics;
import org.resfim.model.UNetArchitecture;
import org.resfim.model.UNetConfig;
import org.resfim.run.Folds;
import org.resfim.spectral.AmplitudeTransfer;
import org.resfim.spectral.StyleBank;
import org.resfim.spectral.StyleConfig;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.resfim.report.ResultTable.esc;
import org.resfim.state.Jackson;

/**
 * {@code report.html} of a run: one self-contained file that opens with no network (styles inline, every
 * picture a PNG data URI, no script): the comparison table, validation Dice per round per site for each
 * method, test images of every site with ground truth, prediction and error map of each method's selected
 * personal models, what pFL-ResFIM keeps personal (a sentence for what follows its rule, a table of what varies), the style-transfer
 * grid, cost per round, failures, and the configuration and provenance. A section whose input is missing
 * (the data folder moved, a model not yet selected) says so and the rest is still written.
 */
public final class RunReport {
    public static final String FILE = "report.html";
    public static final int DEFAULT_EXAMPLES = 3;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private final RunResults run;
    private final int examplesPerSite;
    private List<SiteDataset> sites;
    private String dataProblem;
    private ResultTable table;

    RunReport(RunResults run, int examplesPerSite) {
        this.run = run;
        this.examplesPerSite = examplesPerSite;
    }

    /** Writes {@code RUN_DIR/report.html} and returns its path. */
    public static Path write(Path runDir) {
        return write(runDir, null, DEFAULT_EXAMPLES);
    }

    /**
     * Writes the report of {@code runDir} to {@code out} (null: {@code RUN_DIR/report.html}) with up to
     * {@code examplesPerSite} test images per site.
     */
    public static Path write(Path runDir, Path out, int examplesPerSite) {
        RunResults run = RunResults.read(runDir).requireResults();
        Path file = out == null ? runDir.resolve(FILE) : out;
        String html = new RunReport(run, Math.max(0, examplesPerSite)).html();
        try {
            org.resfim.state.AtomicFiles.writeString(file, html);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return file;
    }

    /** The report at the end of a simulation: written, or one line saying why not (the run's results stay). */
    public static void writeAfterSimulation(Path runDir, PrintStream log) {
        try {
            log.println("Report: " + write(runDir).toAbsolutePath());
        } catch (RuntimeException e) {
            log.println("Report not written: " + e.getMessage() + " (retry with `resfim report " + runDir + "`)");
        }
    }

    // ------------------------------------------------------------------ document

    String html() {
        StringBuilder b = new StringBuilder(1 << 16);
        String title = "ResFIM run report: " + run.name();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>").append(esc(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        b.append("<header>\n<h1>").append(esc(title)).append("</h1>\n").append(summary()).append("</header>\n");
        b.append("<nav><a href=\"#results\">Results</a> · <a href=\"#curves\">Dice per round</a> · <a href=\"#examples\">Segmentations</a>"
                + " · <a href=\"#sensitivity\">Personal parameters</a> · <a href=\"#style\">Site styles</a> · <a href=\"#cost\">Cost</a>"
                + " · <a href=\"#provenance\">Configuration and provenance</a></nav>\n<main>\n");
        section(b, "results", "Results", this::results);
        section(b, "curves", "Validation Dice per round", this::curves);
        section(b, "examples", "Segmentations of test images", this::examples);
        section(b, "sensitivity", "Which parameters each site keeps personal", this::sensitivity);
        section(b, "style", "Site styles", this::style);
        section(b, "cost", "Cost per round", this::cost);
        String privacy = privacy();
        if (!privacy.isEmpty()) {
            section(b, "privacy", "Privacy", () -> privacy);
        }
        String failures = failures();
        if (!failures.isEmpty()) {
            section(b, "failures", "Failures", () -> failures);
        }
        section(b, "provenance", "Configuration and provenance", this::provenance);
        b.append("</main>\n<footer>Written by <code>resfim report</code> at ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS))
                .append(". This file is self-contained: it needs no network and no other file.</footer>\n</body>\n</html>\n");
        return b.toString();
    }

    private interface Body {
        String get();
    }

    private static void section(StringBuilder b, String id, String heading, Body body) {
        b.append("<section id=\"").append(id).append("\">\n<h2>").append(esc(heading)).append("</h2>\n");
        try {
            b.append(body.get());
        } catch (RuntimeException e) {
            b.append(note("This section could not be drawn: " + oneLine(e)));
        }
        b.append("</section>\n");
    }

    private static String note(String text) {
        return "<p class=\"note\">" + esc(text) + "</p>\n";
    }

    private String summary() {
        JsonNode r = run.resolvedConfig();
        StringBuilder s = new StringBuilder("<dl class=\"summary\">\n");
        item(s, "configuration", r.path("source").asText("?"));
        item(s, "sites", run.sites().isEmpty() ? "—" : String.join(", ", run.sites()));
        item(s, "methods", String.join(", ", run.methods()));
        item(s, "seeds", run.seeds().toString().replaceAll("[\\[\\]]", ""));
        item(s, "rounds", run.rounds() + (run.folds() > 1 ? ", " + run.folds() + "-fold evaluation" : ""));
        JsonNode size = r.path("image_size");
        item(s, "model", "U-Net width " + run.model().width() + ", depth " + run.model().depth() + ", " + run.model().norm().name().toLowerCase(Locale.ROOT)
                + " norm; images " + (size.isArray() ? size.get(0).asInt() + "×" + size.get(1).asInt() : "?"));
        JsonNode p = run.provenance();
        item(s, "finished", p == null ? "not yet (no provenance.json: the run was stopped or is still running)" : p.path("written").asText("?")
                + ", commit " + p.path("git_commit").asText("?"));
        s.append("</dl>\n");
        return s.toString();
    }

    /** The comparison table, computed once per report (its bootstrap is not free). */
    private ResultTable table() {
        if (table == null) {
            table = run.table();
        }
        return table;
    }

    private static void item(StringBuilder s, String k, String v) {
        s.append("<dt>").append(esc(k)).append("</dt><dd>").append(esc(v)).append("</dd>\n");
    }

    // ------------------------------------------------------------------ sections

    private String results() {
        ResultTable t = table();
        String missing = run.missingNote();
        String note = missing == null ? "" : "<p class=\"caption\"><b>" + esc(missing) + ".</b></p>\n";
        boolean noneValidates = !t.sitesWithoutValidation().isEmpty() && t.sitesWithoutValidation().size() == t.sites().size();
        return note + t.html() + "<p class=\"caption\">Each site's test score is taken at its "
                + (noneValidates ? "last round (" + esc(t.selectionNote()) + "). "
                : "best validation round after round " + (run.evaluation().firstSelectableRound(run.rounds()) - 1)
                + " (model selection on validation Dice)" + (t.selectionNote().isEmpty() ? "" : "; " + esc(t.selectionNote())) + ". ")
                + "Δ: mean paired per-image Dice difference with " + esc(t.reference()) + " in points, percentile-bootstrap 95% CI.</p>\n";
    }

    private String curves() {
        StringBuilder b = new StringBuilder("<div class=\"grid\">\n");
        int first = run.evaluation().firstSelectableRound(run.rounds());
        for (String m : run.methods()) {
            Map<String, double[]> sum = new LinkedHashMap<>();
            Map<String, int[]> count = new LinkedHashMap<>();
            for (String s : run.sites()) {
                sum.put(s, new double[run.rounds()]);
                count.put(s, new int[run.rounds()]);
            }
            boolean any = false;
            boolean evaluated = false;
            for (EvalRecord r : run.records()) {
                if (!r.method().equals(m) || r.round() < 1 || r.round() > run.rounds() || !sum.containsKey(r.site())) {
                    continue;
                }
                evaluated = true;
                if (Double.isNaN(r.valDice())) {
                    continue;
                }
                sum.get(r.site())[r.round() - 1] += r.valDice();
                count.get(r.site())[r.round() - 1]++;
                any = true;
            }
            if (!any) {
                b.append("<figure>").append(note(m + (evaluated ? ": no validation curve: no site has validation images"
                        + " (each site's model is that of its last round)" : ": no round evaluated yet"))).append("</figure>\n");
                continue;
            }
            Map<String, double[]> mean = new LinkedHashMap<>();
            sum.forEach((s, v) -> {
                double[] out = new double[v.length];
                for (int i = 0; i < v.length; i++) {
                    out[i] = count.get(s)[i] == 0 ? Double.NaN : v[i] / count.get(s)[i];
                }
                mean.put(s, out);
            });
            BufferedImage img = Charts.diceCurves(m, mean, first, 560, 330);
            b.append("<figure><img class=\"chart\" alt=\"validation Dice per round of ").append(esc(m)).append("\" src=\"")
                    .append(Overlays.dataUri(img)).append("\" width=\"560\" height=\"330\"></figure>\n");
        }
        b.append("</div>\n<p class=\"caption\">Validation Dice of each site's personal model after every round");
        if (run.seeds().size() * run.folds() > 1) {
            b.append(", mean over ").append(run.seeds().size() * run.folds()).append(" seeds and folds");
        }
        b.append("; dashed: the mean over sites. Models are selected from round ").append(first).append(" on");
        String noVal = table().selectionNote();
        b.append(noVal.isEmpty() ? "" : "; " + esc(noVal) + " (no curve)").append(".</p>\n");
        return b.toString();
    }

    /** The run's sites at its first seed (first fold), loaded once; null with {@link #dataProblem} set when they cannot be. */
    private List<SiteDataset> sites() {
        if (sites == null && dataProblem == null) {
            try {
                FederationConfig cfg = run.dataConfig();
                long seed = run.seeds().get(0);
                List<SiteDataset> s = FederationData.load(cfg, seed, cfg.imageHeight());
                sites = run.folds() > 1 ? Folds.split(s, 0, run.folds(), seed) : s;
            } catch (RuntimeException e) {
                dataProblem = "the run's data could not be loaded (" + oneLine(e) + ")";
            }
        }
        return sites;
    }

    private String examples() {
        if (examplesPerSite == 0) {
            return note("No examples requested.");
        }
        if (run.provenance() != null && run.provenance().has("deployment")) {
            return note("A deployment's personal models and images stay at the sites (each site's --state folder holds its"
                    + " selected-model.rfim; `resfim predict` segments with it there), so the coordinator shows no segmentations.");
        }
        List<SiteDataset> data = sites();
        if (data == null) {
            return note("No segmentations: " + dataProblem + ".");
        }
        FederationConfig cfg = run.dataConfig();
        UNetConfig unet = run.model().unet(cfg.channels());
        long seed = run.seeds().get(0);
        StringBuilder b = new StringBuilder();
        b.append("<p class=\"caption\">Test images of seed ").append(seed).append(run.folds() > 1 ? ", fold 0" : "")
                .append(", segmented by each method's selected personal model of that site. Ground truth <span class=\"sw\" style=\"background:#")
                .append(hex(Overlays.TRUTH_RGB)).append("\"></span>, prediction <span class=\"sw\" style=\"background:#").append(hex(Overlays.PREDICTION_RGB))
                .append("\"></span>; error map: true positive <span class=\"sw\" style=\"background:#").append(hex(Overlays.TRUE_POSITIVE_RGB))
                .append("\"></span>, false positive <span class=\"sw\" style=\"background:#").append(hex(Overlays.FALSE_POSITIVE_RGB))
                .append("\"></span>, false negative <span class=\"sw\" style=\"background:#").append(hex(Overlays.FALSE_NEGATIVE_RGB))
                .append("\"></span>.</p>\n");
        for (SiteDataset site : data) {
            List<Sample> test = site.test().subList(0, Math.min(examplesPerSite, site.test().size()));
            b.append("<h3>").append(esc(site.name())).append("</h3>\n");
            if (test.isEmpty()) {
                b.append(note("This site has no test images."));
                continue;
            }
            int h = test.get(0).height();
            int w = test.get(0).width();
            int shown = Math.min(192, Math.max(128, h));
            int shownW = (int) Math.round(shown * (double) w / h);
            Map<String, List<boolean[]>> predictions = new LinkedHashMap<>();
            Map<String, String> heads = new LinkedHashMap<>();
            for (String m : run.methods()) {
                Path f = run.selectedModel(m, seed, 0, site.name());
                if (!Files.isRegularFile(f)) {
                    heads.put(m, "no selected model yet");
                    continue;
                }
                ModelCheckpoint ck = ModelCheckpoint.read(f, unet, run.root().resolve(RunResults.RESOLVED).toString());
                double val = parse(ck.metadata().get("val_dice"));
                heads.put(m, "round " + ck.metadata().getOrDefault("round", "?")
                        + (Double.isNaN(val) ? " (last round: no validation images)" : ", val Dice " + fmt(val)));
                try (SegmentationModel model = new SegmentationModel(unet, ck.state())) {
                    predictions.put(m, model.predict(Batches.of(test, unet.inChannels(), null, null), 0.5));
                }
            }
            b.append("<div class=\"scroll\"><table class=\"examples\">\n<thead><tr><th rowspan=\"2\">image</th><th rowspan=\"2\">ground truth</th>");
            for (String m : run.methods()) {
                b.append("<th colspan=\"2\">").append(esc(m)).append("<br><small>").append(esc(heads.get(m))).append("</small></th>");
            }
            b.append("</tr>\n<tr>");
            for (String ignored : run.methods()) {
                b.append("<th>prediction</th><th>errors</th>");
            }
            b.append("</tr></thead>\n<tbody>\n");
            for (int i = 0; i < test.size(); i++) {
                Sample s = test.get(i);
                boolean[] truth = new boolean[s.height() * s.width()];
                for (int p = 0; p < truth.length; p++) {
                    truth[p] = s.mask()[p] > 0.5f;
                }
                b.append("<tr>");
                cell(b, Overlays.rgb(s.image(), s.channels(), s.height(), s.width()), s.id(), shownW, shown, s.id());
                cell(b, Overlays.overlay(s.image(), s.channels(), s.height(), s.width(), truth, Overlays.TRUTH_RGB, 0.45),
                        "foreground " + pct(truth), shownW, shown, s.id() + " ground truth");
                for (String m : run.methods()) {
                    List<boolean[]> preds = predictions.get(m);
                    if (preds == null) {
                        b.append("<td class=\"empty\" colspan=\"2\">—</td>");
                        continue;
                    }
                    boolean[] pred = preds.get(i);
                    double dice = SegmentationMetrics.summary(pred, truth, s.width(), s.height()).dice();
                    cell(b, Overlays.overlay(s.image(), s.channels(), s.height(), s.width(), pred, Overlays.PREDICTION_RGB, 0.45),
                            "Dice " + fmt(dice), shownW, shown, s.id() + " prediction of " + m);
                    cell(b, Overlays.errorMap(s.image(), s.channels(), s.height(), s.width(), truth, pred), "", shownW, shown,
                            s.id() + " errors of " + m);
                }
                b.append("</tr>\n");
            }
            b.append("</tbody></table></div>\n");
        }
        return b.toString();
    }

    private static void cell(StringBuilder b, BufferedImage img, String caption, int w, int h, String alt) {
        b.append("<td><img class=\"px\" alt=\"").append(esc(alt)).append("\" width=\"").append(w).append("\" height=\"").append(h)
                .append("\" src=\"").append(Overlays.dataUri(img)).append("\">");
        if (!caption.isEmpty()) {
            b.append("<div class=\"cap\">").append(esc(caption)).append("</div>");
        }
        b.append("</td>");
    }

    /** The last partition estimate of every site of a method: fractions[tensor][site], tensors in network order; null when none. */
    record Sensitivity(List<String> tensors, List<String> sites, double[][] fractions, int lastRound) {
    }

    Sensitivity sensitivityOf(String m) {
        List<String> tensors = new ArrayList<>();
        Map<String, double[]> sum = new LinkedHashMap<>();
        Map<String, int[]> count = new LinkedHashMap<>();
        int lastRound = 0;
        int k = run.sites().size();
        for (long seed : run.seeds()) {
            for (int fold = 0; fold < run.folds(); fold++) {
                Map<String, JsonNode> last = new LinkedHashMap<>();
                for (JsonNode n : MetricsLog.readEvents(run.metrics(m, seed, fold), "fit")) {
                    if (hasSensitive(n)) {
                        last.put(n.path("site").asText(), n);
                    }
                }
                for (JsonNode n : last.values()) {
                    lastRound = Math.max(lastRound, n.path("round").asInt());
                    int s = run.sites().indexOf(n.path("site").asText());
                    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                        String f = it.next();
                        if (!f.startsWith("sensitive.") || s < 0) {
                            continue;
                        }
                        String t = f.substring("sensitive.".length());
                        if (!sum.containsKey(t)) {
                            tensors.add(t);
                            sum.put(t, new double[k]);
                            count.put(t, new int[k]);
                        }
                        sum.get(t)[s] += n.path(f).asDouble();
                        count.get(t)[s]++;
                    }
                }
            }
        }
        if (tensors.isEmpty()) {
            return null;
        }
        tensors = networkOrder(tensors);
        double[][] v = new double[tensors.size()][k];
        for (int t = 0; t < tensors.size(); t++) {
            for (int s = 0; s < k; s++) {
                int c = count.get(tensors.get(t))[s];
                v[t][s] = c == 0 ? Double.NaN : sum.get(tensors.get(t))[s] / c;
            }
        }
        return new Sensitivity(tensors, run.sites(), v, lastRound);
    }

    /** The diagnostics of the last estimate of every site of a method, per tensor and overall, mean over sites, seeds and folds; null when none. */
    record Diagnostics(List<String> tensors, Map<String, double[]> perTensor, Map<String, Double> overall, int lastRound) {
    }

    /** Per-tensor diagnostic fields (prefix + ".tensor") and their chart labels. */
    static final Map<String, String> DIAGNOSTIC_FIELDS = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(Map.of(
            "jaccard_fim", "Jaccard with fim mask", "spearman_fim", "Spearman of log score with log F_k", "gain", "gain s_t",
            "null_style_gain", "null: own style", "null_split_gain", "null: split draw")));
    private static final List<String> DIAGNOSTIC_ORDER = List.of("jaccard_fim", "spearman_fim", "gain", "null_style_gain", "null_split_gain",
            "null_style_jaccard_fim", "null_split_jaccard_fim");

    Diagnostics diagnosticsOf(String m) {
        List<JsonNode> last = new ArrayList<>();
        for (long seed : run.seeds()) {
            for (int fold = 0; fold < run.folds(); fold++) {
                Map<String, JsonNode> bySite = new LinkedHashMap<>();
                for (JsonNode n : MetricsLog.readEvents(run.metrics(m, seed, fold), "fit")) {
                    if (n.has("jaccard_fim")) {
                        bySite.put(n.path("site").asText(), n);
                    }
                }
                last.addAll(bySite.values());
            }
        }
        if (last.isEmpty()) {
            return null;
        }
        List<String> tensors = new ArrayList<>();
        Map<String, Map<String, double[]>> acc = new LinkedHashMap<>(); // field → tensor → {sum, count}
        Map<String, double[]> overall = new LinkedHashMap<>();
        int lastRound = 0;
        for (JsonNode n : last) {
            lastRound = Math.max(lastRound, n.path("round").asInt());
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                int dot = f.indexOf('.');
                String field = dot < 0 ? f : f.substring(0, dot);
                if (!DIAGNOSTIC_ORDER.contains(field)) {
                    continue;
                }
                double[] a;
                if (dot < 0) {
                    a = overall.computeIfAbsent(field, x -> new double[2]);
                } else {
                    String t = f.substring(dot + 1);
                    if (!tensors.contains(t)) {
                        tensors.add(t);
                    }
                    a = acc.computeIfAbsent(field, x -> new LinkedHashMap<>()).computeIfAbsent(t, x -> new double[2]);
                }
                a[0] += n.path(f).asDouble();
                a[1]++;
            }
        }
        tensors = networkOrder(tensors);
        Map<String, double[]> per = new LinkedHashMap<>();
        for (String field : DIAGNOSTIC_ORDER) {
            Map<String, double[]> byTensor = acc.get(field);
            if (byTensor == null) {
                continue;
            }
            double[] v = new double[tensors.size()];
            for (int t = 0; t < v.length; t++) {
                double[] a = byTensor.get(tensors.get(t));
                v[t] = a == null ? Double.NaN : a[0] / a[1];
            }
            per.put(field, v);
        }
        Map<String, Double> all = new LinkedHashMap<>();
        overall.forEach((k, a) -> all.put(k, a[0] / a[1]));
        return new Diagnostics(tensors, per, all, lastRound);
    }

    private String diagnostics(String m) {
        Diagnostics d = diagnosticsOf(m);
        if (d == null) {
            return "";
        }
        Map<String, double[]> series = new LinkedHashMap<>();
        d.perTensor().forEach((k, v) -> series.put(DIAGNOSTIC_FIELDS.get(k), v));
        BufferedImage img = Charts.residualDiagnostics(m, d.tensors().size(), series);
        StringBuilder b = new StringBuilder();
        b.append("<figure><img class=\"chart\" alt=\"residual diagnostics per tensor, ").append(esc(m)).append("\" src=\"")
                .append(Overlays.dataUri(img)).append("\" width=\"").append(img.getWidth()).append("\" height=\"").append(img.getHeight())
                .append("\"><figcaption>").append(esc(m)).append(": at the last estimate of each site (round ").append(d.lastRound())
                .append(", mean over sites").append(run.seeds().size() * run.folds() > 1 ? ", seeds and folds" : "").append("), per tensor: ")
                .append("the overlap (Jaccard) of the personal elements with those <code>variant = fim</code> (own Fisher only) would choose on "
                        + "the same model and samples, the rank correlation of the score with F_k, and the domain gain s_t = mean |F_k→n − F_k| / "
                        + "mean F_k. Overall: Jaccard ").append(fmt(d.overall().getOrDefault("jaccard_fim", Double.NaN)))
                .append(", Spearman ").append(fmt(d.overall().getOrDefault("spearman_fim", Double.NaN)))
                .append(", gain ").append(fmt(d.overall().getOrDefault("gain", Double.NaN)));
        if (d.overall().containsKey("null_style_gain") || d.overall().containsKey("null_split_gain")) {
            b.append(" (null controls: own style ").append(fmt(d.overall().getOrDefault("null_style_gain", Double.NaN)))
                    .append(", a second draw of own samples ").append(fmt(d.overall().getOrDefault("null_split_gain", Double.NaN))).append(")");
        }
        if (d.overall().containsKey("null_style_jaccard_fim") || d.overall().containsKey("null_split_jaccard_fim")) {
            b.append("; the masks those null residuals would give overlap the fim mask by ")
                    .append(fmt(d.overall().getOrDefault("null_style_jaccard_fim", Double.NaN))).append(" (own style) and ")
                    .append(fmt(d.overall().getOrDefault("null_split_jaccard_fim", Double.NaN)))
                    .append(" (second draw): a mask no further from fim's than these is chosen by noise, not by domain");
        }
        b.append(". Jaccard and Spearman near 1 mean the residual keeps what the own Fisher keeps; a gain not above its null controls "
                + "carries no domain signal (<code>pfl-resfim:null_controls=both</code> draws them).</figcaption></figure>\n");
        return b.toString();
    }

    private String sensitivity() {
        StringBuilder b = new StringBuilder();
        Map<String, Integer> sizes = new LinkedHashMap<>();
        UNetArchitecture.layout(run.model().unet(run.dataConfig().channels())).tensors().forEach(t -> sizes.put(t.name(), t.size()));
        for (String m : run.methods()) {
            Sensitivity h = sensitivityOf(m);
            if (h == null) {
                continue;
            }
            Built built = build(m);
            if (built.problem() != null) {
                b.append(note("This build cannot read the parameters " + m + " ran with (" + built.problem() + "): ρ, the scope and the"
                        + " variant below are this build's defaults, not necessarily the run's."));
            }
            org.resfim.fisher.PartitionConfig partition = built.algorithm().map(org.resfim.algorithms.PflResFim::partition)
                    .orElse(org.resfim.fisher.PartitionConfig.defaults());
            b.append(personalShares(m, h, sizes, partition.rho(), partition.scope().key(), partition.variant().key(),
                    run.seeds().size() * run.folds() > 1));
            b.append(diagnostics(m));
        }
        if (b.length() == 0) {
            return note("No method of this run estimated a partition (pFL-ResFIM writes sensitive.* statistics to its fit lines once its warm-up is over).");
        }
        return b.toString();
    }

    /** Above this many tensors whose share varies, the table shows blocks of the network (d.0, u.1, head) instead of tensors. */
    static final int MAX_TENSOR_ROWS = 30;

    /**
     * What a method's partition keeps personal, showing only what varies. A tensor keeps, at a site, the share of
     * its elements it would keep if every tensor kept its own top ρ (round(ρ·n) of n) — the rule of resfim.scope =
     * per-tensor — or it varies (across sites or from that share). One sentence covers the first kind; a table of
     * the shares (per tensor, or per block of the network when many vary) covers the second.
     *
     * @param sizes elements of every tensor of the model, by name (tensors missing here count as varying)
     */
    static String personalShares(String method, Sensitivity h, Map<String, Integer> sizes, double rho, String scope, String variant,
                                 boolean averaged) {
        List<Integer> varying = new ArrayList<>();
        List<String> roundAway = new ArrayList<>();
        int k = h.sites().size();
        for (int t = 0; t < h.tensors().size(); t++) {
            Integer n = sizes.get(h.tensors().get(t));
            double expected = n == null ? Double.NaN : (double) org.resfim.fisher.SensitivityPartition.count(n, rho) / n;
            boolean same = n != null;
            for (int s = 0; s < k && same; s++) {
                double v = h.fractions()[t][s];
                same = !Double.isNaN(v) && Math.abs(v - expected) <= 0.5 / n;
            }
            if (!same) {
                varying.add(t);
            } else if (Math.abs(expected - rho) > rho / 4) {
                roundAway.add(h.tensors().get(t) + " (" + org.resfim.fisher.SensitivityPartition.count(n, rho) + " of " + n + ")");
            }
        }
        int total = h.tensors().size();
        StringBuilder b = new StringBuilder("<h3>").append(esc(method)).append("</h3>\n<p class=\"caption\">The last partition of each site (round ")
                .append(h.lastRound()).append(averaged ? ", mean over seeds and folds" : "").append("; resfim.scope = ").append(esc(scope))
                .append(", resfim.variant = ").append(esc(variant)).append(", ρ = ").append(org.resfim.config.Section.num(rho)).append("). ");
        String rounding = roundAway.isEmpty() ? "" : " Tensors too small for ρ keep what rounding gives: " + String.join(", ",
                roundAway.subList(0, Math.min(8, roundAway.size()))) + (roundAway.size() > 8 ? " and " + (roundAway.size() - 8) + " more" : "") + ".";
        if (varying.isEmpty()) {
            b.append(esc("Every one of the " + total + " trainable tensors keeps its top ρ = " + org.resfim.config.Section.num(rho)
                    + " personal (ρ·n rounded to whole elements) at every site: the sites differ in which elements they keep, not in how many."
                    + rounding)).append("</p>\n");
            return b.toString();
        }
        int exact = total - varying.size();
        b.append(esc(varying.size() + " of " + total + " trainable tensors " + (varying.size() == 1 ? "keeps" : "keep")
                + " a share that differs between sites or from ρ; " + (exact == 0 ? "none keeps" : exact == 1 ? "the other one keeps"
                : "the other " + exact + " keep") + " exactly ρ (rounded to whole elements) at every site." + rounding)).append(' ');
        boolean blocks = varying.size() > MAX_TENSOR_ROWS;
        List<String> labels = new ArrayList<>();
        List<double[]> rows = new ArrayList<>();
        List<Long> elements = new ArrayList<>();
        if (!blocks) {
            b.append("Share of each tensor's elements kept personal:</p>\n");
            for (int t : varying) {
                labels.add(h.tensors().get(t));
                rows.add(h.fractions()[t]);
                elements.add((long) sizes.getOrDefault(h.tensors().get(t), 0));
            }
        } else {
            b.append(esc("Share of the elements kept personal per block of the network (encoder d.*, decoder u.*, head; weighted by "
                    + "elements); per tensor: the sensitive.<tensor> fields of the fit lines in " + method + "/seed-S/metrics.jsonl.")).append("</p>\n");
            Map<String, double[]> sum = new LinkedHashMap<>();
            Map<String, double[]> weight = new LinkedHashMap<>();
            Map<String, Long> blockElements = new LinkedHashMap<>();
            for (int t = 0; t < total; t++) {
                String name = h.tensors().get(t);
                String block = block(name);
                long n = sizes.getOrDefault(name, 1);
                double[] s = sum.computeIfAbsent(block, x -> new double[k]);
                double[] w = weight.computeIfAbsent(block, x -> new double[k]);
                blockElements.merge(block, n, Long::sum);
                for (int i = 0; i < k; i++) {
                    double v = h.fractions()[t][i];
                    if (!Double.isNaN(v)) {
                        s[i] += n * v;
                        w[i] += n;
                    }
                }
            }
            sum.forEach((block, s) -> {
                double[] row = new double[k];
                for (int i = 0; i < k; i++) {
                    row[i] = weight.get(block)[i] == 0 ? Double.NaN : s[i] / weight.get(block)[i];
                }
                labels.add(block);
                rows.add(row);
                elements.add(blockElements.get(block));
            });
        }
        // the whole model: the share of all trainable elements each site keeps personal
        double[] all = new double[k];
        long allElements = 0;
        for (int t = 0; t < total; t++) {
            long n = sizes.getOrDefault(h.tensors().get(t), 1);
            allElements += n;
            for (int i = 0; i < k; i++) {
                all[i] += n * h.fractions()[t][i];
            }
        }
        for (int i = 0; i < k; i++) {
            all[i] /= allElements;
        }
        labels.add("all trainable");
        rows.add(all);
        elements.add(allElements);
        double max = 0;
        for (double[] r : rows) {
            for (double v : r) {
                max = Double.isNaN(v) ? max : Math.max(max, v);
            }
        }
        Charts.Viridis colours = new Charts.Viridis(0, max <= 0 ? 1 : Math.min(1, Math.ceil(max * 10) / 10));
        b.append("<table class=\"results shares\">\n<thead><tr><th>").append(blocks ? "block" : "tensor").append("</th><th>elements</th>");
        h.sites().forEach(site -> b.append("<th>").append(esc(site)).append("</th>"));
        b.append("<th>spread</th></tr></thead>\n<tbody>\n");
        for (int r = 0; r < rows.size(); r++) {
            boolean whole = r == rows.size() - 1;
            b.append("<tr").append(whole ? " class=\"total\"" : "").append("><th scope=\"row\">").append(whole ? "" : "<code>")
                    .append(esc(labels.get(r))).append(whole ? "" : "</code>").append("</th><td>").append(String.format(Locale.ROOT, "%,d", elements.get(r)))
                    .append("</td>");
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (double v : rows.get(r)) {
                if (Double.isNaN(v)) {
                    b.append("<td>—</td>");
                    continue;
                }
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
                java.awt.Color c = (java.awt.Color) colours.getPaint(v);
                boolean dark = 0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue() < 140;
                b.append("<td style=\"background:#").append(hex(c.getRGB())).append(dark ? ";color:#fff" : "").append("\">")
                        .append(String.format(Locale.ROOT, "%.3f", v)).append("</td>");
            }
            b.append("<td>").append(lo > hi ? "—" : String.format(Locale.ROOT, "%.3f", hi - lo)).append("</td></tr>\n");
        }
        b.append("</tbody>\n</table>\n");
        return b.toString();
    }

    /** The block of the network a tensor belongs to: {@code d.1.c2.weight} → {@code d.1}, {@code head.bias} → {@code head}. */
    static String block(String tensor) {
        String[] p = tensor.split("\\.");
        return p.length >= 3 && p[1].chars().allMatch(Character::isDigit) ? p[0] + "." + p[1] : p[0];
    }

    /** Tensor names sorted as the U-Net of the run holds them (encoder, decoder, head); unknown names last. */
    private List<String> networkOrder(List<String> tensors) {
        List<String> layout = new ArrayList<>();
        try {
            UNetArchitecture.layout(run.model().unet(run.dataConfig().channels())).tensors().forEach(t -> layout.add(t.name()));
        } catch (RuntimeException e) {
            return tensors;
        }
        List<String> sorted = new ArrayList<>(tensors);
        sorted.sort(java.util.Comparator.comparingInt(t -> layout.contains(t) ? layout.indexOf(t) : Integer.MAX_VALUE));
        return sorted;
    }

    private static boolean hasSensitive(JsonNode n) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            if (it.next().startsWith("sensitive.")) {
                return true;
            }
        }
        return false;
    }

    private String style() {
        List<SiteDataset> data = sites();
        if (data == null) {
            return note("No style grid: " + dataProblem + ".");
        }
        StyleConfig style = StyleConfig.defaults();
        String from = "the defaults";
        boolean found = false;
        boolean shared = false;
        boolean ownFisher = false;
        for (String m : run.methods()) {
            if (AlgorithmSpec.parse(m).name().equals("pfl-resfim")) {
                if (!found) {
                    try {
                        style = StyleConfig.fromParameters(run.methodParams(m));
                        from = m;
                    } catch (IllegalArgumentException e) {
                        from = "the defaults (" + m + ": " + e.getMessage() + ")";
                    }
                    found = true;
                }
                shared |= sharesStyle(m);
                ownFisher |= build(m).algorithm().map(p -> p.partition().variant() == org.resfim.fisher.PartitionConfig.Variant.FIM).orElse(false);
            }
        }
        // the grid of `resfim style preview`, as a table so that labels stay legible at any image size
        List<float[][][]> windows = new ArrayList<>();
        for (SiteDataset site : data) {
            if (site.train().isEmpty()) {
                return note("No style grid: site '" + site.name() + "' has no training images.");
            }
            List<float[]> imgs = new ArrayList<>();
            site.train().forEach(x -> imgs.add(x.image()));
            Sample f = site.train().get(0);
            windows.add(StyleBank.forSite(site.name(), imgs, f.channels(), f.height(), f.width(), style, 0).meanWindow(site.name()));
        }
        int h = data.get(0).train().get(0).height();
        int w = data.get(0).train().get(0).width();
        int shown = Math.min(160, Math.max(96, h));
        int shownW = (int) Math.round(shown * (double) w / h);
        StringBuilder b = new StringBuilder("<div class=\"scroll\"><table class=\"examples\">\n<thead><tr><th>image of</th>");
        data.forEach(site -> b.append("<th>in the style of<br>").append(esc(site.name())).append("</th>"));
        b.append("</tr></thead>\n<tbody>\n");
        for (int i = 0; i < data.size(); i++) {
            Sample s = data.get(i).train().get(0);
            b.append("<tr><th scope=\"row\">").append(esc(data.get(i).name())).append("</th>");
            for (int j = 0; j < data.size(); j++) {
                float[] img = i == j ? s.image() : AmplitudeTransfer.transfer(s.image(), s.channels(), s.height(), s.width(), windows.get(j), style.lambda());
                cell(b, Overlays.rgb(img, s.channels(), s.height(), s.width()), i == j ? "original" : "", shownW, shown,
                        data.get(i).name() + " in the style of " + data.get(j).name());
            }
            b.append("</tr>\n");
        }
        b.append("</tbody></table></div>\n<p class=\"caption\">Row: the first training image of a site; column: that image rendered in a site's style "
                + "(its mean low-frequency Fourier amplitude, β = ").append(style.beta()).append(", λ = ").append(style.lambda()).append(", from ")
                .append(esc(from)).append("); the diagonal is the original. ").append(shared
                        ? "This is how pFL-ResFIM lets a site see the others' scanners without any of their images. "
                        : "No style window left any site in this run" + (ownFisher ? " (pFL-ResFIM's default, own Fisher, shares none)" : "")
                        + ": the grid shows how the sites' scanners differ, and what <code>resfim.variant: resfim</code> or "
                        + "<code>style.augment</code> would share. ")
                .append("<code>resfim style preview</code> draws the same grid as one PNG.</p>\n");
        return b.toString();
    }

    /** Whether method {@code m} of this run shared style windows at SETUP (its parameters as the run used them). */
    private boolean sharesStyle(String m) {
        if (!AlgorithmSpec.parse(m).name().equals(org.resfim.algorithms.PflResFim.NAME)) {
            return false;
        }
        // parameters this build no longer reads: say what pFL-ResFIM was built to do
        return build(m).algorithm().map(org.resfim.algorithms.PflResFim::sharesStyle).orElse(true);
    }

    /** A run's pFL-ResFIM as built from its parameters, or why this build cannot read them. */
    private record Built(java.util.Optional<org.resfim.algorithms.PflResFim> algorithm, String problem) {
    }

    /**
     * Method {@code m} built with the parameters the run used: the algorithm when it is pFL-ResFIM (empty for another
     * method), or the problem when this build no longer reads the run's parameters.
     */
    private Built build(String m) {
        return built.computeIfAbsent(m, this::construct); // the sections ask for the same methods several times
    }

    private final Map<String, Built> built = new java.util.HashMap<>();

    private Built construct(String m) {
        try {
            return new Built(org.resfim.algorithms.AlgorithmRegistry.create(new AlgorithmSpec(m, AlgorithmSpec.parse(m).name(),
                    run.methodParams(m))) instanceof org.resfim.algorithms.PflResFim p ? java.util.Optional.of(p) : java.util.Optional.empty(), null);
        } catch (RuntimeException e) {
            return new Built(java.util.Optional.empty(), e.getMessage());
        }
    }

    private String cost() {
        long full = 4L * UNetArchitecture.layout(run.model().unet(run.dataConfig().channels())).numElements();
        StringBuilder b = new StringBuilder("<table class=\"results\">\n<thead><tr><th>method</th><th>site-rounds</th><th>training s / site-round</th>"
                + "<th>ResFIM share of training time</th><th>upload / site-round</th><th>of a full model</th><th>sensitive fraction (last)</th></tr></thead>\n<tbody>\n");
        for (String m : run.methods()) {
            List<Path> logs = new ArrayList<>();
            for (long seed : run.seeds()) {
                for (int fold = 0; fold < run.folds(); fold++) {
                    logs.add(run.metrics(m, seed, fold));
                }
            }
            CostSummary c = CostSummary.of(m, logs, full);
            Map<String, JsonNode> lastEstimate = new LinkedHashMap<>();
            run.events(m, "fit").stream().filter(n -> n.has("sensitive_fraction")).forEach(n -> lastEstimate.put(n.path("site").asText(), n));
            b.append("<tr><th scope=\"row\">").append(esc(m)).append("</th><td>").append(c.fits()).append("</td><td>")
                    .append(c.fits() == 0 ? "—" : fmtS(c.fitSeconds() / c.fits())).append("</td><td>")
                    .append(c.resfimSeconds() > 0 ? String.format(Locale.ROOT, "%.1f%%", 100 * c.resfimShare()) : "—").append("</td><td>")
                    .append(c.fits() == 0 ? "—" : bytes(c.bytesPerFit())).append("</td><td>")
                    .append(c.fits() == 0 ? "—" : String.format(Locale.ROOT, "%.1f%%", 100 * c.bytesPerFit() / full)).append("</td><td>")
                    .append(lastEstimate.isEmpty() ? "—" : fmt(mean(new ArrayList<>(lastEstimate.values()), "sensitive_fraction"))).append("</td></tr>\n");
        }
        b.append("</tbody>\n</table>\n<p class=\"caption\">Over every fit of every site, seed and fold. Upload: the bytes a site sends after its "
                + "local training, against a full model of ").append(bytes(full)).append(" (FedAvg); pFL-ResFIM sends only its domain-invariant "
                + "values and a bit mask. Sensitive fraction: the share of trainable elements each site keeps personal at its last estimate.</p>\n");
        return b.toString();
    }

    /** Every site's ε under privacy.dp (empty when the run had no privacy settings). */
    private String privacy() {
        JsonNode cfg = run.resolvedConfig().path("privacy");
        if (cfg.isMissingNode() || cfg.isNull()) {
            return "";
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> section = Jackson.MAPPER.convertValue(cfg, Map.class);
        org.resfim.privacy.PrivacySettings p = org.resfim.privacy.PrivacySettings.from(section, org.resfim.config.Origin.NONE)
                .withSamplingRate(run.resolvedConfig().path("federation").path("sample_fraction").asDouble(1.0));
        StringBuilder b = new StringBuilder("<p>").append(esc(p.describe())).append("</p>\n");
        if (p.active()) {
            b.append("<table class=\"results\">\n<thead><tr><th>method</th><th>site</th><th>uploads</th><th>rounds</th><th>ε (δ = ")
                    .append(p.delta()).append(")</th></tr></thead>\n<tbody>\n");
            for (String m : run.methods()) {
                List<Path> logs = new ArrayList<>();
                for (long seed : run.seeds()) {
                    for (int fold = 0; fold < run.folds(); fold++) {
                        logs.add(run.metrics(m, seed, fold));
                    }
                }
                for (org.resfim.report.PrivacySummary.Row r : org.resfim.report.PrivacySummary.of(p, logs)) {
                    b.append("<tr><th scope=\"row\">").append(esc(m)).append("</th><td>").append(esc(r.site())).append("</td><td>")
                            .append(r.uploads()).append("</td><td>").append(r.rounds()).append("</td><td>")
                            .append(org.resfim.report.PrivacySummary.epsilon(r.epsilon())).append("</td></tr>\n");
                }
            }
            b.append("</tbody>\n</table>\n<p class=\"caption\">Rényi-DP accountant of the (subsampled) Gaussian mechanism, converted to"
                    + " (ε, δ) at the last round. Local mode: each upload is a release seen by the coordinator; central mode: the noisy sums,"
                    + " sampling rate federation.sample_fraction. The bitsets (which elements a site shares) and the sample counts are not"
                    + " covered: they travel in the clear.</p>\n");
        }
        if (p.styleActive() && run.methods().stream().noneMatch(this::sharesStyle)) {
            b.append("<p>Style windows: none released. <code>privacy.style</code> is set, but no method of this run shared a style"
                    + " window (pFL-ResFIM shares them when its residual, <code>resfim.budget: gain</code> or <code>style.augment</code> needs"
                    + " them).</p>\n");
        } else if (p.styleActive()) {
            b.append("<p>Style windows: one release per run, ε = ").append(org.resfim.report.PrivacySummary.epsilon(p.styleEpsilon(1)))
                    .append(" per window at δ = ").append(p.delta()).append(" (pFL-ResFIM's site-mean window).</p>\n");
        }
        return b.toString();
    }

    private String failures() {
        StringBuilder b = new StringBuilder();
        for (String m : run.methods()) {
            for (JsonNode n : run.events(m, "failure")) {
                b.append("<tr><td>").append(esc(m)).append("</td><td>").append(n.path("round").asInt()).append("</td><td>")
                        .append(esc(n.path("site").asText())).append("</td><td>").append(esc(n.path("phase").asText())).append("</td><td>")
                        .append(n.path("permanent").asBoolean() ? "site stopped" : "round skipped").append("</td><td>")
                        .append(esc(n.path("message").asText())).append("</td></tr>\n");
            }
        }
        if (b.length() == 0) {
            return "";
        }
        return "<table class=\"results\">\n<thead><tr><th>method</th><th>round</th><th>site</th><th>phase</th><th>effect</th><th>message</th></tr></thead>\n<tbody>\n"
                + b + "</tbody>\n</table>\n";
    }

    private String provenance() {
        StringBuilder b = new StringBuilder();
        b.append("<h3>provenance.json</h3>\n");
        b.append(run.provenance() == null ? note("Not written yet: the run has not finished.") : pre(run.provenance()));
        b.append("<h3>Settings the run started with (config.resolved.json, as YAML)</h3>\n").append(yaml(run.resolvedConfig()));
        if (run.runInfo() != null) {
            b.append("<h3>run.json (command-line settings; <code>resfim simulate --resume</code> reads them)</h3>\n").append(pre(run.runInfo()));
        }
        return b.toString();
    }

    /** A JSON document as YAML, keys and values as a configuration file writes them. */
    private static String yaml(JsonNode n) {
        Object tree = Jackson.MAPPER.convertValue(n, Object.class);
        org.yaml.snakeyaml.DumperOptions o = new org.yaml.snakeyaml.DumperOptions();
        o.setDefaultFlowStyle(org.yaml.snakeyaml.DumperOptions.FlowStyle.BLOCK);
        o.setIndent(2);
        o.setWidth(120);
        // mappings as blocks, lists of plain values on one line ([64, 64]), as configuration files are written
        org.yaml.snakeyaml.representer.Representer r = new org.yaml.snakeyaml.representer.Representer(o) {
            @Override
            protected org.yaml.snakeyaml.nodes.Node representSequence(org.yaml.snakeyaml.nodes.Tag tag, Iterable<?> sequence,
                                                                   org.yaml.snakeyaml.DumperOptions.FlowStyle style) {
                boolean plain = true;
                for (Object x : sequence) {
                    plain &= !(x instanceof Map || x instanceof List);
                }
                return super.representSequence(tag, sequence, plain ? org.yaml.snakeyaml.DumperOptions.FlowStyle.FLOW : style);
            }
        };
        return "<pre>" + esc(new org.yaml.snakeyaml.Yaml(r, o).dump(tree)) + "</pre>\n";
    }

    private static String pre(JsonNode n) {
        try {
            return "<pre>" + esc(Jackson.PRETTY.writeValueAsString(n)) + "</pre>\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ formatting

    private static double mean(List<JsonNode> nodes, String field) {
        return nodes.stream().filter(n -> n.has(field)).mapToDouble(n -> n.path(field).asDouble()).average().orElse(Double.NaN);
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String fmtS(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String bytes(double v) {
        return org.resfim.state.Bytes.mb(v);
    }

    private static String pct(boolean[] m) {
        int n = 0;
        for (boolean b : m) {
            n += b ? 1 : 0;
        }
        return String.format(Locale.ROOT, "%.1f%%", 100.0 * n / Math.max(1, m.length));
    }

    private static double parse(String s) {
        try {
            return s == null ? Double.NaN : Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static String hex(int rgb) {
        return String.format(Locale.ROOT, "%06x", rgb & 0xffffff);
    }

    /** The first non-empty message in the cause chain, on one line (as the CLI prints errors). */
    static String oneLine(Throwable ex) {
        Throwable t = ex;
        String msg = t.getMessage();
        while ((msg == null || msg.isBlank()) && t.getCause() != null) {
            t = t.getCause();
            msg = t.getMessage();
        }
        return (msg == null || msg.isBlank() ? t.getClass().getSimpleName() : msg).replace('\n', ' ');
    }

    private static final String CSS = """
            :root { color-scheme: light; }
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; line-height: 1.4; }
            header, main, footer, nav { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
            header { padding-top: 18px; }
            h1 { font-size: 1.6em; margin: 0.2em 0 0.4em; }
            h2 { font-size: 1.25em; border-bottom: 2px solid #d0d7de; padding-bottom: 4px; margin-top: 1.8em; }
            h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
            nav { font-size: 0.92em; padding-top: 4px; padding-bottom: 8px; }
            a { color: #0b5cad; }
            dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; font-size: 0.92em; }
            dl.summary dt { color: #555; }
            dl.summary dd { margin: 0; }
            table.results { border-collapse: collapse; margin: 10px 0 4px; background: #fff; font-size: 0.92em; }
            table.results caption { text-align: left; color: #555; padding-bottom: 4px; }
            table.results th, table.results td { border: 1px solid #d0d7de; padding: 4px 9px; }
            table.results td { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            table.results thead th { background: #eef2f6; }
            table.results tbody th { text-align: left; }
            table.results tr.total th, table.results tr.total td { border-top: 2px solid #8c959f; }
            table.examples { border-collapse: collapse; background: #fff; font-size: 0.85em; }
            table.examples th, table.examples td { border: 1px solid #e3e6ea; padding: 3px; text-align: center; vertical-align: top; }
            table.examples thead th { background: #eef2f6; }
            table.examples td.empty { color: #888; vertical-align: middle; }
            img.px { image-rendering: pixelated; display: block; }
            img.chart { max-width: 100%; height: auto; display: block; image-rendering: auto; }
            .scroll { overflow-x: auto; }
            .cap { font-size: 0.85em; color: #444; }
            .grid { display: flex; flex-wrap: wrap; gap: 12px; }
            figure { margin: 8px 0; }
            figcaption, .caption { font-size: 0.88em; color: #444; max-width: 980px; }
            .note { background: #fff6d6; border-left: 4px solid #e0b000; padding: 6px 10px; }
            .sw { display: inline-block; width: 0.9em; height: 0.9em; border: 1px solid #777; vertical-align: -0.1em; }
            pre { background: #fff; border: 1px solid #d0d7de; padding: 8px; overflow-x: auto; font-size: 0.82em; }
            footer { color: #666; font-size: 0.85em; padding: 24px; }
            """;
}
