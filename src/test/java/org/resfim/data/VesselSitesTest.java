package org.resfim.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The three real vessel sites through examples/vessel-3site.yaml: formats, labels, splits, manifests. */
class VesselSitesTest {
    static FederationConfig config;
    static List<SiteDataset> sites;
    static Map<String, String> before;

    @BeforeAll
    static void load() {
        before = TestFiles.snapshot(TestFiles.data("fed-vessel"));
        config = FederationConfig.load(TestFiles.EXAMPLES.resolve("vessel-3site.yaml"));
        sites = FederationData.load(config);
    }

    @AfterAll
    static void nothingWrittenToData() {
        assertEquals(before, TestFiles.snapshot(TestFiles.data("fed-vessel")), "the data folder changed");
    }

    static SiteDataset site(List<SiteDataset> list, String name) {
        return list.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void threeSitesWithTheirSampleCounts() {
        assertEquals(List.of("DRIVE", "CHASE_DB1", "STARE"), sites.stream().map(SiteDataset::name).collect(Collectors.toList()));
        assertEquals(40, site(sites, "DRIVE").size());
        assertEquals(28, site(sites, "CHASE_DB1").size());
        assertEquals(16, site(sites, "STARE").size());
    }

    @Test
    void driveOfficialSplitIsHonoured() {
        SiteDataset drive = site(sites, "DRIVE");
        assertEquals(20, drive.test().size());
        for (Sample s : drive.test()) {
            assertTrue(s.id().startsWith("test/images/") && s.id().endsWith("_test.tif"), s.id());
        }
        // validation drawn from the official training images: 20 * 0.1 / 0.8 = 2.5 -> 2 (ties go to train)
        assertEquals(18, drive.train().size());
        assertEquals(2, drive.val().size());
        for (Sample s : drive.val()) {
            assertTrue(s.id().startsWith("training/images/"), s.id());
        }
        // the official test split does not depend on the seed
        SiteDataset other = site(FederationData.load(config.withSeed(7)), "DRIVE");
        assertEquals(ids(drive.test()), ids(other.test()));
    }

    @Test
    void chaseIsSplitByChildAndStareByImage() {
        SiteDataset chase = site(sites, "CHASE_DB1");
        // 14 children (two eyes each): 70/10/20 by patient -> 10/1/3 children -> 20/2/6 images
        assertEquals(20, chase.train().size());
        assertEquals(2, chase.val().size());
        assertEquals(6, chase.test().size());
        Map<String, Split> patientSplit = new HashMap<>();
        for (Split sp : Split.values()) {
            for (Sample s : chase.split(sp)) {
                Split prev = patientSplit.put(s.patientId(), sp);
                assertTrue(prev == null || prev == sp, "child " + s.patientId() + " is in two splits");
                assertEquals(s.id().substring("images/Image_".length(), "images/Image_".length() + 2), s.patientId());
            }
        }
        assertEquals(14, patientSplit.size());
        SiteDataset stare = site(sites, "STARE");
        assertEquals(11, stare.train().size());
        assertEquals(2, stare.val().size());
        assertEquals(3, stare.test().size());
    }

    @Test
    void samplesAreAtTrainingResolutionWithBinaryLabels() {
        for (SiteDataset site : sites) {
            double fg = 0;
            for (Sample s : site.all()) {
                assertEquals(3, s.channels());
                assertEquals(128, s.height());
                assertEquals(128, s.width());
                float min = Float.MAX_VALUE;
                float max = -Float.MAX_VALUE;
                for (float v : s.image()) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
                assertTrue(min >= 0f && max <= 1f && max > 0.5f, site.name() + " " + s.id() + " range " + min + ".." + max);
                Set<Float> labels = new TreeSet<>();
                for (float v : s.mask()) {
                    labels.add(v);
                }
                assertEquals(Set.of(0f, 1f), labels, s.id());
                fg += s.foregroundFraction();
                assertTrue(s.sourcePath().endsWith(s.id().substring(s.id().lastIndexOf('/') + 1)));
            }
            fg /= site.size();
            // vessels cover a few percent of a fundus image
            assertTrue(fg > 0.04 && fg < 0.15, site.name() + " vessel fraction " + fg);
        }
    }

    @Test
    void fieldOfViewOnlyWhereDeclared() {
        for (Sample s : site(sites, "DRIVE").all()) {
            assertNotNull(s.fov());
            double f = 0;
            for (float v : s.fov()) {
                assertTrue(v == 0f || v == 1f);
                f += v;
            }
            f /= s.fov().length;
            assertTrue(f > 0.55 && f < 0.85, "DRIVE field of view covers " + f);
        }
        for (Sample s : site(sites, "CHASE_DB1").all()) {
            assertNull(s.fov());
        }
    }

    @Test
    void manifestReproducesTheSplitAndRecordsHashes(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("run/splits.json");
        FederationData.writeManifest(sites, file);
        String json = Files.readString(file);
        assertTrue(json.contains("\"format\": \"resfim-split-manifest/1\""));
        List<SplitManifest> read = SplitManifest.read(file);
        assertEquals(3, read.size());
        SplitManifest drive = read.get(0);
        assertEquals("DRIVE", drive.site());
        assertEquals(40, drive.entries().size());
        SplitManifest.Entry e = drive.entry("training/images/21_training.tif");
        assertEquals("training/1st_manual/21_manual1.gif", e.mask());
        assertEquals("training/mask/21_training_mask.gif", e.fov());
        assertTrue(e.imageSha256().matches("[0-9a-f]{64}"));
        assertEquals(565, e.width());
        assertEquals(584, e.height());
        assertEquals(List.of(0, 255), e.maskValues());
        assertEquals(sites.get(0).manifest().entries(), drive.entries());

        // another seed would draw another split; the manifest pins it
        List<SiteDataset> again = FederationData.load(config.withSeed(12345).withManifest(file));
        for (int i = 0; i < 3; i++) {
            for (Split sp : Split.values()) {
                assertEquals(ids(sites.get(i).split(sp)), ids(again.get(i).split(sp)), sites.get(i).name() + " " + sp);
            }
        }
        List<SiteDataset> redrawn = FederationData.load(config.withSeed(12345));
        assertNotEquals(ids(site(sites, "CHASE_DB1").test()), ids(site(redrawn, "CHASE_DB1").test()));
    }

    @Test
    void changedFileIsDetectedAgainstTheManifest(@TempDir Path tmp) throws Exception {
        // a copy of STARE whose one image then changes
        Path stare = tmp.resolve("fed/STARE");
        copyTree(TestFiles.data("fed-vessel/STARE"), stare);
        FederationConfig copy = config.withDataRoot(tmp.resolve("fed"));
        SiteConfig sc = copy.sites().get(2);
        SiteDataset loaded = FederationData.loadSite(copy, sc, null);
        Path manifest = tmp.resolve("splits.json");
        SplitManifest.write(manifest, List.of(loaded.manifest()));
        assertEquals(16, FederationData.loadSite(copy.withManifest(manifest), sc, SplitManifest.read(manifest)).size());

        Path victim = stare.resolve("images/im0077.ppm");
        byte[] b = Files.readAllBytes(victim);
        b[b.length - 1] ^= 0x55;
        b[b.length - 100] ^= 0x55;
        Files.write(victim, b);
        Files.setLastModifiedTime(victim, java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L));
        DataException ex = assertThrows(DataException.class,
                () -> FederationData.loadSite(copy.withManifest(manifest), sc, SplitManifest.read(manifest)));
        assertTrue(ex.getMessage().contains("im0077.ppm"), ex.getMessage());
        assertTrue(ex.getMessage().contains("content changed since the split manifest was written"), ex.getMessage());
        assertEquals("manifest", ex.rule());

        b[b.length - 1] ^= 0x55;
        b[b.length - 100] ^= 0x55;
        Files.write(victim, b); // restored
        assertEquals(16, FederationData.loadSite(copy, sc, SplitManifest.read(manifest)).size());

        Files.delete(stare.resolve("labels-ah/im0082.ah.ppm"));
        Files.delete(stare.resolve("images/im0082.ppm"));
        DataException missing = assertThrows(DataException.class,
                () -> FederationData.loadSite(copy, sc, SplitManifest.read(manifest)));
        assertTrue(missing.getMessage().contains("im0082.ppm"), missing.getMessage());
        assertTrue(missing.getMessage().contains("listed in the split manifest") && missing.getMessage().contains("missing"),
                missing.getMessage());
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.collect(Collectors.toList())) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    @Test
    void dataRootOverrideAndMissingFolder(@TempDir Path tmp) {
        FederationConfig moved = config.withDataRoot(TestFiles.data("fed-vessel"));
        assertEquals(config.siteFolder(config.sites().get(0)), moved.siteFolder(moved.sites().get(0)));
        FederationConfig wrong = config.withDataRoot(tmp.resolve("nowhere"));
        DataException ex = assertThrows(DataException.class, () -> FederationData.load(wrong));
        assertEquals("folder", ex.rule());
        assertTrue(ex.getMessage().contains(tmp.resolve("nowhere").resolve("DRIVE").toString()), ex.getMessage());
        assertTrue(ex.getMessage().contains("does not exist"), ex.getMessage());
    }

