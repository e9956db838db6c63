package org.resfim.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.data.ImageDecoder;
import org.resfim.data.Preprocessing;
import org.resfim.engine.UNet;
import org.resfim.federation.ModelCard;
import org.resfim.model.NormType;
import org.resfim.model.UNetConfig;
import org.resfim.run.html.ImagePreparation;
import org.resfim.run.html.SegmentationModel;
import org.resfim.state.ModelState;
import org.resfim.state.StateFile;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
    /** The same tiny model in a file that records its settings (trained at 32x32). */
    static Path carded;
    static ModelCard card = new ModelCard(TINY, Preprocessing.defaults(32), "threshold=128,invert=false", "test", "abc");

    @BeforeAll
    static void tinyModel() throws Exception {
        try (UNet net = new UNet(TINY, 7)) {
            state = net.toState();
        }
        model = tmp.resolve("model.rfim");
        StateFile.write(state, Map.of("site", "synthetic-1", "round", "2"), model);
        carded = Files.createDirectories(tmp.resolve("carded")).resolve("model.rfim");
        StateFile.write(state, withCard(Map.of("site", "synthetic-1", "round", "2"), card.toMetadata()), carded);
        config = tmp.resolve("tiny.yaml");
        Files.writeString(config, """
                data:
                  synthetic: {sites: 2, samples: 4, size: 32}
                model: {width: 4, depth: 3}
                """);
    }

    static Map<String, String> withCard(Map<String, String> meta, Map<String, String> cardMeta) {
        Map<String, String> m = new LinkedHashMap<>(meta);
        m.putAll(cardMeta);
        return m;
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
        Cli.Result r = Cli.run("predict", "--model", carded.toString(), "--input", in.toString(), "--out", out.toString());
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
        Cli.Result r = Cli.run("predict", "--model", carded.toString(), "--input", in.resolve("broken.png").toString(),
                "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("broken.png"), r.err());
        // in a folder: the others are segmented, the broken one named, exit 1
        r = Cli.run("predict", "--model", carded.toString(), "--input", in.toString(), "--out", out.toString());
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

    /** An image of a bright disc on a darker, noisy background, and its mask (255 inside the disc). */
    static BufferedImage[] disc(int w, int h, long seed) {
        Random r = new Random(seed);
        double cx = w * (0.3 + 0.4 * r.nextDouble());
        double cy = h * (0.3 + 0.4 * r.nextDouble());
        double rad = Math.min(w, h) * (0.15 + 0.1 * r.nextDouble());
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        BufferedImage mask = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean in = (x - cx) * (x - cx) + (y - cy) * (y - cy) < rad * rad;
                int g = Math.min(255, (in ? 200 : 60) + r.nextInt(40));
                img.setRGB(x, y, (g << 16) | ((g * 3 / 4) << 8) | (g / 2));
                mask.getRaster().setSample(x, y, 0, in ? 255 : 0);
            }
        }
        return new BufferedImage[] {img, mask};
    }

    @Test
    void aTrainLocalModelCopiedAnywherePredictsAtItsTrainingSize() throws Exception {
        Path images = Files.createDirectories(tmp.resolve("tl-data/images"));
        Path masks = Files.createDirectories(tmp.resolve("tl-data/masks"));
        for (int i = 0; i < 10; i++) {
            BufferedImage[] d = disc(48, 40, i);
            ImageIO.write(d[0], "png", images.resolve("img" + i + ".png").toFile());
            ImageIO.write(d[1], "png", masks.resolve("img" + i + ".png").toFile());
        }
        Path run = tmp.resolve("tl-run");
        Cli.Result r = Cli.run("train-local", "--images", images.toString(), "--masks", masks.toString(), "--size", "32", "--epochs", "2",
                "--batch", "4", "--init", "kaiming-fan-out", "--out", run.toString()); // Kaiming's larger logits: both classes after 2 epochs
        assertEquals(0, r.code(), r.err() + r.out());
        Path inPlace = run.resolve("local/selected-model.rfim");
        ModelCard recorded = ModelCard.read(StateFile.readContents(inPlace).metadata(), inPlace.toString()).orElseThrow();
        assertEquals(32, recorded.preprocessing().height());
        assertEquals(32, recorded.preprocessing().width());
        assertEquals(UNetConfig.reference(), recorded.unet());
        Path copied = Files.createDirectories(tmp.resolve("somewhere-else")).resolve("copy.rfim");
        Files.copy(inPlace, copied);

        Path img = tmp.resolve("tl-input.png");
        ImageIO.write(disc(57, 45, 99)[0], "png", img.toFile());
        Cli.Result a = Cli.run("predict", "--model", inPlace.toString(), "--input", img.toString(), "--out", tmp.resolve("tl-pred-a").toString());
        Cli.Result b = Cli.run("predict", "--model", copied.toString(), "--input", img.toString(), "--out", tmp.resolve("tl-pred-b").toString());
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        assertTrue(b.out().contains("images at 32x32 (configuration: the settings recorded in the model file)"), b.out());
        assertTrue(b.out().contains("threshold=128,invert=false"), "the label convention is named: " + b.out());
        assertFalse(b.err().contains("warning"), b.err());
        assertEquals(-1, Files.mismatch(tmp.resolve("tl-pred-a/tl-input_mask.png"), tmp.resolve("tl-pred-b/tl-input_mask.png")),
                "the same masks inside and outside the folder it was trained in");
        // the mask is the network's prediction at 32x32, resized back to the image's 57x45
        boolean[] cli = readMask(tmp.resolve("tl-pred-b/tl-input_mask.png"), 57, 45);
        assertTrue(count(cli) > 0 && count(cli) < cli.length, "both classes in the mask, so that the resolution shows: " + count(cli));
        ImagePreparation.Prepared in = ImagePreparation.prepare(ImageDecoder.read(img), Preprocessing.defaults(32));
        assertEquals(32, in.height());
        boolean[] direct;
        try (SegmentationModel m = new SegmentationModel(UNetConfig.reference(), StateFile.read(copied))) {
            direct = ImagePreparation.restore(m.predict(in.input(), in.channels(), in.height(), in.width(), 0.5), in);
        }
        assertArrayEquals(direct, cli);
    }

    @Test
    void aModelFileWithItsSettingsNeedsNoConfigAndAgreesWithAMatchingOne() throws Exception {
        Path img = tmp.resolve("c.png");
        ImageIO.write(random(40, 36, BufferedImage.TYPE_INT_RGB, 12), "png", img.toFile());
        Cli.Result alone = Cli.run("predict", "--model", carded.toString(), "--input", img.toString(), "--out", tmp.resolve("c-alone").toString());
        assertEquals(0, alone.code(), alone.err());
        assertTrue(alone.out().contains("width 4, depth 3") && alone.out().contains("images at 32x32"), alone.out());
        assertFalse(alone.err().contains("warning"), alone.err());
        // the old-format file with the configuration it was trained with gives the same masks
        Cli.Result old = Cli.run("predict", "--model", model.toString(), "--config", config.toString(), "--input", img.toString(),
                "--out", tmp.resolve("c-old").toString());
        assertEquals(0, old.code(), old.err());
        assertEquals(-1, Files.mismatch(tmp.resolve("c-alone/c_mask.png"), tmp.resolve("c-old/c_mask.png")));
        // a --config that agrees with every recorded setting is accepted
        Cli.Result agree = Cli.run("predict", "--model", carded.toString(), "--config", config.toString(), "--input", img.toString(),
                "--out", tmp.resolve("c-agree").toString());
        assertEquals(0, agree.code(), agree.err());
        assertEquals(-1, Files.mismatch(tmp.resolve("c-alone/c_mask.png"), tmp.resolve("c-agree/c_mask.png")));
    }

    @Test
    void aConfigThatContradictsTheModelFileIsRefusedNamingTheSetting() throws Exception {
        Path img = tmp.resolve("x.png");
        ImageIO.write(random(32, 32, BufferedImage.TYPE_INT_RGB, 1), "png", img.toFile());
        Path wide = tmp.resolve("wide8.yaml");
        Files.writeString(wide, "data: {synthetic: {size: 32}}\nmodel: {width: 8, depth: 3}\n");
        Cli.Result r = Cli.run("predict", "--model", carded.toString(), "--config", wide.toString(), "--input", img.toString(),
                "--out", tmp.resolve("x-wide").toString());
        assertEquals(1, r.code());
        assertEquals("error: --config " + wide + " contradicts the settings recorded in " + carded + ": model.width 4 in the file, 8 in --config"
                + " — the file records what the model was trained with: drop --config", r.err().strip());
        assertFalse(Files.exists(tmp.resolve("x-wide/x_mask.png")));
        Path big = tmp.resolve("big64.yaml");
        Files.writeString(big, "data: {synthetic: {size: 64}}\nmodel: {width: 4, depth: 3}\n");
        r = Cli.run("predict", "--model", carded.toString(), "--config", big.toString(), "--input", img.toString(), "--out", tmp.resolve("x-big").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("data.image_size 32x32 in the file, 64x64 in --config") && r.err().contains("use --size"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void anExplicitSizeOverridesTheRecordedOneWithAWarning() throws Exception {
        Path img = tmp.resolve("s.png");
        ImageIO.write(random(40, 40, BufferedImage.TYPE_INT_RGB, 5), "png", img.toFile());
        Cli.Result r = Cli.run("predict", "--model", carded.toString(), "--size", "64", "--input", img.toString(), "--out", tmp.resolve("s64").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("warning: predicting at 64x64 (--size) although " + carded + " was trained at 32x32: the masks differ from those at the"
                + " training resolution", r.err().strip());
        assertTrue(r.out().contains("images at 64x64"), r.out());
        // the recorded size given explicitly is no contradiction
        r = Cli.run("predict", "--model", carded.toString(), "--size", "32", "--input", img.toString(), "--out", tmp.resolve("s32").toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("warning"), r.err());
    }

    @Test
    void anOldModelFileLoadsWithTheAssumedSettingsInOneWarningLine() throws Exception {
        Path img = tmp.resolve("o.png");
        ImageIO.write(random(32, 32, BufferedImage.TYPE_INT_RGB, 8), "png", img.toFile());
        Cli.Result r = Cli.run("predict", "--model", model.toString(), "--config", config.toString(), "--input", img.toString(),
                "--out", tmp.resolve("o-out").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("warning: " + model + " records no model settings (written by an older ResFIM); assumed those of " + config
                + ": U-Net width 4, depth 3, 3 input channels, norm batch, images at 32x32, 3 channels, no crop, intensity scaled by the bit depth,"
                + " bilinear resize", r.err().strip());
    }

    @Test
    void recordedSettingsThatDoNotFitTheTensorsAreRefusedNamingTheTensor() throws Exception {
        Path img = tmp.resolve("l.png");
        ImageIO.write(random(32, 32, BufferedImage.TYPE_INT_RGB, 1), "png", img.toFile());
        Map<String, String> lie = new LinkedHashMap<>(card.toMetadata());
        lie.put("model.width", "8");
        Path lying = tmp.resolve("lying.rfim");
        StateFile.write(state, lie, lying);
        Cli.Result r = Cli.run("predict", "--model", lying.toString(), "--input", img.toString(), "--out", tmp.resolve("l-out").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("tensor 'd.0.c1.weight' has shape [4, 3, 3, 3] in the checkpoint, the model expects [8, 3, 3, 3]"), r.err());
        assertTrue(r.err().contains("from the settings recorded in the model file") && r.err().contains("edited or damaged"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        Map<String, String> broken = new LinkedHashMap<>(card.toMetadata());
        broken.put("data.preprocess.intensity", "zscore");
        Path bad = tmp.resolve("bad-card.rfim");
        StateFile.write(state, broken, bad);
        r = Cli.run("predict", "--model", bad.toString(), "--input", img.toString(), "--out", tmp.resolve("b-out").toString());
        assertEquals(1, r.code());
        assertEquals("error: model file " + bad + ": metadata entry 'data.preprocess.intensity': 'zscore' is not one of scale, minmax, percentile",
                r.err().strip());
    }
}
