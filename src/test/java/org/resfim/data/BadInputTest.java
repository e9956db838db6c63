package org.resfim.data;

import org.resfim.config.ConfigException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad input gives one clear error naming the file and the rule, and nothing is written into the
 * data folder.
 */
class BadInputTest {
    @TempDir
    Path root;

    static final String SITE = """
            data:
              image_size: 16
              sites:
                - name: clinic
                  folder: clinic
                  images: images/*.png
                  mask: 'masks/{stem}.png'
            """;

    @BeforeEach
    void goodSite() {
        for (int i = 0; i < 5; i++) {
            TestFiles.writeRgb(root.resolve("clinic/images/img" + i + ".png"), 32, 24, 0x406080);
            TestFiles.writeGrey(root.resolve("clinic/masks/img" + i + ".png"), 32, 24, TestFiles.square(32, 24, 0, 255));
        }
    }

    private DataException loadFails(String yaml) {
        Map<String, String> before = TestFiles.snapshot(root);
        FederationConfig cfg = FederationConfig.parse(yaml, root, "site.yaml");
        DataException ex = assertThrows(DataException.class, () -> FederationData.load(cfg));
        assertEquals(before, TestFiles.snapshot(root), "the data folder changed");
        DataCheck.Result check = DataCheck.run(cfg);
        assertTrue(!check.ok() && check.problems().get(0).contains(ex.problem()), check.report());
        assertEquals(before, TestFiles.snapshot(root), "the data folder changed");
        return ex;
    }

    private ConfigException configFails(String yaml) {
        return assertThrows(ConfigException.class, () -> FederationConfig.parse(yaml, root, "site.yaml"));
    }

    @Test
    void goodSiteLoads() {
        SiteDataset s = FederationData.load(FederationConfig.parse(SITE, root, "site.yaml")).get(0);
        assertEquals(5, s.size());
        assertEquals(16, s.height());
        assertEquals(0.25, s.train().get(0).foregroundFraction(), 0.02);
    }

