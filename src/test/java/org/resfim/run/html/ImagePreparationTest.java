package org.resfim.run.html;

import org.resfim.report.*;

import org.junit.jupiter.api.Test;
import org.resfim.data.Preprocessing;
import org.resfim.data.RawImage;

import static org.junit.jupiter.api.Assertions.*;

class ImagePreparationTest {

    static Preprocessing pre(int size, int channels, Preprocessing.Crop crop, Preprocessing.Intensity intensity) {
        return new Preprocessing(size, size, channels, crop, 0, 0, intensity, 0.5, 99.5, Preprocessing.Interpolation.BILINEAR);
    }

    @Test
    void aCentreCropIsUndoneWhenTheMaskGoesBack() {
        int h = 48;
        int w = 64;
        RawImage img = new RawImage(3, h, w, new float[3 * h * w], 255f);
        ImagePreparation.Prepared p = ImagePreparation.prepare(img, pre(32, 3, Preprocessing.Crop.SQUARE, Preprocessing.Intensity.SCALE));
        assertEquals(32, p.height());
        assertEquals(3 * 32 * 32, p.input().length);
        assertEquals(8, p.cropX());
        assertEquals(0, p.cropY());
        boolean[] all = new boolean[32 * 32];
        java.util.Arrays.fill(all, true);
        boolean[] back = ImagePreparation.restore(all, p);
        assertEquals(h * w, back.length);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                assertEquals(x >= 8 && x < 56, back[y * w + x], "inside the crop only: " + x + "," + y);
            }
        }
    }

    @Test
    void nearestResizeBackKeepsEdgesSharp() {
        boolean[] m = new boolean[4 * 4];
        m[0] = true; // top-left pixel of a 4×4 mask
        ImagePreparation.Prepared p = new ImagePreparation.Prepared(new float[48], 3, 4, 4, 8, 8, 0, 0, 8, 8);
        boolean[] back = ImagePreparation.restore(m, p);
        int n = 0;
        for (boolean b : back) {
            n += b ? 1 : 0;
        }
        assertEquals(4, n, "one pixel becomes a 2×2 block");
        assertTrue(back[0] && back[1] && back[8] && back[9]);
    }

    @Test
    void intensityAndChannelsFollowTheTrainingRule() {
        // 16-bit grey, scale: divided by 65535 and replicated to 3 channels
        float[] d = {0, 65535, 32767.5f, 65535};
        ImagePreparation.Prepared p = ImagePreparation.prepare(new RawImage(1, 2, 2, d, 65535f), pre(2, 3, Preprocessing.Crop.NONE, Preprocessing.Intensity.SCALE));
        assertArrayEquals(new float[] {0, 1, 0.5f, 1, 0, 1, 0.5f, 1, 0, 1, 0.5f, 1}, p.input(), 1e-6f);
        // minmax stretches each image to [0, 1]
        float[] e = {10, 20, 30, 50};
        p = ImagePreparation.prepare(new RawImage(1, 2, 2, e, 255f), pre(2, 1, Preprocessing.Crop.NONE, Preprocessing.Intensity.MINMAX));
        assertArrayEquals(new float[] {0, 0.25f, 0.5f, 1}, p.input(), 1e-6f);
        // colour to grey by luminance
        float[] rgb = new float[3];
        rgb[0] = 255;
        p = ImagePreparation.prepare(new RawImage(3, 1, 1, rgb, 255f), pre(1, 1, Preprocessing.Crop.NONE, Preprocessing.Intensity.SCALE));
        assertEquals(0.299f, p.input()[0], 1e-6f);
    }
}
