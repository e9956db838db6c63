package org.resfim.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.resfim.federation.ImageScore;
import org.resfim.federation.Message;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.resfim.state.Jackson;

/**
 * What left a site, message by message, as JSON lines: run, round, kind, the training-sample count it reported,
 * every tensor's name, shape and element count, the personal (masked, sent as zero) elements, the bytes on the wire, style-bank shapes, and how many
 * per-image scores and which statistics. The site writes it for what it sends ({@code STATE_DIR/audit.jsonl});
 * the server writes the same record for what it receives ({@code RUN_DIR/audit/SITE.jsonl}), so the two views
 * can be compared line by line. The server adds one record of its own per accepted upload ({@value #AGGREGATED}: the
 * sample count, weight and update norm it aggregated with). {@code resfim audit DIR} prints them as a table.
 */
public final class Audit implements AutoCloseable {
    public static final String SITE_FILE = "audit.jsonl";
    public static final String SERVER_DIR = "audit";
    /** Tensors (and style-bank windows) listed one by one in a record; a larger message is summarised by its totals. */
    public static final int MAX_LISTED = 512;
    private static final ObjectMapper JSON = Jackson.MAPPER;
    private final Path file;
    private BufferedWriter out;
    /** Plain stream, not an NIO channel: an interrupt of the writing thread must not close the file and lose the record. */
    private java.io.FileOutputStream stream;

