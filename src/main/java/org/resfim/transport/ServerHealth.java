package org.resfim.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.resfim.state.Jackson;

/**
 * What an operator sees of a running server, as JSON ({@link #json}) and in Prometheus' text format
 * ({@link #prometheus}, rendered from the same JSON so the two never disagree): where the run is (method × seed,
 * round, rounds of the plan done), which sites are connected, each site's last answer and last upload (FIT) with
 * their time, round and bytes, how many of its answers were accepted and rejected, and how many connections or
 * streams the server refused. Thread-safe: answers arrive on transport threads.
 */
public final class ServerHealth {
    private static final ObjectMapper JSON = Jackson.MAPPER;

    /** One answer as the operator sees it. */
    private record Seen(Instant at, String run, long seed, String phase, int round, long bytes, String rejected) {
        ObjectNode json() {
            ObjectNode n = JSON.createObjectNode();
            n.put("at", at.toString()).put("at_epoch_seconds", at.toEpochMilli() / 1000.0).put("run", run).put("seed", seed)
                    .put("phase", phase).put("round", round).put("bytes", bytes).put("accepted", rejected == null);
            if (rejected != null) {
                n.put("rejected", rejected);
            }
            return n;
        }
    }

    private static final class SiteView {
        Seen lastAnswer;
        Seen lastUpload;
        long accepted;
        long rejected;
    }

    private final List<String> sites;
    private final Map<String, SiteView> views = new LinkedHashMap<>();

    public ServerHealth(List<String> sites) {
        this.sites = List.copyOf(sites);
        for (String s : sites) {
            views.put(s, new SiteView());
        }
    }

    /** One answer from {@code site} (the server's audit sees every one); {@code rejected} is why it was not used, or null. */
    public synchronized void answer(String site, String run, long seed, String phase, int round, long wireBytes, String rejected) {
        SiteView v = views.computeIfAbsent(site, s -> new SiteView());
        Seen seen = new Seen(Instant.now(), run, seed, phase.toLowerCase(Locale.ROOT), round, wireBytes, rejected);
        v.lastAnswer = seen;
        if (seen.phase().equals("fit")) {
            v.lastUpload = seen;
        }
        if (rejected == null) {
            v.accepted++;
        } else {
            v.rejected++;
        }
    }

    /**
     * The operator's view: {@code status} (what {@code status.json} holds: run, round, step, rounds done and total,
     * state), the connected sites, every site's answers, and the refusals.
     */
    public synchronized ObjectNode json(JsonNode status, Set<String> connected, long refusals, String lastRefusal) {
        ObjectNode n = JSON.createObjectNode();
        n.put("state", status.path("state").asText("running"));
        for (String k : List.of("run", "round", "step", "rounds_done", "rounds_total", "plan_sha256", "address")) {
            if (status.has(k)) {
                n.set(k, status.get(k).deepCopy());
            }
        }
        ArrayNode all = n.putArray("sites");
        sites.forEach(all::add);
        ArrayNode on = n.putArray("connected");
        connected.forEach(on::add);
        n.put("sites_connected", connected.size());
        ObjectNode per = n.putObject("site");
        views.forEach((site, v) -> {
            ObjectNode s = per.putObject(site);
            s.put("connected", connected.contains(site));
            s.set("last_answer", v.lastAnswer == null ? null : v.lastAnswer.json());
            s.set("last_upload", v.lastUpload == null ? null : v.lastUpload.json());
            s.put("answers_accepted", v.accepted).put("answers_rejected", v.rejected);
        });
        n.putObject("refusals").put("count", refusals).put("last", lastRefusal);
        n.put("now", Instant.now().toString());
        return n;
    }