    @Test
    void truncatedImage() throws Exception {
        Path f = root.resolve("clinic/images/img3.png");
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length / 2));
        DataException ex = loadFails(SITE);
        assertEquals("readable image", ex.rule());
        assertEquals(f.toString(), ex.file());
        assertTrue(ex.getMessage().startsWith(f.toString() + ": unreadable or truncated PNG image"), ex.getMessage());
    }

    @Test
    void truncatedJpeg() throws Exception {
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, (x * 4) << 16 | (y * 4) << 8 | ((x * y) & 0xff));
            }
        }
        Path f = root.resolve("photos/images/a.jpg");
        TestFiles.write(img, f);
        TestFiles.writeGrey(root.resolve("photos/masks/a.png"), 64, 64, TestFiles.square(64, 64, 0, 255));
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length * 2 / 3));
        DataException ex = loadFails(SITE.replace("clinic", "photos").replace("*.png", "*.jpg"));
        assertEquals("readable image", ex.rule());
        assertTrue(ex.getMessage().startsWith(f.toString() + ": "), ex.getMessage());
        assertTrue(ex.getMessage().contains("truncated"), ex.getMessage());
    }

    @Test
    void unreadableImage() throws Exception {
        Path f = root.resolve("clinic/images/img1.png");
        Files.write(f, "this is not a picture".getBytes());
        DataException ex = loadFails(SITE);
        assertEquals("readable image", ex.rule());
        assertTrue(ex.getMessage().contains("img1.png: unreadable image: the content is not a valid PNG file"),
                ex.getMessage());
    }

    @Test
    void maskMissing() throws Exception {
        Files.delete(root.resolve("clinic/masks/img2.png"));
        DataException ex = loadFails(SITE);
        assertEquals("mask", ex.rule());
        assertEquals(root.resolve("clinic/images/img2.png").toString(), ex.file());
        assertTrue(ex.getMessage().contains("mask missing for image: expected " + root.resolve("clinic/masks/img2.png")),
                ex.getMessage());
        assertTrue(ex.getMessage().contains("mask: 'masks/{stem}.png'"), ex.getMessage());
    }

    @Test
    void imageMaskSizeMismatch() {
        TestFiles.writeGrey(root.resolve("clinic/masks/img4.png"), 30, 24, TestFiles.fill(30 * 24, 0));
        DataException ex = loadFails(SITE);
        assertEquals("mask size", ex.rule());
        assertEquals(root.resolve("clinic/masks/img4.png").toString(), ex.file());
        assertTrue(ex.getMessage().contains("mask is 30x24 but its image " + root.resolve("clinic/images/img4.png")
                + " is 32x24"), ex.getMessage());
    }

    @Test
    void siteWithNoSamples() throws Exception {
        Files.createDirectories(root.resolve("empty/images"));
        DataException ex = loadFails(SITE.replace("folder: clinic", "folder: empty"));
        assertEquals("images", ex.rule());
        assertTrue(ex.getMessage().contains("site 'clinic' has no samples: no file matches images: 'images/*.png'"),
                ex.getMessage());
        assertTrue(ex.file().endsWith("empty"));
    }

    @Test
    void unknownFormat() throws Exception {
        Files.write(root.resolve("clinic/images/scan.xyz"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        TestFiles.writeGrey(root.resolve("clinic/masks/scan.png"), 32, 24, TestFiles.fill(32 * 24, 0));
        DataException ex = loadFails(SITE.replace("images/*.png", "images/*"));
        assertEquals("known format", ex.rule());
        assertTrue(ex.getMessage().contains("scan.xyz: unknown image format '.xyz'"), ex.getMessage());
        assertTrue(ex.getMessage().contains("supported: PNG, JPEG"), ex.getMessage());
    }

    @Test
    void maskValueOutsideTheDeclaredMapping() {
        int[] v = TestFiles.square(32, 24, 0, 255);
        v[5] = 77;
        TestFiles.writeGrey(root.resolve("clinic/masks/img0.png"), 32, 24, v);
        DataException ex = loadFails(SITE + "      label: {values: {0: background, 255: lesion}, foreground: [lesion]}\n");
        assertEquals("label.values", ex.rule());
        assertEquals(root.resolve("clinic/masks/img0.png").toString(), ex.file());
        assertTrue(ex.getMessage().contains("mask value 77 is outside the declared mapping [0, 255]"), ex.getMessage());
        assertTrue(ex.getMessage().contains("values in this mask: {0, 77, 255}"), ex.getMessage());
    }

    @Test
    void missingFolder() {
        DataException ex = loadFails(SITE.replace("folder: clinic", "folder: clinc"));
        assertEquals("folder", ex.rule());
        assertEquals(root.resolve("clinc").toString(), ex.file());
        assertTrue(ex.getMessage().contains("site 'clinic': folder does not exist (declared as folder: 'clinc')"),
                ex.getMessage());
    }

    @Test
    void unknownKeySuggestsTheNearest() {
        ConfigException ex = configFails(SITE.replace("images: images", "imagess: images"));
        assertEquals("config.known-keys", ex.rule());
        assertEquals("site.yaml", ex.file());
        assertTrue(ex.getMessage().contains("unknown key 'imagess' in 'data.sites[0]' — did you mean 'images'?"),
                ex.getMessage());
        assertTrue(configFails("dta: {}\n").getMessage().contains("did you mean 'data'?"));
        assertTrue(configFails(SITE.replace("image_size", "image_sise")).getMessage()
                .contains("unknown key 'image_sise' in 'data' — did you mean 'image_size'?"));
        assertTrue(configFails(SITE + "      label: {treshold: 100}\n").getMessage()
                .contains("unknown key 'treshold' in 'data.sites[0].label' — did you mean 'threshold'?"));
        assertTrue(configFails("data: {synthetic: {smaples: 3}}\n").getMessage().contains("did you mean 'samples'?"));
        assertTrue(configFails(SITE.replace("{stem}", "{stme}")).getMessage()
                .contains("'mask' uses {stme}, which is not defined — did you mean {stem}?"));
        // sections owned by other packages are passed through unchecked
        FederationConfig ok = FederationConfig.parse(SITE + "method: {anything: 1, goes: [here]}\n", root, "site.yaml");
        assertEquals(Map.of("anything", 1, "goes", java.util.List.of("here")), ok.method());
    }

    @Test
    void twoSitesWithTheSameName() {
        String yaml = SITE + """
                    - name: Clinic
                      folder: clinic
                      images: images/*.png
                      mask: 'masks/{stem}.png'
                """;
        ConfigException ex = configFails(yaml);
        assertEquals("config.unique-site-names", ex.rule());
        assertTrue(ex.getMessage().startsWith("site.yaml: two sites are named 'Clinic'"), ex.getMessage());
    }

    @Test
    void dataCheckFlagsALabelRuleThatFindsNothing() {
        DataCheck.Result r = DataCheck.run(FederationConfig.parse(SITE + "      label: {threshold: 256}\n", root, "s.yaml"));
        assertTrue(!r.ok());
        assertTrue(r.problems().contains("site clinic: no foreground in any mask — check the label rule (threshold,"
                + " values, invert)"), r.report());
        DataCheck.Result inverted = DataCheck.run(FederationConfig.parse(SITE + "      label: {invert: true}\n", root,
                "s.yaml"));
        assertTrue(inverted.ok());
        assertTrue(inverted.warnings().stream().anyMatch(w -> w.contains("is the label inverted")), inverted.report());
        Path bad = root.resolve("bad.yaml");
        TestFiles.writeText(bad, "data: {sitez: []}\n");
        DataCheck.Result unreadable = DataCheck.run(bad, null);
        assertTrue(!unreadable.ok() && unreadable.problems().get(0).contains("did you mean 'sites'?"), unreadable.report());
    }

    @Test
    void duplicateYamlKeyAndBadYaml() {
        assertTrue(configFails("seed: 1\nseed: 2\n").getMessage().contains("duplicate key seed"));
        assertEquals("config.yaml", configFails("data: [unclosed\n").rule());
    }
}