    public Audit(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** The record of one message from {@code site}; {@code error} when the site answered with a failure. */
    public static ObjectNode record(String site, String run, long seed, String kind, int round, Message m, long wireBytes,
                                    long numSamples, List<ImageScore> scores, Map<String, Double> stats, String error) {
        ObjectNode n = JSON.createObjectNode();
        n.put("site", site).put("run", run).put("seed", seed).put("round", round).put("kind", kind).put("num_samples", numSamples);
        ArrayNode tensors = n.putArray("tensors");
        ArrayNode bank = n.putArray("style_bank");
        long elements = 0;
        long personal = 0;
        int unlisted = 0;
        if (m != null) {
            for (Tensor t : m.tensors().tensors()) {
                long p = m.mask() != null && m.mask().contains(t.name()) ? m.mask().count(t.name()) : 0;
                elements += t.size();
                personal += p;
                if (tensors.size() + bank.size() >= MAX_LISTED) {
                    unlisted++; // a large upload is summarised: its totals, not a line per tensor
                    continue;
                }
                ObjectNode o = tensors.addObject().put("name", t.name()).put("shape", Arrays.toString(t.shape())).put("elements", t.size());
                if (p > 0) {
                    o.put("personal", p);
                }
                if (t.role() == TensorRole.STYLE_AMPLITUDE) {
                    bank.addObject().put("name", t.name()).put("shape", Arrays.toString(t.shape()));
                }
            }
        }
        if (unlisted > 0) {
            n.put("tensors_not_listed", unlisted);
        }
        n.put("elements", elements).put("personal_elements", personal).put("bytes", wireBytes);
        if (m != null && !m.sections().isEmpty()) {
            // secure aggregation: what left besides tensors (a masked ring vector, sealed shares), by name, type and size
            ArrayNode sec = n.putArray("sections");
            int listed = 0;
            for (String name : m.sections().names()) {
                if (listed++ >= MAX_LISTED) {
                    n.put("sections_not_listed", m.sections().size() - MAX_LISTED);
                    break;
                }
                sec.addObject().put("name", name).put("type", m.sections().type(name).name().toLowerCase(java.util.Locale.ROOT))
                        .put("elements", m.sections().count(name));
            }
        }
        Map<String, Integer> splits = new TreeMap<>();
        if (scores != null) {
            for (ImageScore s : scores) {
                splits.merge(s.split(), 1, Integer::sum);
            }
        }
        ObjectNode sc = n.putObject("scores");
        splits.forEach(sc::put);
        ArrayNode st = n.putArray("stats");
        if (stats != null) {
            new TreeMap<>(stats).keySet().forEach(st::add);
        }
        if (error != null && !error.isEmpty()) {
            n.put("error", LogText.message(error));
        }
        return n;
    }

    /** Kind of the records only the server writes: what an accepted upload weighed in the aggregation. */
    public static final String AGGREGATED = "aggregated";

    /**
     * The server's record of how an accepted upload of {@code round} entered the aggregation: the sample count it was
     * weighed by, its weight, the L2 norm of its update and whether it was clipped. The site has no such record.
     */
    public static ObjectNode aggregated(String site, String run, long seed, int round, long numSamples, double weight, double updateNorm,
                                        boolean clipped) {
        ObjectNode n = JSON.createObjectNode();
        n.put("site", site).put("run", run).put("seed", seed).put("round", round).put("kind", AGGREGATED).put("num_samples", numSamples)
                .put("weight", weight).put("update_norm", updateNorm).put("clipped", clipped);
        return n;
    }

    /**
     * Appends {@code record} with a time stamp, one line, on disk (fsync'ed) when this returns, also on a thread that
     * has been interrupted (a site's worker stopped while it records an answer that could not be sent).
     */
    public synchronized void write(ObjectNode record) {
        ObjectNode n = record.deepCopy();
        n.put("time", Instant.now().toString());
        try {
            if (out == null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
                stream = new java.io.FileOutputStream(file.toFile(), true);
                out = new BufferedWriter(new java.io.OutputStreamWriter(stream, StandardCharsets.UTF_8));
            }
            out.write(JSON.writeValueAsString(n));
            out.write('\n');
            out.flush();
            stream.getFD().sync();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the audit log " + file, e);
        }
    }

    @Override
    public synchronized void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // nothing more to write
            }
            out = null;
            stream = null;
        }
    }

    /** The records of one audit file, without their time stamps (for comparing two views). */
    public static List<JsonNode> read(Path file) {
        List<JsonNode> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    ObjectNode n = (ObjectNode) JSON.readTree(line);
                    n.remove("time");
                    out.add(n);
                } catch (IOException partial) {
                    // a line cut by a kill
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return out;
    }

    /** Audit files under {@code dir}: a site's {@code audit.jsonl} files and a server's {@code audit/*.jsonl}. */
    public static List<Path> find(Path dir) {
        if (Files.isRegularFile(dir)) {
            return List.of(dir);
        }
        try (Stream<Path> s = Files.walk(dir, 6)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().equals(SITE_FILE)
                            || (p.getParent() != null && p.getParent().getFileName().toString().equals(SERVER_DIR)
                            && p.getFileName().toString().endsWith(".jsonl")))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /** The records of {@code files} as a table, one row per message, and the totals per site. */
    public static String table(List<Path> files, Path base) {
        StringBuilder sb = new StringBuilder();
        for (Path f : files) {
            List<JsonNode> recs = read(f);
            boolean serverView = f.getParent() != null && f.getParent().getFileName().toString().equals(SERVER_DIR);
            sb.append("## ").append(base == null ? f : base.relativize(f.toAbsolutePath().normalize()))
                    .append(serverView ? "  (server's view: what it received)" : "  (site's view: what it sent)").append("\n\n");
            sb.append(String.format(Locale.ROOT, "| %-14s | %-22s | %5s | %-10s | %7s | %10s | %9s | %12s | %10s | %-22s | %-13s |%n",
                    "site", "run", "round", "kind", "tensors", "elements", "personal", "bytes", "samples", "style bank", "scores"));
            sb.append("|----------------|------------------------|------:|------------|--------:|-----------:|----------:|-------------:|-----------:|"
                    + "------------------------|---------------|\n");
            Map<String, long[]> totals = new TreeMap<>();
            for (JsonNode n : recs) {
                List<String> bank = new ArrayList<>();
                n.path("style_bank").forEach(b -> bank.add(b.path("shape").asText()));
                List<String> sc = new ArrayList<>();
                n.path("scores").fields().forEachRemaining(e -> sc.add(e.getValue().asInt() + " " + e.getKey()));
                String kind = n.path("kind").asText() + (n.has("error") ? " (error)" : "");
                if (AGGREGATED.equals(n.path("kind").asText())) {
                    // the server's own record: what the upload weighed; its update norm in the last column
                    sc.add(String.format(Locale.ROOT, "norm %.4g%s", n.path("update_norm").asDouble(), n.path("clipped").asBoolean() ? " clipped" : ""));
                }
                sb.append(String.format(Locale.ROOT, "| %-14s | %-22s | %5d | %-10s | %7d | %10d | %9d | %12d | %10s | %-22s | %-13s |%n",
                        n.path("site").asText(), n.path("run").asText() + " s" + n.path("seed").asLong(), n.path("round").asInt(), kind,
                        n.path("tensors").size() + n.path("tensors_not_listed").asInt(), n.path("elements").asLong(), n.path("personal_elements").asLong(), n.path("bytes").asLong(),
                        n.has("num_samples") ? Long.toString(n.path("num_samples").asLong()) : "", bank.isEmpty() ? "" : String.join(" ", bank),
                        String.join(", ", sc)));
                if (AGGREGATED.equals(n.path("kind").asText())) {
                    continue; // not a message: not counted in the totals
                }
                long[] t = totals.computeIfAbsent(n.path("site").asText(), k -> new long[3]);
                t[0]++;
                t[1] += n.path("elements").asLong();
                t[2] += n.path("bytes").asLong();
            }
            sb.append('\n');
            totals.forEach((site, t) -> sb.append(String.format(Locale.ROOT, "%s: %d messages, %d tensor elements, %s on the wire%n",
                    site, t[0], t[1], org.resfim.state.Bytes.mb(t[2]))));
            sb.append('\n');
        }
        return sb.toString();
    }
}
