package org.resfim.run;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.data.DataException;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A start that fails on its data leaves nothing in the run directory that would refuse the corrected command
 * (#13 item 5); a directory that holds a run is still protected exactly as before.
 */
class FailedStartTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @TempDir
    Path tmp;
    Path out;

    /** Two sites a and b of five 16×16 images each, in {@code tmp/data}. */
    @BeforeEach
    void data() {
        for (String site : List.of("a", "b")) {
            for (int i = 0; i < 5; i++) {
                writeImage(tmp.resolve("data/" + site + "/images/img" + i + ".png"), 16, 16, false, 40 * i + (site.equals("a") ? 0 : 20));
                writeImage(tmp.resolve("data/" + site + "/masks/img" + i + ".png"), 16, 16, true, 0);
            }
        }
        out = tmp.resolve("run");
    }

    static String yaml(String sites) {
        return """
                seed: 0
                seeds: [0]
                data:
                  root: data
                  image_size: 16
                  split: {train: 0.6, val: 0.2, test: 0.2}
                  defaults: {label: {threshold: 128}, mask: 'masks/{stem}.png'}
                  sites:
                %s
                federation: {rounds: 1}
                evaluation: {select_after: 0}
                method: {list: [fedavg]}
                training: {batch_size: 4, lr: 0.003}
                model: {width: 4, depth: 3}
                """.formatted(sites.strip().indent(4).stripTrailing());
    }

    static final String GOOD = """
            - {name: a, folder: a, images: 'images/img*.png'}
            - {name: b, folder: b, images: 'images/img*.png'}
            """;

    private Path config(String sites) throws IOException {
        Path f = tmp.resolve("fed.yaml");
        Files.writeString(f, yaml(sites));
        return f;
    }

    private void simulate(String sites) throws IOException {
        new Simulation(Plans.build(TinyRuns.overrides(config(sites), out, null)), QUIET).run();
    }

    /** The failing start, then the corrected configuration with the same --out. */
    private <T extends Throwable> T failsThenCorrectedRuns(Class<T> type, String badSites, String... inMessage) throws Exception {
        T e = assertThrows(type, () -> simulate(badSites));
        for (String s : inMessage) {
            assertTrue(e.getMessage().contains(s), "'" + s + "' not in: " + e.getMessage());
        }
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertFalse(Files.exists(out), "the failed start wrote " + snapshot(out).keySet());
        simulate(GOOD);
        assertTrue(Files.isRegularFile(out.resolve("results.csv")));
        assertTrue(Files.isRegularFile(out.resolve("fedavg/seed-0/sites/b/selected-model.rfim")));
        assertTrue(Files.readString(out.resolve("config.resolved.json")).contains("img*.png"));
        return e;
    }

    @Test
    void missingSiteFolder() throws Exception {
        failsThenCorrectedRuns(DataException.class, GOOD.replace("folder: b", "folder: bb"),
                tmp.resolve("data/bb").toString(), "site 'b': folder does not exist");
    }

    @Test
    void truncatedImage() throws Exception {
        Path bad = tmp.resolve("data/b/images/scan.png");
        byte[] b = Files.readAllBytes(tmp.resolve("data/b/images/img1.png"));
        Files.write(bad, Arrays.copyOf(b, b.length / 2));
        Files.copy(tmp.resolve("data/b/masks/img1.png"), tmp.resolve("data/b/masks/scan.png"));
        failsThenCorrectedRuns(DataException.class, GOOD.replace("images/img*.png'}\n", "images/*.png'}\n"),
                bad.toString(), "unreadable or truncated PNG image");
    }

    @Test
    void maskOfTheWrongSize() throws Exception {
        writeImage(tmp.resolve("data/a/images/odd.png"), 16, 16, false, 7);
        writeImage(tmp.resolve("data/a/masks/odd.png"), 8, 8, true, 0);
        failsThenCorrectedRuns(DataException.class, GOOD.replaceFirst("images/img\\*.png", "images/*.png"),
                tmp.resolve("data/a/masks/odd.png").toString(), "mask is 8x8 but its image");
    }

    @Test
    void siteWithoutImages() throws Exception {
        Files.createDirectories(tmp.resolve("data/c/images"));
        failsThenCorrectedRuns(DataException.class, GOOD + "- {name: c, folder: c, images: 'images/*.png'}\n",
                "site 'c' has no samples");
    }

    @Test
    void siteWithoutTrainingImages() throws Exception {
        for (int i = 0; i < 2; i++) {
            writeImage(tmp.resolve("data/c/images/t" + i + ".png"), 16, 16, false, 9 * i);
            writeImage(tmp.resolve("data/c/masks/t" + i + ".png"), 16, 16, true, 0);
        }
        failsThenCorrectedRuns(IllegalArgumentException.class,
                GOOD + "- {name: c, folder: c, sources: [{folder: ., split: test, images: 'images/*.png'}]}\n",
                tmp.resolve("data/c").toString(), "site 'c' has no training images (0 validation, 2 test): it cannot train");
    }

    @Test
    void tooManyFoldsForASite() throws Exception {
        Path cfg = config(GOOD);
        Plans.Overrides folds = new Plans.Overrides(cfg, null, null, null, null, null, 6, out);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Simulation(Plans.build(folds), QUIET).run());
        assertTrue(e.getMessage().contains("site 'a' has 5 patients, fewer than evaluation.folds = 6"), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void theUsersFilesInAnExistingFolderStay() throws Exception {
        Files.createDirectories(out);
        Files.writeString(out.resolve("notes.txt"), "mine");
        assertThrows(DataException.class, () -> simulate(GOOD.replace("folder: b", "folder: bb")));
        assertEquals(Map.of("notes.txt", "4"), snapshot(out));
        simulate(GOOD);
        assertEquals("mine", Files.readString(out.resolve("notes.txt")));
        assertTrue(Files.isRegularFile(out.resolve("results.csv")));
    }

    @Test
    void aStartThatFailsAfterWritingTakesBackOnlyWhatItWrote() throws Exception {
        // a file of the user's named like the folder the run writes its split manifests to: the start fails
        // after config.resolved.json and run.json are written, and removes those two, not the user's file
        Files.createDirectories(out);
        Files.writeString(out.resolve("manifests"), "mine");
        Files.createDirectories(out.resolve("fedavg"));
        assertThrows(UncheckedIOException.class, () -> simulate(GOOD));
        assertEquals(Map.of("fedavg", "dir", "manifests", "4"), snapshot(out));
        Files.delete(out.resolve("manifests"));
        simulate(GOOD);
        assertTrue(Files.isRegularFile(out.resolve("results.csv")));
    }

    @Test
    void aRealRunIsStillProtected() throws Exception {
        simulate(GOOD);
        Map<String, String> run = snapshot(out);
        assertTrue(run.containsKey("fedavg/seed-0/sites/a/selected-model.rfim"), run.keySet().toString());
        // other settings: refused as before, naming the setting, and nothing of the run changes
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> simulate(GOOD.replace("images/img*.png'}\n", "images/img[0-3].png'}\n")));
        assertTrue(e.getMessage().contains("cannot continue the run in " + out + ": it was started with other settings"), e.getMessage());
        assertEquals(run, snapshot(out));
        // the same settings with a data error: the error, and nothing of the run deleted
        Files.write(tmp.resolve("data/b/images/img1.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        assertThrows(DataException.class, () -> simulate(GOOD));
        assertEquals(run, snapshot(out));
    }

    @Test
    void aDirectoryThatHeldARunBeforeThisStartIsNeverCleanedUp() throws Exception {
        // the settings file and run.json of a run with the same settings (as a killed start leaves them), and a
        // file of the user's that makes this start fail after it wrote: what was there is not this start's to delete
        Path other = out;
        out = tmp.resolve("other");
        simulate(GOOD);
        out = other;
        Files.createDirectories(out);
        Files.copy(tmp.resolve("other/config.resolved.json"), out.resolve("config.resolved.json"));
        Files.copy(tmp.resolve("other/run.json"), out.resolve("run.json"));
        Files.writeString(out.resolve("manifests"), "mine");
        String settings = Files.readString(out.resolve("config.resolved.json"));
        assertThrows(UncheckedIOException.class, () -> simulate(GOOD));
        assertEquals(List.of("config.resolved.json", "manifests", "run.json"), List.copyOf(snapshot(out).keySet()));
        assertEquals(settings, Files.readString(out.resolve("config.resolved.json")));
    }

    // ------------------------------------------------------------------ helpers

    static void writeImage(Path file, int w, int h, boolean mask, int shade) {
        BufferedImage img = new BufferedImage(w, h, mask ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean in = x >= w / 4 && x < 3 * w / 4 && y >= h / 4 && y < 3 * h / 4;
                if (mask) {
                    img.getRaster().setSample(x, y, 0, in ? 255 : 0);
                } else {
                    int v = Math.min(255, (in ? 160 : 40) + shade / 4 + x + y);
                    img.setRGB(x, y, v << 16 | (v / 2) << 8 | (255 - v));
                }
            }
        }
        try {
            Files.createDirectories(file.getParent());
            ImageIO.write(img, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Relative path → "dir" or size of everything under a folder (empty when it does not exist). */
    private static Map<String, String> snapshot(Path dir) {
        Map<String, String> m = new TreeMap<>();
        if (!Files.exists(dir)) {
            return m;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(p -> !p.equals(dir)).forEach(p -> {
                try {
                    m.put(dir.relativize(p).toString().replace('\\', '/'), Files.isDirectory(p) ? "dir" : Long.toString(Files.size(p)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }
}
