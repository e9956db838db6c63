package org.resfim.report.html;

import org.resfim.report.*;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

class RunReportTest {
    static final Pattern IMG = Pattern.compile("<img\\b[^>]*\\bsrc=\"([^\"]*)\"");
    @TempDir
    static Path tmp;
    static Path run;

    @BeforeAll
    static void simulate() throws Exception {
        run = TinyRun.create(tmp, "tiny", 3);
    }

    /** Every img src of a page, decoded; fails on any that is not an embedded, decodable PNG. */
    static List<BufferedImage> images(String html) throws Exception {
        List<BufferedImage> out = new ArrayList<>();
        Matcher m = IMG.matcher(html);
        while (m.find()) {
            String src = m.group(1);
            assertTrue(src.startsWith("data:image/png;base64,"), "embedded PNG: " + src.substring(0, Math.min(60, src.length())));
            byte[] png = Base64.getDecoder().decode(src.substring("data:image/png;base64,".length()));
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
            assertNotNull(img, "decodable PNG");
            assertTrue(img.getWidth() > 0 && img.getHeight() > 0);
            out.add(img);
        }
        return out;
    }

    @Test
    void reportIsOneSelfContainedPageWithEverySection() throws Exception {
        Path f = RunReport.write(run);
        assertEquals(run.resolve("report.html"), f);
        String html = Files.readString(f);
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        for (String id : List.of("results", "curves", "examples", "sensitivity", "style", "cost", "provenance")) {
            assertTrue(html.contains("<section id=\"" + id + "\">"), id);
        }
        assertTrue(html.contains("<table class=\"results\" id=\"comparison\">"));
        assertTrue(html.contains("<th scope=\"row\">pfl-resfim</th>") && html.contains("<th scope=\"row\">fedavg</th>"));
        assertFalse(html.contains("could not be drawn"), "every section drawn");
        // nothing outside the file: no script, no stylesheet link, no remote URL in any attribute
        assertFalse(html.contains("<script"));
        assertFalse(html.contains("<link"));
        assertFalse(Pattern.compile("(src|href)=\"(?!data:|#)").matcher(html).find(), "only data: and #anchor references");
        assertFalse(html.contains("url("), "no CSS url()");
        List<BufferedImage> imgs = images(html);
        // 2 curves + 3 sites × 2 test images × (image + truth + 2 methods × 2) + 1 heat map + 1 residual diagnostics + 3×3 style tiles
        assertEquals(2 + 3 * 2 * 6 + 1 + 1 + 9, imgs.size());
        // the provenance and configuration are in the page
        assertTrue(html.contains("config_sha256"));
        assertTrue(html.contains("&quot;rounds&quot; : 3") || html.contains("\"rounds\" : 3"));
    }

    @Test
    void heatMapRowsAreTheTrainableTensorsInNetworkOrder() throws Exception {
        String html = Files.readString(RunReport.write(run));
        assertTrue(html.contains("fraction of each tensor kept personal per site, pfl-resfim"));
        assertFalse(html.contains("fraction of each tensor kept personal per site, fedavg"), "FedAvg has no partition");
        RunReport.Sensitivity h = new RunReport(RunResults.read(run), 0).sensitivityOf("pfl-resfim");
        List<String> trainable = new ArrayList<>();
        org.resfim.engine.UNet.layout(new org.resfim.engine.UNetConfig(3, 1, 4, 3, org.resfim.engine.NormType.BATCH, 8)).tensors()
                .forEach(t -> {
                    if (t.role().trainable()) {
                        trainable.add(t.name());
                    }
                });
        assertEquals(trainable, h.tensors(), "rows: the trainable tensors in network order");
        assertEquals(List.of("synthetic-1", "synthetic-2", "synthetic-3"), h.sites());
        assertEquals(3, h.lastRound());
        double sum = 0;
        for (double[] row : h.fractions()) {
            for (double v : row) {
                assertTrue(v >= 0 && v <= 1, "a fraction: " + v);
                sum += v;
            }
        }
        double mean = sum / (h.tensors().size() * 3);
        assertTrue(mean > 0.1 && mean < 0.3, "about rho = 0.2 per tensor: " + mean);
        assertNull(new RunReport(RunResults.read(run), 0).sensitivityOf("fedavg"));
    }

    /** The diagnostics chart: one line per diagnostic over the trainable tensors, the means of the sites' fit lines. */
    @Test
    void residualDiagnosticsAreTheMeanOfTheSitesLastEstimate() throws Exception {
        String html = Files.readString(RunReport.write(run));
        assertTrue(html.contains("residual diagnostics per tensor, pfl-resfim"));
        assertFalse(html.contains("residual diagnostics per tensor, fedavg"));
        RunReport report = new RunReport(RunResults.read(run), 0);
        RunReport.Diagnostics d = report.diagnosticsOf("pfl-resfim");
        assertEquals(report.sensitivityOf("pfl-resfim").tensors(), d.tensors(), "the heat map's rows");
        assertEquals(List.of("jaccard_fim", "spearman_fim", "gain"), List.copyOf(d.perTensor().keySet()));
        // by hand from the metrics: tensor 0's Jaccard is the mean over the three sites' last fit lines
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.Map<String, Double> last = new java.util.LinkedHashMap<>();
        java.util.Map<String, Double> overall = new java.util.LinkedHashMap<>();
        for (String line : Files.readAllLines(run.resolve("pfl-resfim/seed-0/metrics.jsonl"))) {
            com.fasterxml.jackson.databind.JsonNode n = json.readTree(line);
            if (n.has("jaccard_fim")) {
                last.put(n.path("site").asText(), n.path("jaccard_fim." + d.tensors().get(0)).asDouble());
                overall.put(n.path("site").asText(), n.path("gain").asDouble());
            }
        }
        assertEquals(3, last.size());
        assertEquals(last.values().stream().mapToDouble(x -> x).average().orElseThrow(), d.perTensor().get("jaccard_fim")[0], 1e-12);
        assertEquals(overall.values().stream().mapToDouble(x -> x).average().orElseThrow(), d.overall().get("gain"), 1e-12);
        assertNull(report.diagnosticsOf("fedavg"));
    }

