package org.resfim.run.html;

import org.resfim.report.*;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The report in a real browser (Debian's chromium, headless, networking off): the page loads, the comparison
 * table is there, every image is an embedded PNG that the browser decoded, and a screenshot shows the page.
 * Skipped where no chromium is installed, unless RESFIM_REQUIRE_BROWSER=1 (CI sets it: there it must run).
 */
class ReportBrowserTest {
    @TempDir
    static Path tmp;
    static Path run;
    static String chromium;

    @BeforeAll
    static void setUp() throws Exception {
        chromium = findChromium(); // fails where RESFIM_REQUIRE_BROWSER=1 and there is none
        Assumptions.assumeTrue(chromium != null, "no chromium installed: browser test skipped");
        run = TinyRun.create(tmp, "tiny", 2);
        RunReport.write(run);
    }

    static String findChromium() {
        return Browser.find();
    }

    /** Runs headless chromium with networking switched off (see {@link Browser}). */
    static String chromium(Path profile, String... args) throws Exception {
        return Browser.run(chromium, profile.getParent(), profile.getFileName().toString(), args);
    }

    @Test
    void theBrowserLoadsThePageTheTableAndEveryImage() throws Exception {
        Path report = run.resolve("report.html");
        String html = Files.readString(report);
        int expected = RunReportTest.images(html).size(); // every src an embedded PNG that Java decodes
        assertTrue(expected > 10);
        // a test copy of the page with a probe that records, once loaded, what the browser made of every image
        Path probe = run.resolve("report-probe.html");
        Files.writeString(probe, html.replace("</body>", "<script>window.addEventListener('load', () => { for (const i of document.images) {"
                + " i.setAttribute('data-probe', (i.complete && i.naturalWidth > 0 ? 'ok' : 'broken') + ':' + i.naturalWidth + 'x' + i.naturalHeight); }"
                + " document.body.setAttribute('data-probed', String(document.images.length)); });</script></body>"));
        String dom = chromium(tmp.resolve("profile-dom"), "--virtual-time-budget=10000", "--dump-dom", probe.toUri().toString());
        assertTrue(dom.contains("data-probed=\"" + expected + "\""), "the page loaded with all " + expected + " images: "
                + dom.substring(0, Math.min(400, dom.length())));
        Matcher table = Pattern.compile("(?s)<table class=\"results\" id=\"comparison\">(.*?)</table>").matcher(dom);
        assertTrue(table.find(), "the comparison table is in the loaded page");
        assertTrue(table.group(1).contains(">pfl-resfim<") && table.group(1).contains(">fedavg<"), table.group(1));
        for (String s : List.of("synthetic-1", "synthetic-2", "synthetic-3")) {
            assertTrue(table.group(1).contains(s), s);
        }
        Matcher img = Pattern.compile("<img\\b[^>]*>").matcher(dom);
        int n = 0;
        Set<String> broken = new HashSet<>();
        while (img.find()) {
            String tag = img.group();
            n++;
            assertTrue(tag.contains("src=\"data:image/png;base64,"), "embedded PNG: " + tag.substring(0, Math.min(120, tag.length())));
            Matcher p = Pattern.compile("data-probe=\"([^\"]*)\"").matcher(tag);
            assertTrue(p.find(), "probed: " + tag.substring(0, Math.min(120, tag.length())));
            if (!p.group(1).startsWith("ok:")) {
                broken.add(p.group(1));
            }
        }
        assertEquals(expected, n);
        assertTrue(broken.isEmpty(), "images the browser could not decode: " + broken);
        Files.delete(probe);
    }

    @Test
    void aScreenshotShowsThePage() throws Exception {
        Path shot = tmp.resolve("report.png");
        chromium(tmp.resolve("profile-shot"), "--hide-scrollbars", "--window-size=1280,2400", "--screenshot=" + shot,
                run.resolve("report.html").toUri().toString());
        assertTrue(Files.isRegularFile(shot), "screenshot written");
        BufferedImage img = ImageIO.read(shot.toFile());
        assertNotNull(img, "a PNG");
        assertEquals(1280, img.getWidth());
        // not blank: many colours, and a good share of the pixels differ from the page background
        Set<Integer> colours = new HashSet<>();
        int background = img.getRGB(img.getWidth() - 1, img.getHeight() / 2);
        long differing = 0;
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                int v = img.getRGB(x, y) & 0xffffff;
                colours.add(v);
                if (v != (background & 0xffffff)) {
                    differing++;
                }
            }
        }
        double share = differing / (double) ((img.getWidth() / 2) * (img.getHeight() / 2));
        assertTrue(colours.size() > 500, "a page with pictures has many colours, got " + colours.size());
        assertTrue(share > 0.10, "content covers the page, got " + share);
        Path keep = Path.of(System.getProperty("resfim.screenshot", ""));
        if (!keep.toString().isEmpty()) {
            Files.copy(shot, keep, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
