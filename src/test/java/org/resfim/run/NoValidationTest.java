package org.resfim.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.report.ResultTable;
import org.resfim.run.html.RunReport;
import org.resfim.state.StateFile;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Sites without validation images (#13 item 6): their test scores and models are those of their last round, said
 * at the start, in the progress lines, in results.md and in the report; every site gets its selected model, and
 * the table's round is the round of that model file (one selection rule).
 */
class NoValidationTest {
    @TempDir
    Path tmp;

    private String simulate(Path cfg, Path out, List<String> methods, int rounds) {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        ResultTable t = new Simulation(Plans.build(new Plans.Overrides(cfg, null, methods, null, rounds, null, null, out)),
                new PrintStream(log, true, StandardCharsets.UTF_8)).run();
        assertNotNull(t);
        return log.toString(StandardCharsets.UTF_8);
    }

    private static int modelRound(Path model) throws Exception {
        assertTrue(Files.isRegularFile(model), "selected model written: " + model);
        return Integer.parseInt(StateFile.readContents(model).metadata().get("round"));
    }

    @Test
    void aSiteWithoutValidationImagesAmongOthers() throws Exception {
        // a and b: five images each (3 train / 1 val / 1 test); c: one training and one test image, as the samples ship
        for (String site : List.of("a", "b")) {
            for (int i = 0; i < 5; i++) {
                FailedStartTest.writeImage(tmp.resolve("data/" + site + "/images/img" + i + ".png"), 16, 16, false, 30 * i);
                FailedStartTest.writeImage(tmp.resolve("data/" + site + "/masks/img" + i + ".png"), 16, 16, true, 0);
            }
        }
        for (String split : List.of("train", "test")) {
            FailedStartTest.writeImage(tmp.resolve("data/c/" + split + "/images/x.png"), 16, 16, false, split.length() * 20);
            FailedStartTest.writeImage(tmp.resolve("data/c/" + split + "/masks/x.png"), 16, 16, true, 0);
        }
        Path cfg = tmp.resolve("fed.yaml");
        Files.writeString(cfg, """
                seed: 0
                seeds: [0]
                data:
                  root: data
                  image_size: 16
                  split: {train: 0.6, val: 0.2, test: 0.2}
                  defaults: {label: {threshold: 128}, images: 'images/*.png', mask: 'masks/{stem}.png'}
                  sites:
                    - {name: a}
                    - {name: b}
                    - name: c
                      sources:
                        - {folder: train, split: train}
                        - {folder: test, split: test}
                evaluation: {select_after: 0.5}
                method: {list: [fedavg, local]}
                training: {batch_size: 4, lr: 0.003}
                model: {width: 4, depth: 3}
                """);
        Path out = tmp.resolve("run");
        String log = simulate(cfg, out, null, 4);

        List<String> said = log.lines().filter(l -> l.contains("no validation images at")).toList();
        assertEquals(List.of("no validation images at c (too few images or patients for a validation split):"
                + " their test scores and selected models are those of the last round"), said);
        List<String> progress = log.lines().filter(l -> l.contains(" round ") && l.contains("/4,")).toList();
        assertEquals(8, progress.size(), log);
        for (String l : progress) {
            assertTrue(l.matches(".*, mean val Dice \\d\\.\\d{3} \\(2 of 3 sites with validation images\\), elapsed .*"), l);
        }
        assertFalse(log.contains("NaN"), log);

        ResultTable table = org.resfim.run.html.RunResults.read(out).table();
        for (String m : List.of("fedavg", "local")) {
            assertEquals(4, modelRound(out.resolve(m + "/seed-0/sites/c/selected-model.rfim")), m + ": the last round");
            assertEquals(4.0, table.selectedRounds().get(m).get("c"), 0);
            for (String site : List.of("a", "b")) {
                int round = modelRound(out.resolve(m + "/seed-0/sites/" + site + "/selected-model.rfim"));
                assertTrue(round >= 3, m + "/" + site + ": selected in the second half, got " + round);
                assertEquals(round, table.selectedRounds().get(m).get(site), 0, m + "/" + site + ": the table's round is the model's");
            }
            assertFalse(Double.isNaN(table.siteMean(m, "c", "dice")));
        }
        String md = Files.readString(out.resolve("results.md"));
        assertTrue(md.contains("best validation round after the first half of training (c: last round: no validation images);"), md);

        String html = Files.readString(RunReport.write(out));
        assertTrue(html.contains("(model selection on validation Dice); c: last round: no validation images."), "results caption");
        assertTrue(html.contains("c: last round: no validation images (no curve)."), "curves caption");
        assertTrue(html.contains("round 4 (last round: no validation images)"), "the model of c in the examples");
        assertFalse(html.contains("no round evaluated yet"));
        assertFalse(html.contains("no selected model yet"));
    }

    @Test
    void theShippedProstateSamplesHaveNoValidationImagesAtAnySite() throws Exception {
        Path data = Path.of("..", "shared", "data", "midss-samples", "ProstateSlice").toAbsolutePath().normalize();
        assertTrue(Files.isDirectory(data), "shared data beside the checkout: " + data);
        // examples/prostate-samples.yaml with a tiny network and image size (its data section unchanged)
        String example = Files.readString(Path.of("examples", "prostate-samples.yaml"));
        String cfgText = example.replace("../../shared/data/midss-samples/ProstateSlice", data.toString())
                .replace("image_size: 128", "image_size: 32").replace("width: 16", "width: 4").replace("depth: 5", "depth: 3");
        assertNotEquals(example, cfgText);
        Path cfg = tmp.resolve("prostate.yaml");
        Files.writeString(cfg, cfgText);
        Path out = tmp.resolve("run");
        String log = simulate(cfg, out, List.of("fedavg"), 2);

        assertTrue(log.contains("no validation images at BIDMC, BMC, HK, I2CVB, RUNMC, UCL (too few images or patients"), log);
        List<String> progress = log.lines().filter(l -> l.startsWith("[")).toList();
        assertEquals(List.of(true, true), progress.stream().map(l -> l.contains("fedavg seed 0: round ") && l.contains(", no validation images, elapsed")).toList(), log);
        assertFalse(log.contains("NaN"), log);
        for (String site : List.of("BIDMC", "BMC", "HK", "I2CVB", "RUNMC", "UCL")) {
            assertEquals(2, modelRound(out.resolve("fedavg/seed-0/sites/" + site + "/selected-model.rfim")), site);
        }
        String md = Files.readString(out.resolve("results.md"));
        assertTrue(md.contains("Dice in %, test images at each site's last round (BIDMC, BMC, HK, I2CVB, RUNMC, UCL: last round:"
                + " no validation images); one seed."), md);
        assertFalse(md.contains("best validation round"), md);
        String html = Files.readString(RunReport.write(out));
        assertTrue(html.contains("Each site's test score is taken at its last round (BIDMC, BMC, HK, I2CVB, RUNMC, UCL: last round:"
                + " no validation images)."), "results caption");
        assertFalse(html.contains("best validation round"), "no claim of a validation round");
        assertTrue(html.contains("fedavg: no validation curve: no site has validation images (each site&#39;s model is that of its last round)"),
                "curves note");
        assertFalse(html.contains("no round evaluated yet"));
        assertFalse(html.contains("no selected model yet"));
        assertEquals(6, html.split("round 2 \\(last round: no validation images\\)", -1).length - 1, "one model head per site");
    }
}
