package org.resfim.run.html;

import org.resfim.report.*;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

/**
 * Pictures of segmentations from C×H×W images in [0,1] and H×W binary masks: the image itself, a mask drawn
 * over it, the error map (true positives white, false positives red, false negatives blue, over the dimmed
 * image), the mask alone (0/255), and PNG encoding.
 */
public final class Overlays {
    /** Ground truth drawn over an image. */
    public static final int TRUTH_RGB = 0x00c850;
    /** A prediction drawn over an image. */
    public static final int PREDICTION_RGB = 0xffd200;
    public static final int TRUE_POSITIVE_RGB = 0xf0f0f0;
    public static final int FALSE_POSITIVE_RGB = 0xe8312c;
    public static final int FALSE_NEGATIVE_RGB = 0x2f7bff;

    private Overlays() {
    }

    /** The image as RGB (grey replicated). */
    public static BufferedImage rgb(float[] img, int c, int h, int w) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int hw = h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = y * w + x;
                out.setRGB(x, y, pack(level(img[p]), level(img[(c > 1 ? 1 : 0) * hw + p]), level(img[(c > 2 ? 2 : 0) * hw + p])));
            }
        }
        return out;
    }

    /** The image with {@code mask} blended in {@code colour} ({@code alpha} of the colour) and its outline in full colour. */
    public static BufferedImage overlay(float[] img, int c, int h, int w, boolean[] mask, int colour, double alpha) {
        BufferedImage out = rgb(img, c, h, w);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = y * w + x;
                if (!mask[p]) {
                    continue;
                }
                boolean edge = x == 0 || y == 0 || x == w - 1 || y == h - 1 || !mask[p - 1] || !mask[p + 1] || !mask[p - w] || !mask[p + w];
                out.setRGB(x, y, edge ? colour : blend(out.getRGB(x, y), colour, alpha));
            }
        }
        return out;
    }

    /** True positives white, false positives red, false negatives blue, true negatives the image at 40%. */
    public static BufferedImage errorMap(float[] img, int c, int h, int w, boolean[] truth, boolean[] prediction) {
        BufferedImage out = rgb(img, c, h, w);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = y * w + x;
                int v;
                if (truth[p] && prediction[p]) {
                    v = TRUE_POSITIVE_RGB;
                } else if (prediction[p]) {
                    v = FALSE_POSITIVE_RGB;
                } else if (truth[p]) {
                    v = FALSE_NEGATIVE_RGB;
                } else {
                    v = blend(out.getRGB(x, y), 0x000000, 0.6);
                }
                out.setRGB(x, y, v);
            }
        }
        return out;
    }

    /** The mask alone: 8-bit grey, 255 foreground, 0 background. */
    public static BufferedImage mask(boolean[] mask, int h, int w) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        byte[] px = ((java.awt.image.DataBufferByte) out.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < mask.length; i++) {
            px[i] = mask[i] ? (byte) 255 : 0;
        }
        return out;
    }

    /** Nearest-neighbour enlargement by an integer factor (small training images stay sharp on screen). */
    public static BufferedImage enlarge(BufferedImage img, int factor) {
        if (factor <= 1) {
            return img;
        }
        BufferedImage out = new BufferedImage(img.getWidth() * factor, img.getHeight() * factor, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < out.getHeight(); y++) {
            for (int x = 0; x < out.getWidth(); x++) {
                out.setRGB(x, y, img.getRGB(x / factor, y / factor));
            }
        }
        return out;
    }

    public static byte[] png(BufferedImage img) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, "png", out)) {
                throw new IllegalStateException("no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The image as a {@code data:image/png;base64,...} URI. */
    public static String dataUri(BufferedImage img) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png(img));
    }

    private static int level(float v) {
        return (int) (255 * Math.max(0f, Math.min(1f, v)) + 0.5f);
    }

    private static int pack(int r, int g, int b) {
        return (r << 16) | (g << 8) | b;
    }

    private static int blend(int base, int colour, double alpha) {
        int r = (int) Math.round(((base >> 16) & 0xff) * (1 - alpha) + ((colour >> 16) & 0xff) * alpha);
        int g = (int) Math.round(((base >> 8) & 0xff) * (1 - alpha) + ((colour >> 8) & 0xff) * alpha);
        int b = (int) Math.round((base & 0xff) * (1 - alpha) + (colour & 0xff) * alpha);
        return pack(r, g, b);
    }
}
