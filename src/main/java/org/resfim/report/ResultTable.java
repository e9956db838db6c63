package org.resfim.report;

import org.resfim.federation.ImageScore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The comparison table of a simulation: per method and site the test metrics at the selected round,
 * mean ± std over seeds (population std), the average over sites unweighted and weighted by test-set
 * size, and the paired per-image Dice difference with the reference method (bootstrap 95% CI,
 * Wilcoxon signed-rank p).
 */
public final class ResultTable {
    public static final List<String> METRICS = List.of("dice", "iou", "sensitivity", "specificity", "hd95");

    private final List<String> methods;
    private final List<String> sites;
    private final List<Long> seeds;
    private final String reference;
    /** method → site → metric → per-seed values. */
    private final Map<String, Map<String, Map<String, List<Double>>>> perSite = new LinkedHashMap<>();
    /** method → "avg"/"wavg" → metric → per-seed values. */
    private final Map<String, Map<String, Map<String, List<Double>>>> averages = new LinkedHashMap<>();
    private final Map<String, PairedStatistics.Result> paired = new LinkedHashMap<>();
    private final Map<String, Map<String, PairedStatistics.Result>> pairedPerSite = new LinkedHashMap<>();
    private final Map<String, Map<String, Double>> selectedRounds = new LinkedHashMap<>();
    /** Sites whose selected round is their last one because they have no validation images, in site order. */
    private final List<String> withoutValidation = new ArrayList<>();

    public ResultTable(List<EvalRecord> records, List<String> methods, List<String> sites, List<Long> seeds, int firstRound,
                       String reference, int bootstrap) {
        this.methods = methods;
        this.sites = sites;
        this.seeds = seeds;
        this.reference = reference == null || reference.isBlank() ? methods.get(0) : reference;
        if (!methods.contains(this.reference)) {
            throw new IllegalArgumentException("evaluation.reference '" + reference + "' is not one of the methods " + methods);
        }
        Map<Selection.Key, Selection.Selected> sel = Selection.select(records, firstRound);
        // per (method, seed, site): all selected test images across folds
        Map<String, Map<Long, Map<String, List<ImageScore>>>> images = new LinkedHashMap<>();
        sel.forEach((k, s) -> {
            images.computeIfAbsent(k.method(), x -> new LinkedHashMap<>()).computeIfAbsent(k.seed(), x -> new LinkedHashMap<>())
                    .computeIfAbsent(k.site(), x -> new ArrayList<>()).addAll(tag(s.test(), k.fold()));
            selectedRounds.computeIfAbsent(k.method(), x -> new LinkedHashMap<>()).merge(k.site(), (double) s.round() / countFor(sel, k), Double::sum);
        });
        for (String site : sites) {
            if (sel.entrySet().stream().anyMatch(e -> e.getKey().site().equals(site) && e.getValue().lastRoundWithoutValidation())) {
                withoutValidation.add(site);
            }
        }
        for (String m : methods) {
            Map<String, Map<String, List<Double>>> bySite = new LinkedHashMap<>();
            Map<String, Map<String, List<Double>>> avg = new LinkedHashMap<>();
            for (long seed : seeds) {
                Map<String, List<ImageScore>> siteImgs = images.getOrDefault(m, Map.of()).getOrDefault(seed, Map.of());
                Map<String, double[]> siteMeans = new LinkedHashMap<>();
                for (String site : sites) {
                    List<ImageScore> imgs = siteImgs.get(site);
                    if (imgs == null || imgs.isEmpty()) {
                        continue;
                    }
                    double[] means = new double[METRICS.size()];
                    for (int i = 0; i < METRICS.size(); i++) {
                        means[i] = mean(imgs, metric(METRICS.get(i)));
                        bySite.computeIfAbsent(site, x -> new LinkedHashMap<>()).computeIfAbsent(METRICS.get(i), x -> new ArrayList<>()).add(means[i]);
                    }
                    siteMeans.put(site, means);
                }
                if (siteMeans.size() == sites.size()) {
                    for (int i = 0; i < METRICS.size(); i++) {
                        double u = 0;
                        double w = 0;
                        double wsum = 0;
                        for (String site : sites) {
                            double v = siteMeans.get(site)[i];
                            int n = siteImgs.get(site).size();
                            u += v;
                            w += n * v;
                            wsum += n;
                        }
                        avg.computeIfAbsent("avg", x -> new LinkedHashMap<>()).computeIfAbsent(METRICS.get(i), x -> new ArrayList<>()).add(u / sites.size());
                        avg.computeIfAbsent("wavg", x -> new LinkedHashMap<>()).computeIfAbsent(METRICS.get(i), x -> new ArrayList<>()).add(w / wsum);
                    }
                }
            }
            perSite.put(m, bySite);
            averages.put(m, avg);
        }
        for (String m : methods) {
            List<Double> all = new ArrayList<>();
            Map<String, PairedStatistics.Result> ps = new LinkedHashMap<>();
            for (String site : sites) {
                List<Double> d = new ArrayList<>();
                for (long seed : seeds) {
                    Map<String, Double> mine = byId(images, m, seed, site);
                    Map<String, Double> ref = byId(images, this.reference, seed, site);
                    mine.forEach((id, v) -> {
                        Double r = ref.get(id);
                        if (r != null) {
                            d.add(v - r);
                        }
                    });
                }
                all.addAll(d);
                ps.put(site, PairedStatistics.compare(d.stream().mapToDouble(Double::doubleValue).toArray(), bootstrap, 17 + site.hashCode()));
            }
            paired.put(m, PairedStatistics.compare(all.stream().mapToDouble(Double::doubleValue).toArray(), bootstrap, 17));
            pairedPerSite.put(m, ps);
        }
    }

