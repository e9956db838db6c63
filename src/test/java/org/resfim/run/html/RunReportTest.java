package org.resfim.run.html;

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
        // 2 curves + 3 sites × 2 test images × (image + truth + 2 methods × 2) + 1 residual diagnostics + 3×3 style tiles
        assertEquals(2 + 3 * 2 * 6 + 1 + 9, imgs.size());
        // the provenance and configuration are in the page
        assertTrue(html.contains("config_sha256"));
        assertTrue(html.contains("&quot;rounds&quot; : 3") || html.contains("\"rounds\" : 3"), "run.json");
        // the settings as a configuration file writes them: YAML keys and values, not Java names
        String settings = html.substring(html.indexOf("<h3>Settings the run started with"));
        assertTrue(settings.contains("training:\n  lr: 0.003\n"), settings);
        assertTrue(settings.contains("model:\n  width: 4\n  depth: 3\n  norm: batch\n"), settings);
        assertTrue(settings.contains("  select_after: 0.5\n"), settings);
        for (String javaName : List.of("learningRate", "selectAfter", "BATCH", "lrDecayFactor", "sampleFraction")) {
            assertFalse(html.contains(javaName), javaName);
        }
    }

    /**
     * pFL-ResFIM at resfim.scope = per-tensor keeps round(ρ·n) of every tensor at every site: the report says so in
     * one sentence instead of drawing a map of identical cells (FedAvg has no partition and no paragraph).
     */
    @Test
    void personalSharesOfTheTrainableTensorsInNetworkOrder() throws Exception {
        String html = Files.readString(RunReport.write(run));
        String section = html.substring(html.indexOf("<section id=\"sensitivity\">"), html.indexOf("</section>", html.indexOf("<section id=\"sensitivity\">")));
        assertTrue(section.contains("<h3>pfl-resfim</h3>"), section);
        assertFalse(section.contains("<h3>fedavg</h3>"), "FedAvg has no partition");
        assertFalse(section.contains("<table") || section.contains("kept personal per site"), "nothing varies, nothing drawn: " + section);
        assertEquals(1, section.split("<img", -1).length - 1, "only the residual diagnostics chart: " + section);
        RunReport.Sensitivity h = new RunReport(RunResults.read(run), 0).sensitivityOf("pfl-resfim");
        List<String> trainable = new ArrayList<>();
        org.resfim.model.UNetArchitecture.layout(new org.resfim.model.UNetConfig(3, 1, 4, 3, org.resfim.model.NormType.BATCH, 8)).tensors()
                .forEach(t -> {
                    if (t.role().trainable()) {
                        trainable.add(t.name());
                    }
                });
        assertEquals(trainable, h.tensors(), "rows: the trainable tensors in network order");
        assertTrue(section.contains("Every one of the " + trainable.size() + " trainable tensors keeps its top ρ = 0.2 personal"), section);
        assertTrue(section.contains("head.bias (0 of 1)"), "the tensor that rounds away from ρ is named: " + section);
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

    /** Upload sizes are in MB (10^6 bytes) in the report as in results.md and the console: the same numbers, the same unit. */
    @Test
    void uploadSizesUseTheUnitOfTheResultsFile() throws Exception {
        String html = Files.readString(RunReport.write(run));
        String cost = html.substring(html.indexOf("<section id=\"cost\">"), html.indexOf("</section>", html.indexOf("<section id=\"cost\">")));
        String text = html.replaceAll("data:image/png;base64,[A-Za-z0-9+/=]*", "");
        assertFalse(text.contains("MiB") || text.contains("KiB"), cost);
        String md = readUnchecked(run.resolve("results.md"));
        Matcher m = Pattern.compile("- pfl-resfim: .*uploads (\\S+ MB) per site-round = .*\\(FedAvg, (\\S+ MB)\\)").matcher(md);
        assertTrue(m.find(), md);
        assertTrue(cost.contains("<td>" + m.group(1) + "</td>"), "the report's upload is results.md's: " + m.group(1) + "\n" + cost);
        assertTrue(cost.contains("a full model of " + m.group(2)), cost);
    }

    /** Only what varies is tabulated: tensors whose share differs between sites or from round(ρ·n)/n; many of them by block. */
    @Test
    void personalSharesShowWhatVaries() {
        Map<String, Integer> sizes = new java.util.LinkedHashMap<>();
        sizes.put("d.0.c1.weight", 100);
        sizes.put("d.0.c1.bias", 10);
        sizes.put("u.0.c1.weight", 200);
        sizes.put("head.bias", 1);
        List<String> tensors = List.copyOf(sizes.keySet());
        List<String> sites = List.of("a", "b");
        double[][] exact = {{0.2, 0.2}, {0.2, 0.2}, {0.2, 0.2}, {0, 0}};
        String one = RunReport.personalShares("m", new RunReport.Sensitivity(tensors, sites, exact, 5), sizes, 0.2, "per-tensor", "resfim", false);
        assertTrue(one.contains("Every one of the 4 trainable tensors keeps its top ρ = 0.2 personal"), one);
        assertTrue(one.contains("head.bias (0 of 1)"), one);
        assertFalse(one.contains("<table"), one);

        double[][] two = {{0.2, 0.2}, {0.1, 0.3}, {0.35, 0.05}, {0, 0}};
        String some = RunReport.personalShares("m", new RunReport.Sensitivity(tensors, sites, two, 5), sizes, 0.2, "global", "resfim", false);
        assertTrue(some.contains("2 of 4 trainable tensors keep a share that differs between sites or from ρ; the other 2 keep exactly ρ"), some);
        assertTrue(some.contains("<code>d.0.c1.bias</code>") && some.contains("<code>u.0.c1.weight</code>"), some);
        assertFalse(some.contains("<code>d.0.c1.weight</code>") || some.contains("<code>head.bias</code>"), "only what varies: " + some);
        assertEquals(3, some.split("<tr", -1).length - 2, "two tensors and the whole model: " + some);
        // the whole model: (100·0.2 + 10·0.1 + 200·0.35 + 0) / 311 at site a
        assertTrue(some.contains(String.format(java.util.Locale.ROOT, ">%.3f</td>", (20 + 1 + 70) / 311.0)), some);

        Map<String, Integer> many = new java.util.LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < RunReport.MAX_TENSOR_ROWS + 2; i++) {
            String name = (i % 2 == 0 ? "d." : "u.") + (i % 3) + ".c" + i + ".weight";
            many.put(name, 50);
            names.add(name);
        }
        double[][] varying = new double[names.size()][2];
        for (int i = 0; i < names.size(); i++) {
            varying[i] = new double[] {0.1 + 0.01 * i, 0.3};
        }
        String blocks = RunReport.personalShares("m", new RunReport.Sensitivity(names, sites, varying, 5), many, 0.2, "global", "resfim", true);
        assertTrue(blocks.contains("<th>block</th>") && blocks.contains("<code>d.0</code>") && blocks.contains("<code>u.2</code>"), blocks);
        assertEquals(6 + 1, blocks.split("<tr", -1).length - 2, "six blocks and the whole model: " + blocks);
        assertEquals("d.1", RunReport.block("d.1.c2.weight"));
        assertEquals("head", RunReport.block("head.bias"));
    }

    /** The diagnostics chart: one line per diagnostic over the trainable tensors, the means of the sites' fit lines. */
    @Test
    void residualDiagnosticsAreTheMeanOfTheSitesLastEstimate() throws Exception {
        String html = Files.readString(RunReport.write(run));
        assertTrue(html.contains("residual diagnostics per tensor, pfl-resfim"));
        assertFalse(html.contains("residual diagnostics per tensor, fedavg"));
        RunReport report = new RunReport(RunResults.read(run), 0);
        RunReport.Diagnostics d = report.diagnosticsOf("pfl-resfim");
        assertEquals(report.sensitivityOf("pfl-resfim").tensors(), d.tensors(), "the trainable tensors in network order");
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

    /** A copy of the tiny run whose config.resolved.json {@code edit} changed. */
    private static Path withSettings(String name, java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> edit) throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        Path copy = TinyRun.copy(run, tmp.resolve(name));
        Path resolved = copy.resolve(RunResults.RESOLVED);
        com.fasterxml.jackson.databind.node.ObjectNode cfg = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(resolved.toFile());
        edit.accept(cfg);
        json.writerWithDefaultPrettyPrinter().writeValue(resolved.toFile(), cfg);
        return copy;
    }

    /** pFL-ResFIM's parameters as the run's configuration gave them. */
    private static com.fasterxml.jackson.databind.node.ObjectNode params(com.fasterxml.jackson.databind.node.ObjectNode cfg) {
        return (com.fasterxml.jackson.databind.node.ObjectNode) cfg.path("method_params").path("pfl-resfim");
    }

    /**
     * A report reads a run with the defaults of the build that made it (config.resolved.json's method_defaults), not
     * with today's: pFL-ResFIM's variant changed from resfim to fim, and a run that left it to the defaults must still be
     * described as it ran — its variant, and whether its sites shared their styles.
     */
    @Test
    void theReportDescribesARunWithTheDefaultsOfTheBuildThatMadeIt() throws Exception {
        for (String variant : List.of("resfim", "fim")) {
            Path copy = withSettings("defaults-" + variant, cfg -> {
                assertEquals("resfim", params(cfg).path("resfim.variant").asText(), "the tiny run names the residual in its configuration");
                params(cfg).remove("resfim.variant"); // left to the defaults of the build
                ((com.fasterxml.jackson.databind.node.ObjectNode) cfg.path("method_defaults").path("pfl-resfim")).put("resfim.variant", variant);
                // the Gaussian mechanism on style windows, configured: released only where a window left a site
                cfg.putObject("privacy").putObject("style").put("clip", 50).put("noise_multiplier", 2);
            });
            assertEquals(variant, RunResults.read(copy).methodParams("pfl-resfim").get("resfim.variant"));
            String html = Files.readString(RunReport.write(copy));
            assertTrue(html.contains("resfim.variant = " + variant + ","), variant);
            assertEquals(variant.equals("fim"), html.contains("No style window left any site in this run (pFL-ResFIM&#39;s default, own Fisher")
                    || html.contains("No style window left any site in this run (pFL-ResFIM's default, own Fisher"), variant);
            assertEquals(variant.equals("resfim"), html.contains("This is how pFL-ResFIM lets a site see the others&#39; scanners")
                    || html.contains("This is how pFL-ResFIM lets a site see the others' scanners"), variant);
            assertEquals(variant.equals("resfim"), html.contains("Style windows: one release per run, ε = "), variant);
            assertEquals(variant.equals("fim"), html.contains("Style windows: none released."), variant);
        }
    }

    @Test
    void aRunFromBeforeDefaultsWereRecordedIsDescribedWithTheResidualItsBuildUsed() throws Exception {
        Path copy = withSettings("before-defaults", cfg -> {
            params(cfg).remove("resfim.variant");
            cfg.remove("method_defaults"); // as runs before 2026-11-27 wrote it
        });
        assertEquals("resfim", RunResults.read(copy).methodParams("pfl-resfim").get("resfim.variant"));
        assertNull(RunResults.read(copy).methodParams("fedavg").get("resfim.variant"), "only pFL-ResFIM's default changed");
        String html = Files.readString(RunReport.write(copy));
        assertTrue(html.contains("resfim.variant = resfim,"));
        assertFalse(html.contains("This build cannot read the parameters"));
    }

    @Test
    void parametersThisBuildCannotReadAreSaidNotPassedOffAsTheRuns() throws Exception {
        // a residual-only option with own Fisher: this build refuses the combination
        Path copy = withSettings("unreadable", cfg -> params(cfg).put("resfim.variant", "fim").put("resfim.residual", "relative"));
        String html = Files.readString(RunReport.write(copy));
        int note = html.indexOf("This build cannot read the parameters pfl-resfim ran with (");
        assertTrue(note >= 0, "the personal-share section says so");
        assertTrue(html.substring(note, html.indexOf("</p>", note)).contains("residual"), "and why: " + html.substring(note, html.indexOf("</p>", note)));
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
                () -> ModelCheckpoint.read(ck, org.resfim.model.UNetConfig.reference(), "test"));
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
        assertTrue(html.contains("<b>50.00</b>"), "best average in bold: " + html);
    }

    private static String readUnchecked(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