    /** The same figures in Prometheus' text exposition format (version 0.0.4). */
    public static String prometheus(JsonNode view) {
        StringBuilder b = new StringBuilder();
        gauge(b, "resfim_rounds_done", "Rounds of the plan completed, over all methods and seeds.", "", view.path("rounds_done").asLong(0));
        gauge(b, "resfim_rounds_total", "Rounds the plan runs, over all methods and seeds.", "", view.path("rounds_total").asLong(0));
        gauge(b, "resfim_round", "Round of the run (method and seed) in progress.", view.has("run")
                ? "{run=\"" + label(view.path("run").asText()) + "\"}" : "", view.path("round").asLong(0));
        gauge(b, "resfim_complete", "1 once every run of the plan is complete.", "", "complete".equals(view.path("state").asText()) ? 1 : 0);
        gauge(b, "resfim_sites", "Sites of the federation.", "", view.path("sites").size());
        gauge(b, "resfim_sites_connected", "Sites connected now.", "", view.path("sites_connected").asLong(0));
        header(b, "resfim_site_connected", "1 while the site is connected.", "gauge");
        view.path("site").fields().forEachRemaining(e -> sample(b, "resfim_site_connected", site(e.getKey()), e.getValue().path("connected").asBoolean() ? 1 : 0));
        header(b, "resfim_site_last_answer_timestamp_seconds", "When the site's last answer (any phase) arrived, Unix time.", "gauge");
        view.path("site").fields().forEachRemaining(e -> {
            JsonNode a = e.getValue().path("last_answer");
            if (a.isObject()) {
                sample(b, "resfim_site_last_answer_timestamp_seconds", site(e.getKey()), a.path("at_epoch_seconds").asDouble());
            }
        });
        header(b, "resfim_site_last_upload_timestamp_seconds", "When the site's last upload (a FIT answer) arrived, Unix time.", "gauge");
        view.path("site").fields().forEachRemaining(e -> {
            JsonNode u = e.getValue().path("last_upload");
            if (u.isObject()) {
                sample(b, "resfim_site_last_upload_timestamp_seconds", site(e.getKey()), u.path("at_epoch_seconds").asDouble());
            }
        });
        header(b, "resfim_site_last_upload_round", "Round of the site's last upload.", "gauge");
        view.path("site").fields().forEachRemaining(e -> {
            JsonNode u = e.getValue().path("last_upload");
            if (u.isObject()) {
                sample(b, "resfim_site_last_upload_round", site(e.getKey()), u.path("round").asLong());
            }
        });
        header(b, "resfim_site_last_upload_bytes", "Bytes on the wire of the site's last upload.", "gauge");
        view.path("site").fields().forEachRemaining(e -> {
            JsonNode u = e.getValue().path("last_upload");
            if (u.isObject()) {
                sample(b, "resfim_site_last_upload_bytes", site(e.getKey()), u.path("bytes").asLong());
            }
        });
        header(b, "resfim_site_answers_total", "Answers received from the site, by whether they were used.", "counter");
        view.path("site").fields().forEachRemaining(e -> {
            sample(b, "resfim_site_answers_total", "{site=\"" + label(e.getKey()) + "\",result=\"accepted\"}", e.getValue().path("answers_accepted").asLong());
            sample(b, "resfim_site_answers_total", "{site=\"" + label(e.getKey()) + "\",result=\"rejected\"}", e.getValue().path("answers_rejected").asLong());
        });
        header(b, "resfim_refusals_total", "Connections and streams the server refused (not allowed, wrong plan, over a limit, no Hello).", "counter");
        sample(b, "resfim_refusals_total", "", view.path("refusals").path("count").asLong());
        return b.toString();
    }

    private static void gauge(StringBuilder b, String name, String help, String labels, double value) {
        header(b, name, help, "gauge");
        sample(b, name, labels, value);
    }

    private static void header(StringBuilder b, String name, String help, String type) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder b, String name, String labels, double value) {
        b.append(name).append(labels).append(' ');
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            b.append((long) value);
        } else {
            b.append(String.format(Locale.ROOT, "%.3f", value));
        }
        b.append('\n');
    }

    private static String site(String site) {
        return "{site=\"" + label(site) + "\"}";
    }

    /** A label value escaped as the text format requires: backslash, double quote and line feed. */
    static String label(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