    @Test
    void tableMatchesTheRunsOwnResults() {
        RunResults r = RunResults.read(run).requireResults();
        assertEquals(List.of("synthetic-1", "synthetic-2", "synthetic-3"), r.sites());
        assertEquals(List.of("pfl-resfim", "fedavg"), r.methods());
        assertEquals(3, r.rounds());
        String md = r.table().markdown();
        assertTrue(md.contains("| pfl-resfim |"));
        // results.md of the simulation holds the same table
        assertTrue(readUnchecked(run.resolve("results.md")).contains(md.substring(0, md.indexOf('\n', md.indexOf("| pfl-resfim |")))));
    }

    @Test
    void aMissingDataFolderLeavesANoteAndTheRestOfTheReport() throws Exception {
        Path copy = TinyRun.copy(run, tmp.resolve("moved"));
        // the run's data becomes a site folder that does not exist here
        String cfg = Files.readString(copy.resolve(RunResults.RESOLVED)).replaceAll("(?s)\"data\" : \\{.*?\\n  \\},\\n",
                "\"data\" : { \"sites\" : [ {\"name\": \"a\", \"folder\": \"/nonexistent/resfim/a\", \"images\": \"*.png\", \"mask\": \"m/{stem}.png\"} ] },\n");
        Files.writeString(copy.resolve(RunResults.RESOLVED), cfg);
        String html = Files.readString(RunReport.write(copy));
        assertTrue(html.contains("No segmentations: the run&#39;s data could not be loaded"), html.substring(html.indexOf("id=\"examples\"")));
        assertTrue(html.contains("/nonexistent/resfim/a"));
        assertTrue(html.contains("id=\"comparison\""), "the table does not need the data");
        images(html);
    }

    @Test
    void missingRunDirectoryIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunReport.write(tmp.resolve("nope")));
        assertTrue(e.getMessage().contains("does not exist") && e.getMessage().contains("nope"), e.getMessage());
    }

    @Test
    void aFolderThatIsNotARunIsRefused() throws Exception {
        Path d = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(d.resolve("a.txt"), "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunReport.write(d));
        assertTrue(e.getMessage().contains("is not a run directory") && e.getMessage().contains("config.resolved.json"), e.getMessage());
        Path file = d.resolve("a.txt");
        e = assertThrows(IllegalArgumentException.class, () -> RunReport.write(file));
        assertTrue(e.getMessage().contains("is a file"), e.getMessage());
    }

    @Test
    void anEmptyRunIsRefusedAndNoPageWritten() throws Exception {
        Path empty = TinyRun.emptyCopy(run, tmp.resolve("empty"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunReport.write(empty));
        assertTrue(e.getMessage().contains("has no results yet"), e.getMessage());
        assertTrue(e.getMessage().contains("--resume"), e.getMessage());
        assertFalse(Files.exists(empty.resolve("report.html")));
    }

    @Test
    void aCheckpointInsideTheRunFindsItsModelConfiguration() {
        Path ck = run.resolve("pfl-resfim/seed-0/sites/synthetic-1/selected-model.rfim");
        ImagePredictor.Setup s = ImagePredictor.setup(ck, null, null);
        assertEquals(4, s.unet().width());
        assertEquals(3, s.unet().depth());
        assertEquals(32, s.preprocessing().height());
        assertEquals(org.resfim.federation.ModelCard.SOURCE, s.source());
        assertEquals(List.of(), s.warnings());
        // the settings the file records are those of the run directory
        ImagePredictor.Setup fromRun = ImagePredictor.setup(new ModelCheckpoint(ck, new org.resfim.state.ModelState(), Map.of()), null, null);
        assertTrue(fromRun.source().contains("run directory"), fromRun.source());
        assertEquals(fromRun.unet(), s.unet());
        assertEquals(fromRun.preprocessing(), s.preprocessing());
        ModelCheckpoint m = ModelCheckpoint.read(ck, s.unet(), s.source());
        assertEquals("synthetic-1", m.metadata().get("site"));
        // the same checkpoint against the default (reference) U-Net is refused naming the tensor and shapes
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelCheckpoint.read(ck, org.resfim.engine.UNetConfig.reference(), "test"));
        assertTrue(e.getMessage().contains("'d.0.c1.weight' has shape [4, 3, 3, 3] in the checkpoint, the model expects [16, 3, 3, 3]"), e.getMessage());
        assertTrue(e.getMessage().contains("width 4, depth 3"), e.getMessage());
    }

    @Test
    void htmlTableEscapesNames() {
        EvalRecord r = new EvalRecord("a<b>", 0, 0, 1, "s&1", List.of(new org.resfim.federation.ImageScore("test", "i",
                new org.resfim.metrics.MetricSummary(0.5, 0.3, 0.6, 0.9, 2.0)), new org.resfim.federation.ImageScore("val", "j",
                new org.resfim.metrics.MetricSummary(0.5, 0.3, 0.6, 0.9, 2.0))));
        String html = new ResultTable(List.of(r), List.of("a<b>"), List.of("s&1"), List.of(0L), 1, "", 100).html();
        assertTrue(html.contains("a&lt;b&gt;") && html.contains("s&amp;1"), html);
        assertFalse(html.contains("a<b>"));
        assertTrue(html.contains("<b>50.00 ± 0.00</b>"), "best average in bold: " + html);
    }

    private static String readUnchecked(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
