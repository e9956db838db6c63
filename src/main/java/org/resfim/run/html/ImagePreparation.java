package org.resfim.run.html;

import org.resfim.report.*;

import org.resfim.data.ImageOps;
import org.resfim.data.Preprocessing;
import org.resfim.data.RawImage;

import java.util.Arrays;

/**
 * What {@code predict} does to an image file around the network: the training preprocessing of the data
 * layer (centre crop, intensity to [0,1], channel conversion, resize to the training resolution, in that
 * order and with the same arithmetic as {@code org.resfim.data.Preprocessing}), and back: a mask at the
 * training resolution resized (nearest) to the crop and placed into an image of the original size.
 */
public final class ImagePreparation {
    private ImagePreparation() {
    }

    /** The network input (C×H×W at the training resolution) and where it came from in the original image. */
    public record Prepared(float[] input, int channels, int height, int width, int originalHeight, int originalWidth,
                           int cropY, int cropX, int cropHeight, int cropWidth) {
    }

    public static Prepared prepare(RawImage img, Preprocessing p) {
        int c = img.channels();
        int h = img.height();
        int w = img.width();
        float[] data = img.data().clone();
        int ch = h;
        int cw = w;
        if (p.crop() == Preprocessing.Crop.SQUARE) {
            ch = cw = Math.min(h, w);
        } else if (p.crop() == Preprocessing.Crop.SIZE) {
            ch = Math.min(h, p.cropHeight());
            cw = Math.min(w, p.cropWidth());
        }
        int y0 = (h - ch) / 2;
        int x0 = (w - cw) / 2;
        if (ch != h || cw != w) {
            data = ImageOps.crop(data, c, h, w, y0, x0, ch, cw);
        }
        p.normaliseIntensity(data, img.maxValue());
        if (c != p.channels()) {
            data = ImageOps.convertChannels(data, c, p.channels(), ch * cw);
            c = p.channels();
        }
        if (ch != p.height() || cw != p.width()) {
            data = p.interpolation() == Preprocessing.Interpolation.BILINEAR
                    ? ImageOps.resizeBilinear(data, c, ch, cw, p.height(), p.width())
                    : ImageOps.resizeNearest(data, c, ch, cw, p.height(), p.width());
        }
        ImageOps.clamp01(data);
        return new Prepared(data, c, p.height(), p.width(), h, w, y0, x0, ch, cw);
    }

    /** A mask at the training resolution back at the original size: resized (nearest) into the crop, background outside. */
    public static boolean[] restore(boolean[] mask, Prepared p) {
        float[] m = new float[mask.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = mask[i] ? 1f : 0f;
        }
        float[] crop = ImageOps.resizeNearest(m, 1, p.height(), p.width(), p.cropHeight(), p.cropWidth());
        boolean[] out = new boolean[p.originalHeight() * p.originalWidth()];
        for (int y = 0; y < p.cropHeight(); y++) {
            for (int x = 0; x < p.cropWidth(); x++) {
                out[(y + p.cropY()) * p.originalWidth() + x + p.cropX()] = crop[y * p.cropWidth() + x] > 0.5f;
            }
        }
        return out;
    }

    /** The whole original image with the training intensity rule applied (values in [0,1]), for overlays. */
    public static float[] display(RawImage img, Preprocessing p) {
        float[] data = img.data().clone();
        p.normaliseIntensity(data, img.maxValue());
        ImageOps.clamp01(data);
        return data;
    }

}