    @Test
    void dataCheckReportsEverySite() {
        DataCheck.Result r = DataCheck.run(config);
        assertTrue(r.ok(), r.report());
        String t = r.report();
        assertTrue(t.contains("site DRIVE"), t);
        assertTrue(t.contains("40 = train 18 / val 2 / test 20"), t);
        assertTrue(t.contains("28 = train 20 / val 2 / test 6"), t);
        assertTrue(t.contains("16 = train 11 / val 2 / test 3"), t);
        assertTrue(t.contains("565x584 (40)") && t.contains("999x960 (28)") && t.contains("700x605 (16)"), t);
        assertTrue(t.contains("{0, 255} stored"), t);
        assertTrue(t.contains("40 of 40 samples"), t);
        assertTrue(t.contains("problems: none"), t);
    }

    @Test
    void previewShowsOneRowPerSiteWithOutlines(@TempDir Path tmp) throws Exception {
        Path png = tmp.resolve("preview.png");
        DataPreview.write(sites, png, 4);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(130 + 4 * (128 + 4) + 4, img.getWidth());
        assertEquals(3 * (128 + 4) + 4, img.getHeight());
        for (int row = 0; row < 3; row++) {
            int green = 0;
            for (int y = 4 + row * 132; y < 4 + row * 132 + 128; y++) {
                for (int x = 134; x < img.getWidth(); x++) {
                    if ((img.getRGB(x, y) & 0xffffff) == DataPreview.OUTLINE_RGB) {
                        green++;
                    }
                }
            }
            assertTrue(green > 500, "row " + row + " has " + green + " outline pixels");
        }
        Path inside = TestFiles.data("fed-vessel").resolve("DRIVE/preview.png");
        DataException ex = assertThrows(DataException.class, () -> DataPreview.write(config, inside, 2));
        assertEquals("read-only data", ex.rule());
        assertThrows(DataException.class, () -> FederationData.writeManifest(sites, inside));
        assertTrue(!Files.exists(inside));
    }

    static Set<String> ids(List<Sample> samples) {
        Set<String> s = new HashSet<>();
        for (Sample x : samples) {
            s.add(x.id());
        }
        return s;
    }
}
