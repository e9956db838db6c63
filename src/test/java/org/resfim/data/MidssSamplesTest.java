package org.resfim.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The prostate and fundus sample configs: label conventions (inverted, value mapping, cup/disc tasks). */
class MidssSamplesTest {
    @Test
    void prostateSixSitesWithInvertedMasks() {
        FederationConfig cfg = FederationConfig.load(TestFiles.EXAMPLES.resolve("prostate-samples.yaml"));
        List<SiteDataset> sites = FederationData.load(cfg);
        assertEquals(List.of("BIDMC", "BMC", "HK", "I2CVB", "RUNMC", "UCL"),
                sites.stream().map(SiteDataset::name).collect(Collectors.toList()));
        for (SiteDataset s : sites) {
            assertEquals(1, s.train().size(), s.name());
            assertEquals(1, s.test().size(), s.name());
            assertTrue(s.test().get(0).id().startsWith("test/"));
            for (Sample x : s.all()) {
                assertEquals(1, x.channels());
                assertEquals(128, x.height());
                assertEquals("00", x.patientId());
                // 0 = prostate: a small organ, so the foreground is a small fraction once the mapping inverts it
                double fg = x.foregroundFraction();
                assertTrue(fg > 0.003 && fg < 0.05, s.name() + " " + x.id() + " prostate fraction " + fg);
            }
            assertEquals(List.of(0, 255), s.manifest().entries().get(0).maskValues());
        }
        // I2CVB's training image 00_01.png is paired with its mask stored as 00_00.png
        SiteDataset i2cvb = sites.get(3);
        assertEquals("train/image/00_01.png", i2cvb.train().get(0).id());
        assertEquals("train/mask/00_00.png", i2cvb.manifest().entry("train/image/00_01.png").mask());
        assertTrue(DataCheck.run(cfg).ok());
    }

    @Test
    void fundusDiscAndCupTasks() throws Exception {
        FederationConfig disc = FederationConfig.load(TestFiles.EXAMPLES.resolve("fundus-samples.yaml"));
        String text = Files.readString(TestFiles.EXAMPLES.resolve("fundus-samples.yaml"))
                .replace("foreground: [cup, rim]", "foreground: [cup]");
        FederationConfig cup = FederationConfig.parse(text, TestFiles.EXAMPLES.toAbsolutePath(), "fundus-cup.yaml");
        List<SiteDataset> discSites = FederationData.load(disc);
        List<SiteDataset> cupSites = FederationData.load(cup);
        assertEquals(List.of("Drishti-GS", "RIM-ONE-r3", "REFUGE-train", "REFUGE-val"),
                discSites.stream().map(SiteDataset::name).collect(Collectors.toList()));
        for (int i = 0; i < 4; i++) {
            SiteDataset d = discSites.get(i);
            SiteDataset c = cupSites.get(i);
            assertEquals(2, d.size());
            assertEquals(List.of(0, 128, 255), d.manifest().entries().get(0).maskValues());
            for (int k = 0; k < d.size(); k++) {
                Sample ds = d.all().get(k);
                Sample cs = c.all().get(k);
                assertEquals(ds.id(), cs.id());
                double df = ds.foregroundFraction();
                double cf = cs.foregroundFraction();
                assertTrue(cf > 0.005 && cf < df && df < 0.4, d.name() + " cup " + cf + " disc " + df);
                // the cup lies inside the disc
                for (int p = 0; p < cs.mask().length; p++) {
                    assertTrue(cs.mask()[p] <= ds.mask()[p]);
                }
            }
        }
    }
}
