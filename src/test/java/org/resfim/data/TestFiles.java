package org.resfim.data;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/** Helpers shared by the data tests: the real data folder, and small image files written into temp folders. */
final class TestFiles {
    /** The real multi-site data, beside the checkout (tests run in the repository root). */
    static final Path DATA = Path.of("..", "shared", "data");
    static final Path EXAMPLES = Path.of("examples");

    private TestFiles() {
    }

    static Path data(String sub) {
        Path p = DATA.resolve(sub);
        assertTrue(Files.isDirectory(p), "real data missing: " + p.toAbsolutePath()
                + " (shared/data must lie beside the checkout)");
        return p;
    }

    static void writeGrey(Path file, int w, int h, int[] values) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setPixels(0, 0, w, h, values);
        write(img, file);
    }

    static void writeRgb(Path file, int w, int h, int rgb) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb + x + 7 * y);
            }
        }
        write(img, file);
    }

    static void write(BufferedImage img, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            String ext = ImageDecoder.extension(file.getFileName().toString());
            if (!ImageIO.write(img, ext.equals("jpg") ? "jpeg" : ext, file.toFile())) {
                throw new IllegalStateException("no writer for " + ext);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] fill(int n, int value) {
        int[] v = new int[n];
        java.util.Arrays.fill(v, value);
        return v;
    }

    /** A grey mask with a filled square of {@code fg} on {@code bg}. */
    static int[] square(int w, int h, int bg, int fg) {
        int[] v = fill(w * h, bg);
        for (int y = h / 4; y < 3 * h / 4; y++) {
            for (int x = w / 4; x < 3 * w / 4; x++) {
                v[y * w + x] = fg;
            }
        }
        return v;
    }

    static void writeText(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Path → size and modification time of every file under a folder: equal snapshots mean nothing was written. */
    static Map<String, String> snapshot(Path dir) {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.forEach(p -> {
                try {
                    m.put(dir.relativize(p).toString(), Files.isDirectory(p) ? "dir"
                            : Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
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