    private static int countFor(Map<Selection.Key, Selection.Selected> sel, Selection.Key k) {
        int n = 0;
        for (Selection.Key o : sel.keySet()) {
            if (o.method().equals(k.method()) && o.site().equals(k.site())) {
                n++;
            }
        }
        return n;
    }

    private static List<ImageScore> tag(List<ImageScore> s, int fold) {
        List<ImageScore> out = new ArrayList<>();
        for (ImageScore i : s) {
            out.add(new ImageScore(i.split(), "fold" + fold + "/" + i.imageId(), i.metrics()));
        }
        return out;
    }

    private static Map<String, Double> byId(Map<String, Map<Long, Map<String, List<ImageScore>>>> images, String m, long seed, String site) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (ImageScore i : images.getOrDefault(m, Map.of()).getOrDefault(seed, Map.of()).getOrDefault(site, List.of())) {
            out.put(i.imageId(), i.metrics().dice());
        }
        return out;
    }

    static ToDoubleFunction<ImageScore> metric(String name) {
        return switch (name) {
            case "dice" -> i -> i.metrics().dice();
            case "iou" -> i -> i.metrics().iou();
            case "sensitivity" -> i -> i.metrics().sensitivity();
            case "specificity" -> i -> i.metrics().specificity();
            case "hd95" -> i -> i.metrics().hd95();
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static double mean(List<ImageScore> imgs, ToDoubleFunction<ImageScore> f) {
        return imgs.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    static double meanOf(List<Double> v) {
        return v == null || v.isEmpty() ? Double.NaN : v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    static double stdOf(List<Double> v) {
        if (v == null || v.isEmpty()) {
            return Double.NaN;
        }
        double m = meanOf(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / v.size());
    }

    // ------------------------------------------------------------------ accessors

    public String reference() {
        return reference;
    }

    public List<String> methods() {
        return methods;
    }

    public List<String> sites() {
        return sites;
    }

    /** Mean over seeds of a site's metric (NaN when the site has no selected round). */
    public double siteMean(String method, String site, String metric) {
        return meanOf(perSite.get(method).getOrDefault(site, Map.of()).get(metric));
    }

    public double siteStd(String method, String site, String metric) {
        return stdOf(perSite.get(method).getOrDefault(site, Map.of()).get(metric));
    }

    /** {@code which} = "avg" (unweighted over sites) or "wavg" (weighted by test-set size). */
    public double average(String method, String which, String metric) {
        return meanOf(averages.get(method).getOrDefault(which, Map.of()).get(metric));
    }

    public double averageStd(String method, String which, String metric) {
        return stdOf(averages.get(method).getOrDefault(which, Map.of()).get(metric));
    }

    public PairedStatistics.Result paired(String method) {
        return paired.get(method);
    }

    public PairedStatistics.Result paired(String method, String site) {
        return pairedPerSite.get(method).get(site);
    }

    // ------------------------------------------------------------------ rendering

    /**
     * A cell of per-seed values: "—" without any, the value alone from one seed (a ± of a single value would
     * always read 0.00), "mean ± std" (population) from several.
     */
    public static String cell(List<Double> perSeed, double scale) {
        double mean = meanOf(perSeed);
        if (Double.isNaN(mean)) {
            return "—";
        }
        if (perSeed.size() == 1) {
            return String.format(Locale.ROOT, "%.2f", mean * scale);
        }
        return String.format(Locale.ROOT, "%.2f ± %.2f", mean * scale, stdOf(perSeed) * scale);
    }

    /** The cell of a site's metric over seeds ({@link #cell}). */
    public String siteCell(String method, String site, String metric, double scale) {
        return cell(perSite.get(method).getOrDefault(site, Map.of()).get(metric), scale);
    }

    /** The cell of an average over sites ("avg" or "wavg") over seeds ({@link #cell}). */
    public String averageCell(String method, String which, String metric, double scale) {
        return cell(averages.get(method).getOrDefault(which, Map.of()).get(metric), scale);
    }

    /** How the cells summarise seeds, said once: "one seed" or "mean ± std over 3 seeds". */
    public String overSeeds() {
        return seeds.size() == 1 ? "one seed" : "mean ± std over " + seeds.size() + " seeds";
    }

    /** Markdown: Dice (%) per site, averages, and the paired comparison; then the other metrics' averages. */
    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("| method |");
        sites.forEach(s -> sb.append(' ').append(s).append(" |"));
        sb.append(" avg | weighted avg | ΔDice vs ").append(reference).append(" [95% CI] | p (Wilcoxon) |\n|---|");
        sites.forEach(s -> sb.append("---:|"));
        sb.append("---:|---:|---:|---:|\n");
        for (String m : methods) {
            sb.append("| ").append(m).append(" |");
            for (String s : sites) {
                sb.append(' ').append(siteCell(m, s, "dice", 100)).append(" |");
            }
            sb.append(' ').append(averageCell(m, "avg", "dice", 100)).append(" |");
            sb.append(' ').append(averageCell(m, "wavg", "dice", 100)).append(" |");
            sb.append(' ').append(delta(m)).append(" |");
            PairedStatistics.Result p = paired(m);
            sb.append(' ').append(m.equals(reference) || p.n() == 0 ? "—" : String.format(Locale.ROOT, "%.3g", p.wilcoxonP())).append(" |\n");
        }
        sb.append("\nDice in %, test images at each site's ").append(selectionRule())
                .append("; " + overSeeds() + ". Δ: paired per-image Dice difference (points).\n\n");
        sb.append("| method | Dice | IoU | sensitivity | specificity | HD95 (px) |\n|---|---:|---:|---:|---:|---:|\n");
        for (String m : methods) {
            sb.append("| ").append(m).append(" |");
            for (String metric : METRICS) {
                double scale = metric.equals("hd95") ? 1 : 100;
                sb.append(' ').append(averageCell(m, "avg", metric, scale)).append(" |");
            }
            sb.append('\n');
        }
        sb.append("\nAverages over sites (unweighted); IoU, sensitivity, specificity in %.\n");
        return sb.toString();
    }

    private String delta(String m) {
        if (m.equals(reference)) {
            return "(reference)";
        }
        PairedStatistics.Result p = paired(m);
        if (p.n() == 0) {
            return "—";
        }
        return String.format(Locale.ROOT, "%+.2f [%+.2f, %+.2f]", 100 * p.meanDifference(), 100 * p.ciLow(), 100 * p.ciHigh());
    }

    /** Long-format CSV: one line per method, site (or average), metric. */
    public String csv() {
        StringBuilder sb = new StringBuilder("method,site,metric,mean,std,seeds,delta_dice_vs_reference,ci_low,ci_high,wilcoxon_p,pairs\n");
        for (String m : methods) {
            for (String s : sites) {
                PairedStatistics.Result p = paired(m, s);
                for (String metric : METRICS) {
                    List<Double> v = perSite.get(m).getOrDefault(s, Map.of()).get(metric);
                    sb.append(String.join(",", m, s, metric, num(meanOf(v)), num(stdOf(v)), Integer.toString(v == null ? 0 : v.size()),
                            metric.equals("dice") ? stats(p) : ",,,,")).append('\n');
                }
            }
            for (String which : List.of("avg", "wavg")) {
                for (String metric : METRICS) {
                    List<Double> v = averages.get(m).getOrDefault(which, Map.of()).get(metric);
                    sb.append(String.join(",", m, which.equals("avg") ? "(average)" : "(weighted average)", metric, num(meanOf(v)), num(stdOf(v)),
                            Integer.toString(v == null ? 0 : v.size()), metric.equals("dice") && which.equals("avg") ? stats(paired(m)) : ",,,,")).append('\n');
                }
            }
        }
        return sb.toString();
    }

    private static String stats(PairedStatistics.Result p) {
        return String.join(",", num(p.meanDifference()), num(p.ciLow()), num(p.ciHigh()), num(p.wilcoxonP()), Integer.toString(p.n()));
    }

    private static String num(double v) {
        if (Double.isNaN(v)) {
            return "";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }

    /** LaTeX tabular of the main Dice table. */
    public String latex() {
        StringBuilder sb = new StringBuilder();
        sb.append("\\begin{tabular}{l").append("r".repeat(sites.size() + 3)).append("}\n\\hline\nMethod");
        sites.forEach(s -> sb.append(" & ").append(tex(s)));
        sb.append(" & Avg & W.\\ avg & $\\Delta$Dice [95\\% CI] \\\\\n\\hline\n");
        for (String m : methods) {
            sb.append(tex(m));
            for (String s : sites) {
                sb.append(" & ").append(tex(siteCell(m, s, "dice", 100)));
            }
            sb.append(" & ").append(tex(averageCell(m, "avg", "dice", 100)));
            sb.append(" & ").append(tex(averageCell(m, "wavg", "dice", 100)));
            sb.append(" & ").append(tex(delta(m))).append(" \\\\\n");
        }
        sb.append("\\hline\n\\end{tabular}\n");
        return sb.toString();
    }

    private static String tex(String s) {
        return s.replace("\\", "\\textbackslash{}").replace("_", "\\_").replace("%", "\\%").replace("&", "\\&").replace("#", "\\#")
                .replace("—", "--").replace("±", "$\\pm$");
    }

    /**
     * HTML: the Dice table of {@link #markdown()} (the best average in bold) and the other metrics' averages,
     * as two {@code <table>} elements with a caption each; names are escaped.
     */
    public String html() {
        StringBuilder sb = new StringBuilder();
        String best = null;
        for (String m : methods) {
            double v = average(m, "avg", "dice");
            if (!Double.isNaN(v) && (best == null || v > average(best, "avg", "dice"))) {
                best = m;
            }
        }
        sb.append("<table class=\"results\" id=\"comparison\">\n<caption>Dice (%) on the test images at each site's selected round, " + overSeeds() + "</caption>\n<thead><tr><th>method</th>");
        sites.forEach(s -> sb.append("<th>").append(esc(s)).append("</th>"));
        sb.append("<th>avg</th><th>weighted avg</th><th>ΔDice vs ").append(esc(reference)).append(" [95% CI]</th><th>p (Wilcoxon)</th></tr></thead>\n<tbody>\n");
        for (String m : methods) {
            sb.append("<tr><th scope=\"row\">").append(esc(m)).append("</th>");
            for (String s : sites) {
                sb.append("<td>").append(siteCell(m, s, "dice", 100)).append("</td>");
            }
            String avg = averageCell(m, "avg", "dice", 100);
            sb.append("<td>").append(m.equals(best) ? "<b>" + avg + "</b>" : avg).append("</td>");
            sb.append("<td>").append(averageCell(m, "wavg", "dice", 100)).append("</td>");
            sb.append("<td>").append(esc(delta(m))).append("</td>");
            PairedStatistics.Result p = paired(m);
            sb.append("<td>").append(m.equals(reference) || p.n() == 0 ? "—" : String.format(Locale.ROOT, "%.3g", p.wilcoxonP())).append("</td></tr>\n");
        }
        sb.append("</tbody>\n</table>\n");
        sb.append("<table class=\"results\" id=\"metrics\">\n<caption>Averages over sites (unweighted); Dice, IoU, sensitivity, specificity in %, HD95 in pixels</caption>\n"
                + "<thead><tr><th>method</th><th>Dice</th><th>IoU</th><th>sensitivity</th><th>specificity</th><th>HD95 (px)</th></tr></thead>\n<tbody>\n");
        for (String m : methods) {
            sb.append("<tr><th scope=\"row\">").append(esc(m)).append("</th>");
            for (String metric : METRICS) {
                double scale = metric.equals("hd95") ? 1 : 100;
                sb.append("<td>").append(averageCell(m, "avg", metric, scale)).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</tbody>\n</table>\n");
        return sb.toString();
    }

    /** Text escaped for HTML element content and attribute values. */
    public static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Sites without validation images, whose test scores and models are those of their last round (site order). */
    public List<String> sitesWithoutValidation() {
        return List.copyOf(withoutValidation);
    }

    /**
     * What model selection did where it could not use validation Dice, e.g. {@code "BIDMC, HK: last round: no
     * validation images"}; empty when every site has validation images.
     */
    public String selectionNote() {
        if (withoutValidation.isEmpty()) {
            return "";
        }
        return String.join(", ", withoutValidation) + ": last round: no validation images";
    }

    /**
     * Which round a site's test scores come from, as the captions say it: "best validation round after the first
     * half of training", with the sites without validation images named ("last round: no validation images"), or
     * "last round (…)" when no site has validation images.
     */
    public String selectionRule() {
        if (withoutValidation.isEmpty()) {
            return "best validation round after the first half of training";
        }
        if (withoutValidation.size() == sites.size()) {
            return "last round (" + selectionNote() + ")";
        }
        return "best validation round after the first half of training (" + selectionNote() + ")";
    }

    /** Selected round per method and site (mean over seeds and folds). */
    public Map<String, Map<String, Double>> selectedRounds() {
        return selectedRounds;
    }

}
