package org.resfim.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data reached through symbolic links (#13 item 4): a linked data root, site folder, subfolder or file loads
 * exactly as the real folder does; a link loop or a broken link is one clear error, never a hang.
 */
class SymlinkDataTest {
    @TempDir
    Path tmp;

    /** The CHASE_DB1 site of examples/vessel-3site.yaml, at a small size. */
    static final String CHASE = """
            data:
              root: %s
              image_size: 16
              split: {train: 0.7, val: 0.1, test: 0.2}
              defaults:
                label: {threshold: 128}
              sites:
                - name: CHASE_DB1
                  folder: CHASE_DB1
                  images: images/*.jpg
                  mask: 'labels/{stem}_1stHO.png'
                  match: '^Image_(?<child>\\d+)[LR]'
                  patient: '{child}'
            """;

    static final String CLINIC = """
            data:
              root: %s
              image_size: 16
              sites:
                - name: clinic
                  folder: clinic
                  images: images/**.png
                  mask: 'masks/{stem}.png'
            """;

    /** A real clinic folder (5 images, 5 masks) in {@code real/}, outside any link. */
    @BeforeEach
    void realClinic() {
        for (int i = 0; i < 5; i++) {
            TestFiles.writeRgb(tmp.resolve("real/clinic/images/img" + i + ".png"), 32, 24, 0x406080 + 16 * i);
            TestFiles.writeGrey(tmp.resolve("real/clinic/masks/img" + i + ".png"), 32, 24, TestFiles.square(32, 24, 0, 255));
        }
    }

    private static SiteDataset load(String template, Path root) {
        return FederationData.load(FederationConfig.parse(String.format(template, quoted(root)), root, "site.yaml")).get(0);
    }

    private static String quoted(Path p) {
        return "'" + p.toAbsolutePath().toString().replace("'", "''") + "'";
    }

    private static List<String> hashes(SiteDataset s) {
        return s.manifest().entries().stream().map(e -> e.id() + " " + e.split() + " " + e.imageSha256() + " "
                + e.maskSha256()).collect(Collectors.toList());
    }

    @Test
    void linkedSiteFolderOfTheFieldReport() throws Exception {
        Path real = TestFiles.data("fed-vessel").toAbsolutePath().normalize();
        Path links = Files.createDirectories(tmp.resolve("links"));
        Files.createSymbolicLink(links.resolve("CHASE_DB1"), real.resolve("CHASE_DB1"));
        SiteDataset viaLink = load(CHASE, links);
        SiteDataset direct = load(CHASE, real);
        assertEquals(28, viaLink.size());
        assertEquals(hashes(direct), hashes(viaLink), "same files, same split, same contents");
        assertEquals(links.resolve("CHASE_DB1").toString(), viaLink.manifest().root());
        assertTrue(viaLink.train().get(0).sourcePath().startsWith(links.resolve("CHASE_DB1/images").toString()),
                viaLink.train().get(0).sourcePath());
    }

    @Test
    void linkedDataRoot() throws Exception {
        Path root = Files.createSymbolicLink(tmp.resolve("mounted"), tmp.resolve("real"));
        SiteDataset viaLink = load(CLINIC, root);
        assertEquals(5, viaLink.size());
        assertEquals(hashes(load(CLINIC, tmp.resolve("real"))), hashes(viaLink));
    }

    @Test
    void linkedSubfolderAndLinkedFiles() throws Exception {
        // images/ of the site is a link to a folder elsewhere; inside it, one more linked subfolder, and single
        // image and mask files that are links
        Path site = Files.createDirectories(tmp.resolve("root/clinic"));
        Files.createSymbolicLink(site.resolve("images"), tmp.resolve("real/clinic/images"));
        Files.createSymbolicLink(site.resolve("masks"), Files.createDirectories(tmp.resolve("masks-elsewhere")));
        for (int i = 0; i < 5; i++) {
            Files.createSymbolicLink(tmp.resolve("masks-elsewhere/img" + i + ".png"), tmp.resolve("real/clinic/masks/img" + i + ".png"));
        }
        TestFiles.writeRgb(tmp.resolve("more/extra0.png"), 32, 24, 0x102030);
        Files.createSymbolicLink(tmp.resolve("real/clinic/images/more"), tmp.resolve("more"));
        TestFiles.writeGrey(tmp.resolve("real/clinic/masks/extra0.png"), 32, 24, TestFiles.square(32, 24, 0, 255));
        Files.createSymbolicLink(tmp.resolve("masks-elsewhere/extra0.png"), tmp.resolve("real/clinic/masks/extra0.png"));
        Files.createSymbolicLink(tmp.resolve("real/clinic/images/linked.png"), tmp.resolve("real/clinic/images/img0.png"));
        Files.createSymbolicLink(tmp.resolve("masks-elsewhere/linked.png"), tmp.resolve("real/clinic/masks/img0.png"));

        SiteDataset s = load(CLINIC, tmp.resolve("root"));
        List<String> ids = s.manifest().entries().stream().map(SplitManifest.Entry::id).sorted().toList();
        assertEquals(List.of("images/img0.png", "images/img1.png", "images/img2.png", "images/img3.png",
                "images/img4.png", "images/linked.png", "images/more/extra0.png"), ids);
        String img0 = s.manifest().entry("images/img0.png").imageSha256();
        assertEquals(img0, s.manifest().entry("images/linked.png").imageSha256(), "a linked file is read through its link");
        assertEquals(FederationData.sha256(Files.readAllBytes(tmp.resolve("real/clinic/images/img0.png"))), img0);
    }

    @Test
    void linkLoopIsOneClearError() throws Exception {
        Path loop = Files.createSymbolicLink(tmp.resolve("real/clinic/images/again"), tmp.resolve("real/clinic"));
        DataException ex = assertThrows(DataException.class, () -> load(CLINIC, tmp.resolve("real")));
        assertEquals("folder", ex.rule());
        assertEquals(loop.toString(), ex.file(), ex.getMessage());
        assertEquals("site 'clinic': symbolic link loop: this link leads back to "
                + tmp.resolve("real/clinic").toRealPath() + ", a folder it lies in; remove the link", ex.problem());
        assertEquals(1, ex.getMessage().lines().count());
    }

    @Test
    void selfLinkIsOneClearError() throws Exception {
        Path self = Files.createSymbolicLink(tmp.resolve("real/clinic/images/here"), Path.of("."));
        DataException ex = assertThrows(DataException.class, () -> load(CLINIC, tmp.resolve("real")));
        assertEquals(self.toString(), ex.file());
        assertTrue(ex.getMessage().contains("symbolic link loop: this link leads back to "
                + tmp.resolve("real/clinic/images").toRealPath()), ex.getMessage());
    }

    @Test
    void brokenLinkWithAnImageNameIsAnError() throws Exception {
        Path broken = Files.createSymbolicLink(tmp.resolve("real/clinic/images/img9.png"), tmp.resolve("gone.png"));
        DataException ex = assertThrows(DataException.class, () -> load(CLINIC, tmp.resolve("real")));
        assertEquals(broken.toString(), ex.file());
        assertEquals("images", ex.rule());
        assertTrue(ex.getMessage().contains("site 'clinic': broken symbolic link (its target " + tmp.resolve("gone.png")),
                ex.getMessage());
        // two links pointing at each other: the same error, not a hang
        Files.delete(broken);
        Files.createSymbolicLink(tmp.resolve("real/clinic/images/b.png"), tmp.resolve("real/clinic/images/a.png"));
        Path a = Files.createSymbolicLink(tmp.resolve("real/clinic/images/a.png"), tmp.resolve("real/clinic/images/b.png"));
        ex = assertThrows(DataException.class, () -> load(CLINIC, tmp.resolve("real")));
        assertEquals(a.toString(), ex.file());
        assertTrue(ex.getMessage().contains("broken symbolic link"), ex.getMessage());
    }

    @Test
    void brokenSiteFolderLinkIsNamed() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("links"));
        Files.createSymbolicLink(root.resolve("clinic"), tmp.resolve("unmounted/clinic"));
        DataException ex = assertThrows(DataException.class, () -> load(CLINIC, root));
        assertEquals("site 'clinic': folder does not exist (it is a broken symbolic link to " + tmp.resolve("unmounted/clinic")
                + ") (declared as folder: 'clinic')", ex.problem());
    }

    @Test
    void noManifestWrittenIntoDataReachedThroughALink() throws Exception {
        Path links = Files.createDirectories(tmp.resolve("links"));
        Files.createSymbolicLink(links.resolve("clinic"), tmp.resolve("real/clinic"));
        SiteDataset s = load(CLINIC, links);
        // the real folder, under another name than the one the site was loaded by
        Path inside = tmp.resolve("real/clinic/split.json");
        DataException ex = assertThrows(DataException.class, () -> FederationData.writeManifest(List.of(s), inside));
        assertEquals("read-only data", ex.rule());
        assertTrue(Files.notExists(inside));
        // and an output folder that is a link into the data
        Path out = Files.createSymbolicLink(tmp.resolve("out"), tmp.resolve("real"));
        assertThrows(DataException.class, () -> FederationData.writeManifest(List.of(s), out.resolve("clinic/m.json")));
        FederationData.writeManifest(List.of(s), tmp.resolve("m.json"));
        assertTrue(Files.isRegularFile(tmp.resolve("m.json")));
    }
}
