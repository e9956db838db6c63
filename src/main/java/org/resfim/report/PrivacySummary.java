package org.resfim.report;

import com.fasterxml.jackson.databind.JsonNode;
import org.resfim.privacy.PrivacyLedger;
import org.resfim.privacy.PrivacySettings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What each site of a method has spent under {@code privacy.dp} at the end of its runs, from the {@code upload} events
 * of the metrics logs: its uploads, its weight, and its ε at δ recomputed by the accountant for the last round (in
 * central mode every round counts, whether the site was sampled or not; in local mode the uploads do). Over several
 * seeds or folds, the largest ε of a site is reported.
 */
public final class PrivacySummary {
    /** One site's line. */
    public record Row(String site, long uploads, int rounds, double epsilon) {
    }

    private PrivacySummary() {
    }

    public static List<Row> of(PrivacySettings p, List<Path> logs) {
        Map<String, Row> rows = new TreeMap<>();
        for (Path log : logs) {
            List<JsonNode> ups = MetricsLog.readEvents(log, "upload");
            Map<String, Long> count = new TreeMap<>();
            Map<String, Double> weight = new TreeMap<>();
            Map<String, Double> logged = new TreeMap<>(); // the coordinator's own figure after each site's last upload
            int rounds = 0;
            double maxWeight = 0;
            for (JsonNode n : ups) {
                count.merge(n.path("site").asText(), 1L, Long::sum);
                weight.put(n.path("site").asText(), n.path("weight").asDouble());
                logged.put(n.path("site").asText(), n.path("epsilon").isNull() ? Double.POSITIVE_INFINITY : n.path("epsilon").asDouble(Double.NaN));
                maxWeight = Math.max(maxWeight, n.path("weight").asDouble());
                rounds = Math.max(rounds, n.path("round").asInt());
            }
            for (JsonNode n : MetricsLog.readEvents(log, "evaluate")) {
                rounds = Math.max(rounds, n.path("round").asInt());
            }
            PrivacyLedger ledger = new PrivacyLedger();
            for (Map.Entry<String, Long> e : count.entrySet()) {
                // local mode: the coordinator's figure (it also counts uploads it refused); central: every round counts
                double eps = p.mode() == PrivacySettings.Mode.LOCAL ? logged.get(e.getKey())
                        : ledger.epsilon(p, rounds, e.getValue(), weight.get(e.getKey()), maxWeight);
                Row old = rows.get(e.getKey());
                if (old == null || !(old.epsilon() >= eps)) {
                    rows.put(e.getKey(), new Row(e.getKey(), e.getValue(), rounds, eps));
                }
            }
        }
        return new ArrayList<>(rows.values());
    }

    public static String epsilon(double eps) {
        return Double.isInfinite(eps) ? "∞" : Double.isNaN(eps) ? "—" : String.format(Locale.ROOT, "%.3g", eps);
    }

    /** The results.md section: the settings, one row per method and site, and the style windows' ε apart. */
    public static String markdown(PrivacySettings p, Map<String, List<Row>> perMethod, Map<String, Integer> styleWindows) {
        StringBuilder b = new StringBuilder("\n## Privacy\n\n").append(p.describe()).append(" (`privacy:`; README, Privacy).\n");
        if (p.active()) {
            b.append("\n| method | site | uploads | rounds | ε (δ = ").append(p.delta()).append(") |\n|---|---|---|---|---|\n");
            perMethod.forEach((m, rows) -> {
                if (rows.isEmpty()) {
                    b.append("| ").append(m).append(" | (all) | 0 | — | 0 (nothing leaves the sites) |\n");
                }
                rows.forEach(r -> b.append("| ").append(m).append(" | ").append(r.site()).append(" | ").append(r.uploads()).append(" | ")
                        .append(r.rounds()).append(" | ").append(epsilon(r.epsilon())).append(" |\n"));
            });
        }
        styleWindows.forEach((m, w) -> {
            if (w > 0) {
                b.append("\n").append(m).append(": style windows shared once per run, ").append(w).append(" per site: ε = ")
                        .append(p.styleActive() ? epsilon(p.styleEpsilon(w)) : "∞ (no noise)").append(" at δ = ").append(p.delta())
                        .append(" per site, apart from the updates'.\n");
            }
        });
        return b.toString();
    }
}
