package org.resfim.data;

import org.resfim.config.ConfigException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTest {
    @Test
    void vesselExampleParses() {
        FederationConfig cfg = FederationConfig.load(TestFiles.EXAMPLES.resolve("vessel-3site.yaml"));
        assertEquals(0, cfg.seed());
        assertEquals(128, cfg.imageHeight());
        assertEquals(3, cfg.channels());
        assertEquals(Augmentation.STANDARD, cfg.augmentation());
        assertEquals(SplitRatios.DEFAULT, cfg.splitRatios());
        assertEquals(3, cfg.sites().size());
        SiteConfig drive = cfg.sites().get(0);
        assertEquals(2, drive.sources().size());
        SourceConfig test = drive.sources().get(1);
        assertEquals("test", test.folder());
        assertEquals(Split.TEST, test.split());
        assertEquals("images/*.tif", test.images());
        assertEquals("mask/{stem}_mask.gif", test.fov());
        assertEquals(Path.of("..", "shared", "data", "fed-vessel", "DRIVE").toAbsolutePath().normalize(),
                cfg.siteFolder(drive));
        assertEquals(100, cfg.federation().get("rounds"));
        assertEquals(List.of("pfl-resfim", "fedavg", "local"), cfg.method().get("list"));
        assertEquals(8, cfg.training().get("batch_size"));
        assertEquals(0.5, cfg.evaluation().get("select_after"));
        assertEquals(16, cfg.section("model").get("width"));
        assertEquals(Map.of(), cfg.section("report"));
    }

    @Test
    void overridesMakeCopies() {
        FederationConfig cfg = FederationConfig.load(TestFiles.EXAMPLES.resolve("vessel-3site.yaml"));
        FederationConfig c2 = cfg.withSeed(2).withImageSize(96, 64).withDataRoot(Path.of("/data/vessels"));
        assertEquals(0, cfg.seed());
        assertEquals(2, c2.seed());
        assertEquals(96, c2.imageHeight());
        assertEquals(64, c2.imageWidth());
        assertEquals(Path.of("/data/vessels/STARE"), c2.siteFolder(c2.sites().get(2)));
        // the resolved YAML reloads to the same settings from anywhere
        FederationConfig back = FederationConfig.parse(c2.toYaml(), Path.of("/elsewhere"), "resolved.yaml");
        assertEquals(2, back.seed());
        assertEquals(96, back.imageHeight());
        assertEquals(64, back.imageWidth());
        assertEquals(Path.of("/data/vessels/STARE"), back.siteFolder(back.sites().get(2)));
        assertEquals(cfg.sites().get(1).sources(), back.sites().get(1).sources());
        FederationConfig noRoot = FederationConfig.parse("data:\n  sites:\n    - {name: a, images: '*.png', mask: 'm/{stem}.png'}\n",
                Path.of("/cfgdir"), "x.yaml");
        FederationConfig moved = FederationConfig.parse(noRoot.toYaml(), Path.of("/other"), "y.yaml");
        assertEquals(Path.of("/cfgdir/a"), moved.siteFolder(moved.sites().get(0)));
    }

    @Test
    void defaultsMergeIntoSitesAndSiteKeysWin() {
        String yaml = """
                seed: 3
                data:
                  image_size: [64, 80]
                  channels: 1
                  preprocess: {center_crop: square, intensity: percentile, percentiles: [1, 99], interpolation: nearest}
                  augment: {hflip: 0.25, vflip: false, rot90: 1}
                  split: {train: 0.6, val: 0.2, test: 0.2}
                  defaults:
                    images: 'img/*.png'
                    mask: 'lbl/{stem}.png'
                    label: {threshold: 10, invert: true}
                  sites:
                    - {name: a}
                    - {name: b, folder: there, mask: 'other/{stem}_m.png', label: {values: {0: 0, 1: 1, 2: 2}}}
                x-notes: free text
                """;
        FederationConfig cfg = FederationConfig.parse(yaml, Path.of("/base"), "t.yaml");
        assertEquals(3, cfg.seed());
        assertEquals(new Preprocessing(64, 80, 1, Preprocessing.Crop.SQUARE, 0, 0, Preprocessing.Intensity.PERCENTILE,
                1, 99, Preprocessing.Interpolation.NEAREST), cfg.preprocessing());
        assertEquals(new Augmentation(0.25, 0, 1), cfg.augmentation());
        assertEquals(new SplitRatios(0.6, 0.2, 0.2), cfg.splitRatios());
        SiteConfig a = cfg.sites().get(0);
        assertEquals("a", a.folder());
        assertEquals("lbl/{stem}.png", a.sources().get(0).mask());
        assertEquals(10, a.label().threshold());
        assertTrue(a.label().invert());
        SiteConfig b = cfg.sites().get(1);
        assertEquals(Path.of("/base/there"), cfg.siteFolder(b));
        assertEquals("img/*.png", b.sources().get(0).images());
        assertEquals("other/{stem}_m.png", b.sources().get(0).mask());
        assertEquals(3, b.label().numClasses());
        assertTrue(!b.label().binary());
        assertNull(cfg.synthetic());
    }

    @Test
    void valueErrorsNameTheKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> FederationConfig.parse(
                "data: {channels: 2}", Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().startsWith("c.yaml: 'data.channels' must be 1 or 3, got 2"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> FederationConfig.parse(
                "data: {preprocess: {intensity: minmx}}", Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().contains("did you mean 'minmax'?"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> FederationConfig.parse(
                "data:\n  sites:\n    - {name: a, mask: 'm/{stem}.png'}\n", Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().contains("data.sites[0] (site 'a') needs 'images'"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> FederationConfig.parse(
                "data:\n  sites:\n    - {name: a, images: '*', mask: 'm/{stem}', match: '(unclosed'}\n", Path.of("."),
                "c.yaml"));
        assertTrue(e.getMessage().contains("'match' is not a valid regular expression"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> FederationConfig.parse(
                "data:\n  sites:\n    - {name: a, images: '*', mask: 'm', label: {values: {0: bg, 9: x}, foreground: [y]}}\n",
                Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().contains("label.foreground class 'y' is not one of the classes"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> FederationConfig.parse(
                "data: {split: {train: 0.5, val: 0.1, test: 0.1}}", Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().contains("sum to 1"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> FederationConfig.parse(
                "data: {synthetic: {sites: 2}, sites: []}", Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().contains("both 'sites' and 'synthetic'"), e.getMessage());
    }

    /** A mistake in data.defaults is reported where it is written, not at the first site that inherits it. */
    @Test
    void errorsInTheDefaultsNameTheDefaults() {
        String sites = "  sites:\n    - {name: a, images: '*.png', mask: 'm/{stem}.png'}\n";
        ConfigException e = assertThrows(ConfigException.class, () -> FederationConfig.parse(
                "data:\n  defaults:\n    label: {treshold: 3}\n" + sites, Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().startsWith("c.yaml: unknown key 'treshold' in 'data.defaults.label' — did you mean 'threshold'?"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> FederationConfig.parse(
                "data:\n  defaults:\n    label: {treshold: 3}\n  sites:\n    - {name: a, images: '*.png', mask: 'm', label: {threshold: 2}}\n",
                Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().contains("in 'data.defaults.label'"), "checked even where every site has its own: " + e.getMessage());
        e = assertThrows(ConfigException.class, () -> FederationConfig.parse(
                "data:\n  defaults:\n    label: {threshold: high}\n" + sites, Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().startsWith("c.yaml: 'data.defaults.label.threshold' must be an integer, got 'high'"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> FederationConfig.parse(
                "data:\n  defaults:\n    match: '(unclosed'\n" + sites, Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().startsWith("c.yaml: data.defaults (for site 'a'): 'match' is not a valid regular expression"), e.getMessage());
        assertTrue(e.getMessage().endsWith("[rule: config.value of data.defaults.match]"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> FederationConfig.parse(
                "data:\n  defaults:\n    sources: [{folder: x, imgs: '*.png'}]\n" + sites, Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().contains("in 'data.defaults.sources[0]' — did you mean 'images'?"), e.getMessage());
        // the site's own value is still reported at the site
        e = assertThrows(ConfigException.class, () -> FederationConfig.parse(
                "data:\n  defaults:\n    label: {threshold: 3}\n  sites:\n    - {name: a, images: '*', mask: 'm', label: {treshold: 2}}\n",
                Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().contains("in 'data.sites[0].label'"), e.getMessage());
    }

    @Test
    void imageSizeSaysWhatItTakes() {
        ConfigException e = assertThrows(ConfigException.class, () -> FederationConfig.parse("data: {image_size: abc}", Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().startsWith("c.yaml: 'data.image_size' must be a number or a list [height, width], got 'abc'"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> FederationConfig.parse("data: {image_size: [64, 64, 3]}", Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().startsWith("c.yaml: 'data.image_size' must be a number or a list [height, width], got a list of 3"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> FederationConfig.parse("data: {image_size: [64, x]}", Path.of("."), "c.yaml"));
        assertTrue(e.getMessage().startsWith("c.yaml: 'data.image_size' must be a number or a list [height, width], got a list holding 'x'"),
                e.getMessage());
        assertEquals(96, FederationConfig.parse("data: {image_size: 96}", Path.of("."), "c.yaml").imageHeight());
    }

    @Test
    void nearestKey() {
        assertEquals(3, org.resfim.config.Suggest.distance("kitten", "sitting"));
        assertEquals(1, org.resfim.config.Suggest.distance("smaples", "samples"));
        assertEquals("images", org.resfim.config.Suggest.nearest("imgs", FederationConfig.SITE_KEYS));
        assertEquals("patient", org.resfim.config.Suggest.nearest("patiant", FederationConfig.SITE_KEYS));
        assertNull(org.resfim.config.Suggest.nearest("completely-different", FederationConfig.SITE_KEYS));
    }
}
