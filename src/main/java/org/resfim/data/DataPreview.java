package org.resfim.data;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * {@code resfim data preview}: a montage with one row per site and a few of its images, each with its mask
 * outlined, so that a person sees the domain shift between sites at a glance.
 */
public final class DataPreview {
    /** Outline colour of the mask (bright green). */
    public static final int OUTLINE_RGB = 0x00ff40;
    private static final int LABEL_WIDTH = 130;
    private static final int GAP = 4;

    private DataPreview() {
    }

    /** Loads the configuration's sites and writes the montage PNG ({@code perSite} images per row). */
    public static void write(FederationConfig config, Path png, int perSite) {
        if (!config.isSynthetic()) {
            for (SiteConfig sc : config.sites()) {
                FederationData.refuseInside(png, config.siteFolder(sc));
            }
        }
        write(FederationData.load(config), png, perSite);
    }

    /** Writes the montage of loaded sites. */
    public static void write(List<SiteDataset> sites, Path png, int perSite) {
        for (SiteDataset s : sites) {
            if (s.manifest() != null && s.manifest().root() != null && !s.manifest().root().startsWith("synthetic")) {
                FederationData.refuseInside(png, Path.of(s.manifest().root()));
            }
        }
        BufferedImage img = render(sites, perSite, 0);
        try {
            Path parent = png.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            if (!ImageIO.write(img, "png", png.toFile())) {
                throw new DataException(png.toString(), "preview", "no PNG writer available");
            }
        } catch (IOException e) {
            throw new DataException(png.toString(), "preview", "cannot write preview: " + e);
        }
    }

    /**
     * Renders the montage.
     *
     * @param perSite images per row (the first of each site's training, then validation, then test samples)
     * @param tile    tile size in pixels; 0 for the training size, at least 96
     */
    public static BufferedImage render(List<SiteDataset> sites, int perSite, int tile) {
        if (sites.isEmpty()) {
            throw new IllegalArgumentException("no sites to preview");
        }
        int t = tile > 0 ? tile : Math.max(96, Math.max(sites.get(0).height(), sites.get(0).width()));
        int cols = Math.max(1, perSite);
        int w = LABEL_WIDTH + cols * (t + GAP) + GAP;
        int h = sites.size() * (t + GAP) + GAP;
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] px = new int[w * h];
        java.util.Arrays.fill(px, 0x202020);
        for (int r = 0; r < sites.size(); r++) {
            List<Sample> samples = sites.get(r).all();
            for (int c = 0; c < cols && c < samples.size(); c++) {
                drawTile(px, w, LABEL_WIDTH + GAP + c * (t + GAP), GAP + r * (t + GAP), t, samples.get(c));
            }
        }
        out.setRGB(0, 0, w, h, px, 0, w);
        drawLabels(out, sites, t);
        return out;
    }

    private static void drawTile(int[] px, int stride, int ox, int oy, int t, Sample s) {
        int h = s.height();
        int w = s.width();
        int plane = h * w;
        float[] img = s.image();
        float[] m = s.mask();
        for (int y = 0; y < t; y++) {
            int sy = Math.min(h - 1, (int) ((y + 0.5) * h / t));
            for (int x = 0; x < t; x++) {
                int sx = Math.min(w - 1, (int) ((x + 0.5) * w / t));
                int i = sy * w + sx;
                int rgb;
                if (edge(m, h, w, sy, sx)) {
                    rgb = OUTLINE_RGB;
                } else if (s.channels() >= 3) {
                    rgb = (byteOf(img[i]) << 16) | (byteOf(img[plane + i]) << 8) | byteOf(img[2 * plane + i]);
                } else {
                    int g = byteOf(img[i]);
                    rgb = (g << 16) | (g << 8) | g;
                }
                px[(oy + y) * stride + ox + x] = rgb;
            }
        }
    }

    /** A labelled pixel with a neighbour of another label (or the image border). */
    private static boolean edge(float[] m, int h, int w, int y, int x) {
        float v = m[y * w + x];
        if (v == 0f) {
            return false;
        }
        return y == 0 || x == 0 || y == h - 1 || x == w - 1 || m[(y - 1) * w + x] != v || m[(y + 1) * w + x] != v
                || m[y * w + x - 1] != v || m[y * w + x + 1] != v;
    }

    private static int byteOf(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255f)));
    }

    private static void drawLabels(BufferedImage out, List<SiteDataset> sites, int t) {
        try {
            Graphics2D g = out.createGraphics();
            try {
                g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
                g.setColor(Color.WHITE);
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
                for (int r = 0; r < sites.size(); r++) {
                    SiteDataset s = sites.get(r);
                    int y = GAP + r * (t + GAP) + t / 2;
                    g.drawString(s.name(), 8, y);
                    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                    g.drawString(s.train().size() + "/" + s.val().size() + "/" + s.test().size(), 8, y + 16);
                    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
                }
            } finally {
                g.dispose();
            }
        } catch (RuntimeException | LinkageError e) {
            // no fonts on this machine: the montage stays without names (rows are in configuration order)
        }
    }
}
