package org.resfim.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.resfim.federation.ImageScore;
import org.resfim.metrics.MetricSummary;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.resfim.state.Jackson;

/**
 * Per-round metrics of one run as JSON lines, one object per event ({@code fit}, {@code upload}: what an accepted
 * upload weighed in the aggregation, {@code evaluate}, {@code failure}); flushed line by line so a killed run keeps everything up to the kill.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = Jackson.MAPPER;
    private final Path file;
    private BufferedWriter out;

    public MetricsLog(Path file) {
        this.file = file;
    }

    /** Keeps only the lines of rounds ≤ {@code lastRound} (a resumed run rewrites what follows). */
    public void truncateAfter(int lastRound) {
        if (!Files.exists(file)) {
            return;
        }
        try {
            List<String> keep = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    if (JSON.readTree(line).path("round").asInt() <= lastRound) {
                        keep.add(line);
                    }
                } catch (IOException partial) {
                    // a line cut by a kill: dropped, its round is rerun
                }
            }
            Files.write(file, keep, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public synchronized void write(ObjectNode node) {
        try {
            if (out == null) {
                Files.createDirectories(file.getParent());
                out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            out.write(JSON.writeValueAsString(node));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    public static ObjectNode node() {
        return JSON.createObjectNode();
    }

    public void fit(int round, String site, Map<String, Double> stats) {
        ObjectNode n = node().put("event", "fit").put("round", round).put("site", site);
        stats.forEach((k, v) -> n.put(k, v));
        write(n);
    }

    /** A FIT answer with the training-sample count the site reported. */
    public void fit(int round, String site, long numSamples, Map<String, Double> stats) {
        ObjectNode n = node().put("event", "fit").put("round", round).put("site", site).put("num_samples", numSamples);
        stats.forEach((k, v) -> n.put(k, v));
        write(n);
    }

    /** What an accepted upload weighed in the aggregation of {@code round}. */
    public void upload(int round, org.resfim.federation.UploadSummary u) {
        ObjectNode n = node().put("event", "upload").put("round", round).put("site", u.site()).put("num_samples", u.numSamples())
                .put("weight", u.weight()).put("update_norm", u.updateNorm()).put("clipped", u.clipped());
        if (!Double.isNaN(u.epsilon())) { // under privacy.dp: the site's epsilon after the round (null = infinite)
            if (Double.isInfinite(u.epsilon())) {
                n.putNull("epsilon");
            } else {
                n.put("epsilon", u.epsilon());
            }
        }
        write(n);
    }

    public void evaluate(EvalRecord r) {
        ObjectNode n = node().put("event", "evaluate").put("round", r.round()).put("site", r.site())
                .put("method", r.method()).put("seed", r.seed()).put("fold", r.fold());
        n.put("val_dice", r.valDice());
        n.put("test_dice", r.mean("test", i -> i.metrics().dice()));
        ArrayNode imgs = n.putArray("images");
        for (ImageScore s : r.scores()) {
            MetricSummary m = s.metrics();
            imgs.addObject().put("split", s.split()).put("id", s.imageId()).put("dice", m.dice()).put("iou", m.iou())
                    .put("sensitivity", m.sensitivity()).put("specificity", m.specificity()).put("hd95", m.hd95());
        }
        write(n);
    }

    public void failure(int round, String phase, String site, String message, boolean permanent) {
        write(node().put("event", "failure").put("round", round).put("phase", phase).put("site", site)
                .put("message", message).put("permanent", permanent));
    }

    /** The evaluation records of a log (for results and resume). */
    public static List<EvalRecord> readEvaluations(Path file) {
        List<EvalRecord> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (IOException partial) {
                    continue;
                }
                if (!"evaluate".equals(n.path("event").asText())) {
                    continue;
                }
                List<ImageScore> scores = new ArrayList<>();
                for (JsonNode i : n.path("images")) {
                    scores.add(new ImageScore(i.path("split").asText(), i.path("id").asText(), new MetricSummary(
                            i.path("dice").asDouble(), i.path("iou").asDouble(), i.path("sensitivity").asDouble(),
                            i.path("specificity").asDouble(), i.path("hd95").asDouble())));
                }
                out.add(new EvalRecord(n.path("method").asText(), n.path("seed").asLong(), n.path("fold").asInt(),
                        n.path("round").asInt(), n.path("site").asText(), scores));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The lines of one event ({@code fit}, {@code evaluate}, {@code failure}) of a log, in file order; lines cut by a kill are skipped. */
    public static List<JsonNode> readEvents(Path file, String event) {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    JsonNode n = JSON.readTree(line);
                    if (event.equals(n.path("event").asText())) {
                        out.add(n);
                    }
                } catch (IOException partial) {
                    // a line cut by a kill
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return out;
    }

    @Override
    public void close() {
        try {
            if (out != null) {
                out.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
