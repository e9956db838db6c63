package org.resfim.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** data check / data preview / style preview / train-local through the CLI, on the real shared data. */
class DataCommandsTest {
    static final Path VESSEL = Path.of("examples", "vessel-3site.yaml");

    @Test
    void dataCheckReportsEverySiteAndExitsZero() {
        Cli.Result r = Cli.run("data", "check", VESSEL.toString());
        assertEquals(0, r.code(), r.err());
        for (String s : new String[] {"DRIVE", "CHASE_DB1", "STARE"}) {
            assertTrue(r.out().contains("site " + s), r.out());
        }
        assertTrue(r.out().contains("28 = train 20 / val 2 / test 6"), r.out());
    }

    @Test
    void dataCheckOfABrokenConfigExitsNonZeroNamingTheProblem(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("bad.yaml");
        Files.writeString(cfg, "data:\n  root: " + tmp + "\n  sites:\n    - name: A\n      folder: nowhere\n      images: '*.png'\n      mask: '{stem}.png'\n");
        Cli.Result r = Cli.run("data", "check", cfg.toString());
        assertNotEquals(0, r.code());
        assertTrue((r.out() + r.err()).contains("nowhere"), r.out() + r.err());
        Files.writeString(cfg, "data:\n  synthetic: {sites: 2, smaples: 3}\n");
        r = Cli.run("data", "check", cfg.toString());
        assertNotEquals(0, r.code());
        assertTrue((r.out() + r.err()).contains("samples"), "suggests the nearest key: " + r.out() + r.err());
    }

    /**
     * data check reads the whole configuration as simulate would: a wrong key outside data fails it (exit 1), and
     * every problem is printed once (in the report; stderr has one summary line).
     */
    @Test
    void dataCheckChecksTheWholeConfigurationAndPrintsEachProblemOnce(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("c.yaml");
        Files.writeString(cfg, "data:\n  synthetic: {sites: 2, samples: 6, size: 32}\ntraining: {learning_rate: 0.01}\n");
        Cli.Result r = Cli.run("data", "check", cfg.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        String problem = cfg + ": unknown key 'training.learning_rate' (did you mean 'training.lr'?)";
        String all = r.out() + r.err();
        assertEquals(1, all.split(java.util.regex.Pattern.quote(problem), -1).length - 1, "printed once:\n" + all);
        assertTrue(r.out().contains("site synthetic-2"), "the data are still checked: " + r.out());
        assertEquals("error: " + cfg + ": 1 problem (listed above)", r.err().strip());

        Files.writeString(cfg, "data:\n  root: " + tmp + "\n  sites:\n    - {name: A, folder: nowhere, images: '*.png', mask: '{stem}.png'}\n");
        r = Cli.run("data", "check", cfg.toString());
        assertEquals(1, r.code());
        all = r.out() + r.err();
        assertEquals(1, all.split("folder does not exist", -1).length - 1, "printed once:\n" + all);
        assertTrue(r.out().contains("FAILED (problem 1 below)"), r.out());

        Files.writeString(cfg, "data: {image_size: abc}\n");
        r = Cli.run("data", "check", cfg.toString());
        assertEquals(1, r.code());
        all = r.out() + r.err();
        assertEquals(1, all.split("must be a number or a list", -1).length - 1, "printed once:\n" + all);
    }

    @Test
    void previewsWriteMontages(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data.png");
        assertEquals(0, Cli.run("data", "preview", VESSEL.toString(), "--out", data.toString(), "--per-site", "2").code());
        BufferedImage d = ImageIO.read(data.toFile());
        assertNotNull(d);
        assertTrue(d.getHeight() > d.getWidth() / 2, "three rows of two images");
        Path style = tmp.resolve("style.png");
        Cli.Result r = Cli.run("style", "preview", VESSEL.toString(), "--out", style.toString());
        assertEquals(0, r.code(), r.err());
        BufferedImage s = ImageIO.read(style.toFile());
        // 3×3 grid of 128×128 tiles plus an 18-pixel label margin
        assertEquals(18 + 3 * 128, s.getWidth());
        assertEquals(18 + 3 * 128, s.getHeight());
        // off-diagonal tiles differ from the diagonal (a restyled image is not the original)
        assertNotEquals(s.getRGB(18 + 64, 18 + 64), s.getRGB(18 + 128 + 64, 18 + 64), "tile (0,1) differs from (0,0)");
    }

    @Test
    void trainLocalTrainsOnAFolderAndKeepsTheBestModel(@TempDir Path tmp) {
        Cli.Result r = Cli.run("train-local", "--images", "../shared/data/fed-vessel/CHASE_DB1/images",
                "--masks", "../shared/data/fed-vessel/CHASE_DB1/labels", "--mask-name", "{stem}_1stHO.png",
                "--size", "32", "--epochs", "2", "--out", tmp.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("epoch   1  loss") && r.out().contains("epoch   2  loss"), r.out());
        assertTrue(Files.isRegularFile(tmp.resolve("local/selected-model.rfim")));
        r = Cli.run("train-local", "--images", tmp.resolve("missing").toString(), "--masks", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: folder not found"), r.err());
    }
}
