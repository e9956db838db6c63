package org.resfim.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.engine.NormType;
import org.resfim.engine.UNet;
import org.resfim.engine.UNetConfig;
import org.resfim.report.html.SegmentationModel;
import org.resfim.state.ModelState;
import org.resfim.state.StateFile;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class PredictCommandTest {
    static final UNetConfig TINY = new UNetConfig(3, 1, 4, 3, NormType.BATCH, 8);
    @TempDir
    static Path tmp;
    static Path model;
    static Path config;
    static ModelState state;

    @BeforeAll
    static void tinyModel() throws Exception {
        try (UNet net = new UNet(TINY, 7)) {
            state = net.toState();
        }
        model = tmp.resolve("model.rfim");
        StateFile.write(state, Map.of("site", "synthetic-1", "round", "2"), model);
        config = tmp.resolve("tiny.yaml");
        Files.writeString(config, """
                data:
                  synthetic: {sites: 2, samples: 4, size: 32}
                model: {width: 4, depth: 3}
                """);
    }

    static BufferedImage random(int w, int h, int type, long seed) {
        BufferedImage img = new BufferedImage(w, h, type);
        Random r = new Random(seed);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int g = r.nextInt(256);
                img.setRGB(x, y, type == BufferedImage.TYPE_BYTE_GRAY ? (g << 16) | (g << 8) | g : r.nextInt(1 << 24));
            }
        }
        return img;
    }

    static boolean[] readMask(Path png, int w, int h) throws Exception {
        BufferedImage m = ImageIO.read(png.toFile());
        assertNotNull(m, png + " is a PNG");
        assertEquals(w, m.getWidth(), "mask width = the image's");
        assertEquals(h, m.getHeight(), "mask height = the image's");
        boolean[] out = new boolean[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = m.getRaster().getSample(x, y, 0);
                assertTrue(v == 0 || v == 255, "mask values are 0 or 255, got " + v);
                out[y * w + x] = v == 255;
            }
        }
        return out;
    }

    @Test
    void masksAndOverlaysForEveryFormatAtTheImagesOwnSize() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("in"));
        BufferedImage exact = random(32, 32, BufferedImage.TYPE_INT_RGB, 1);
        ImageIO.write(exact, "png", in.resolve("a.png").toFile());
        ImageIO.write(random(50, 40, BufferedImage.TYPE_BYTE_GRAY, 2), "pnm", in.resolve("b.pgm").toFile());
        ImageIO.write(random(64, 48, BufferedImage.TYPE_INT_RGB, 3), "jpg", in.resolve("c.jpg").toFile());
        ImageIO.write(random(20, 30, BufferedImage.TYPE_INT_RGB, 4), "tiff", in.resolve("d.tif").toFile());
        ImageIO.write(random(33, 33, BufferedImage.TYPE_INT_RGB, 5), "bmp", in.resolve("e.bmp").toFile());
        Files.writeString(in.resolve("notes.txt"), "not an image: ignored in a folder");
        Path out = tmp.resolve("out");
        Cli.Result r = Cli.run("predict", "--model", model.toString(), "--config", config.toString(), "--input", in.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("width 4, depth 3"), r.out());
        int[][] sizes = {{32, 32}, {50, 40}, {64, 48}, {20, 30}, {33, 33}};
        String[] stems = {"a", "b", "c", "d", "e"};
        for (int i = 0; i < stems.length; i++) {
            readMask(out.resolve(stems[i] + "_mask.png"), sizes[i][0], sizes[i][1]);
            BufferedImage o = ImageIO.read(out.resolve(stems[i] + "_overlay.png").toFile());
            assertEquals(sizes[i][0], o.getWidth());
            assertEquals(sizes[i][1], o.getHeight());
        }
        assertFalse(Files.exists(out.resolve("notes_mask.png")));
        // round trip: an image at the training resolution gives exactly the model's own prediction on its pixels
        boolean[] cli = readMask(out.resolve("a_mask.png"), 32, 32);
        float[] x = new float[3 * 32 * 32];
        for (int y = 0; y < 32; y++) {
            for (int xx = 0; xx < 32; xx++) {
                int v = exact.getRGB(xx, y);
                x[y * 32 + xx] = ((v >> 16) & 0xff) / 255f;
                x[1024 + y * 32 + xx] = ((v >> 8) & 0xff) / 255f;
                x[2048 + y * 32 + xx] = (v & 0xff) / 255f;
            }
        }
        boolean[] direct;
        try (SegmentationModel m = new SegmentationModel(TINY, state)) {
            direct = m.predict(x, 3, 32, 32, 0.5);
        }
        assertArrayEquals(direct, cli);
    }

    @Test
    void thresholdAndSizeChangeThePrediction() throws Exception {
        Path img = tmp.resolve("t.png");
        ImageIO.write(random(40, 40, BufferedImage.TYPE_INT_RGB, 9), "png", img.toFile());
        Path lo = tmp.resolve("lo");
        Path hi = tmp.resolve("hi");
        assertEquals(0, Cli.run("predict", "--model", model.toString(), "--config", config.toString(), "--input", img.toString(), "--out", lo.toString(),
                "--threshold", "0.01").code());
        assertEquals(0, Cli.run("predict", "--model", model.toString(), "--config", config.toString(), "--input", img.toString(), "--out", hi.toString(),
                "--threshold", "0.99", "--size", "64").code());
        int a = count(readMask(lo.resolve("t_mask.png"), 40, 40));
        int b = count(readMask(hi.resolve("t_mask.png"), 40, 40));
        assertTrue(a >= b, "a lower threshold marks at least as much: " + a + " vs " + b);
        Cli.Result r = Cli.run("predict", "--model", model.toString(), "--config", config.toString(), "--input", img.toString(), "--out", hi.toString(),
                "--size", "30");
        assertEquals(2, r.code(), "an option the model cannot take is a usage error");
        assertTrue(r.err().startsWith("error: --size must be a multiple of 4, which a depth-3 U-Net needs ("), r.err());
        r = Cli.run("predict", "--model", model.toString(), "--config", config.toString(), "--input", img.toString(), "--out", hi.toString(),
                "--threshold", "1.5");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: --threshold must be in (0, 1), got 1.5\n"), r.err());
    }

    private static int count(boolean[] m) {
        int n = 0;
        for (boolean b : m) {
            n += b ? 1 : 0;
        }
        return n;
    }

    @Test
    void aCheckpointOfAnotherWidthIsRefusedNamingTheTensor() throws Exception {
        Path wide = tmp.resolve("wide.yaml");
        Files.writeString(wide, "data: {synthetic: {size: 32}}\nmodel: {width: 8, depth: 3}\n");
        Path img = tmp.resolve("w.png");
        ImageIO.write(random(32, 32, BufferedImage.TYPE_INT_RGB, 1), "png", img.toFile());
        Path out = tmp.resolve("out-wide");
        Cli.Result r = Cli.run("predict", "--model", model.toString(), "--config", wide.toString(), "--input", img.toString(), "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: checkpoint "), r.err());
        assertTrue(r.err().contains("tensor 'd.0.c1.weight' has shape [4, 3, 3, 3] in the checkpoint, the model expects [8, 3, 3, 3]"), r.err());
        assertTrue(r.err().contains("width 8, depth 3") && r.err().contains("looks like width 4, depth 3"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace");
        assertFalse(Files.exists(out.resolve("w_mask.png")));
    }

    @Test
    void aCheckpointOfAnotherDepthIsRefusedNamingTheTensor() throws Exception {
        Path deep = tmp.resolve("deep.yaml");
        Files.writeString(deep, "data: {synthetic: {size: 32}}\nmodel: {width: 4, depth: 4}\n");
        Path img = tmp.resolve("d.png");
        ImageIO.write(random(32, 32, BufferedImage.TYPE_INT_RGB, 1), "png", img.toFile());
        Cli.Result r = Cli.run("predict", "--model", model.toString(), "--config", deep.toString(), "--input", img.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("tensor 'd.3.c1.weight'") && r.err().contains("missing from the checkpoint"), r.err());
        assertTrue(r.err().contains("depth 4") && r.err().contains("looks like width 4, depth 3"), r.err());
    }

    @Test
    void withoutAConfigTheDefaultsRefuseATinyModelAndSaySo() throws Exception {
        Path img = tmp.resolve("n.png");
        ImageIO.write(random(32, 32, BufferedImage.TYPE_INT_RGB, 1), "png", img.toFile());
        Cli.Result r = Cli.run("predict", "--model", model.toString(), "--input", img.toString(), "--out", tmp.resolve("o2").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("the defaults") && r.err().contains("--config"), r.err());
    }

    @Test
    void anUnreadableImageIsNamed() throws Exception {
        Path in = Files.createDirectories(tmp.resolve("mixed"));
        ImageIO.write(random(32, 32, BufferedImage.TYPE_INT_RGB, 1), "png", in.resolve("good.png").toFile());
        Files.write(in.resolve("broken.png"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        Path out = tmp.resolve("out-mixed");
        // alone: refused with its name
        Cli.Result r = Cli.run("predict", "--model", model.toString(), "--config", config.toString(), "--input", in.resolve("broken.png").toString(),
                "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("broken.png"), r.err());
        // in a folder: the others are segmented, the broken one named, exit 1
        r = Cli.run("predict", "--model", model.toString(), "--config", config.toString(), "--input", in.toString(), "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("broken.png") && r.err().contains("1 of 2 images could not be segmented"), r.err());
        assertTrue(Files.isRegularFile(out.resolve("good_mask.png")));
        assertFalse(Files.exists(out.resolve("broken_mask.png")));
    }

    @Test
    void missingInputsAreNamed() throws Exception {
        Path img = tmp.resolve("m.png");
        ImageIO.write(random(32, 32, BufferedImage.TYPE_INT_RGB, 1), "png", img.toFile());
        Cli.Result r = Cli.run("predict", "--model", model.toString(), "--config", config.toString(), "--input", tmp.resolve("nope.png").toString(),
                "--out", tmp.resolve("o3").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("nope.png") && r.err().contains("does not exist"), r.err());
        r = Cli.run("predict", "--model", tmp.resolve("none.rfim").toString(), "--config", config.toString(), "--input", img.toString(),
                "--out", tmp.resolve("o3").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("none.rfim") && r.err().contains("does not exist"), r.err());
        r = Cli.run("predict", "--model", img.toString(), "--config", config.toString(), "--input", img.toString(), "--out", tmp.resolve("o3").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("m.png") && r.err().contains("not a ResFIM state file"), r.err());
        Path empty = Files.createDirectories(tmp.resolve("no-images"));
        r = Cli.run("predict", "--model", model.toString(), "--config", config.toString(), "--input", empty.toString(), "--out", tmp.resolve("o3").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no image in"), r.err());
        r = Cli.run("predict", "--model", model.toString(), "--input", img.toString());
        assertEquals(2, r.code(), "--out is required");
    }
}
