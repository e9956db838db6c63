package org.resfim.spectral;

import org.resfim.data.Sample;
import org.resfim.data.SiteDataset;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The style-transfer grid: row i holds the first training image of site i rendered in the style
 * (site-mean amplitude window) of every site j; the diagonal is the original image.
 */
public final class StylePreview {
    private static final int LABEL = 18;

    private StylePreview() {
    }

    public static BufferedImage render(List<SiteDataset> sites, StyleConfig style) {
        int k = sites.size();
        Sample probe = first(sites.get(0));
        int h = probe.height();
        int w = probe.width();
        List<float[][][]> windows = new ArrayList<>();
        for (SiteDataset s : sites) {
            List<float[]> imgs = new ArrayList<>();
            s.train().forEach(x -> imgs.add(x.image()));
            Sample f = first(s);
            StyleBank b = StyleBank.forSite(s.name(), imgs, f.channels(), f.height(), f.width(), style, 0);
            windows.add(b.meanWindow(s.name()));
        }
        BufferedImage out = new BufferedImage(LABEL + k * w, LABEL + k * h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int i = 0; i < k; i++) {
            g.drawString("→" + sites.get(i).name(), LABEL + i * w + 2, 13);
            Sample s = first(sites.get(i));
            for (int j = 0; j < k; j++) {
                float[] img = i == j ? s.image()
                        : AmplitudeTransfer.transfer(s.image(), s.channels(), s.height(), s.width(), windows.get(j), style.lambda());
                draw(out, img, s.channels(), h, w, LABEL + j * w, LABEL + i * h);
            }
            Graphics2D r = (Graphics2D) g.create();
            r.rotate(-Math.PI / 2);
            r.drawString(sites.get(i).name(), -(LABEL + i * h + h - 2), 13);
            r.dispose();
        }
        g.dispose();
        return out;
    }

    public static void write(List<SiteDataset> sites, StyleConfig style, Path png) {
        try {
            if (png.getParent() != null) {
                Files.createDirectories(png.getParent());
            }
            ImageIO.write(render(sites, style), "png", png.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + png, e);
        }
    }

    private static Sample first(SiteDataset s) {
        if (s.train().isEmpty()) {
            throw new IllegalArgumentException("site '" + s.name() + "' has no training images");
        }
        return s.train().get(0);
    }

    private static void draw(BufferedImage out, float[] img, int c, int h, int w, int x0, int y0) {
        int hw = h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = y * w + x;
                int r = (int) (255 * clamp(img[p]));
                int gg = (int) (255 * clamp(img[(c > 1 ? 1 : 0) * hw + p]));
                int b = (int) (255 * clamp(img[(c > 2 ? 2 : 0) * hw + p]));
                out.setRGB(x0 + x, y0 + y, (r << 16) | (gg << 8) | b);
            }
        }
    }

    private static float clamp(float v) {
        return Math.max(0f, Math.min(1f, v));
    }
}
