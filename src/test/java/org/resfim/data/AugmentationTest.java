package org.resfim.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AugmentationTest {
    // 2 x 3 plane:  1 2 3 / 4 5 6
    static float[] plane() {
        return new float[] {1, 2, 3, 4, 5, 6};
    }

    @Test
    void horizontalAndVerticalFlips() {
        float[] img = plane();
        float[] mask = plane();
        new Augmentation(1, 0, 0).augment(img, mask, 1, 2, 3, new Random(0));
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4}, img);
        assertArrayEquals(img, mask);
        img = plane();
        mask = plane();
        new Augmentation(0, 1, 0).augment(img, mask, 1, 2, 3, new Random(0));
        assertArrayEquals(new float[] {4, 5, 6, 1, 2, 3}, img);
        assertArrayEquals(img, mask);
    }

    @Test
    void rotationIsCounterClockwiseAndSkippedForNonSquare() {
        // 1 2 / 3 4 rotated 90° counter-clockwise: 2 4 / 1 3
        float[] img = {1, 2, 3, 4, 10, 20, 30, 40};
        float[] mask = {1, 2, 3, 4};
        new Augmentation(0, 0, 1).augment(img, mask, 2, 2, 2, new Random(0));
        assertArrayEquals(new float[] {2, 4, 1, 3, 20, 40, 10, 30}, img);
        assertArrayEquals(new float[] {2, 4, 1, 3}, mask);
        float[] rect = plane();
        new Augmentation(0, 0, 1).augment(rect, plane(), 1, 2, 3, new Random(0));
        assertArrayEquals(plane(), rect);
    }

    @Test
    void maskAndFovFollowTheImageAndDrawsAreFixed() {
        Random rng = new Random(7);
        Random shadow = new Random(7);
        int n = 5;
        for (int t = 0; t < 200; t++) {
            float[] mask = new float[n * n];
            float[] fov = new float[n * n];
            for (int i = 0; i < mask.length; i++) {
                mask[i] = i;
                fov[i] = 100 + i;
            }
            float[] img = new float[3 * n * n];
            for (int ch = 0; ch < 3; ch++) {
                System.arraycopy(mask, 0, img, ch * n * n, n * n);
            }
            Augmentation.STANDARD.augment(img, mask, fov, 3, n, n, rng);
            for (int ch = 0; ch < 3; ch++) {
                for (int i = 0; i < n * n; i++) {
                    assertEquals(mask[i], img[ch * n * n + i]);
                    assertEquals(mask[i] + 100, fov[i]);
                }
            }
            shadow.nextDouble();
            shadow.nextDouble();
            shadow.nextDouble();
            assertEquals(shadow.nextLong(), rng.nextLong(), "augment draws exactly three numbers");
        }
        // with p = 0 nothing changes but the same three numbers are drawn
        Random a = new Random(3);
        float[] img = plane();
        Augmentation.NONE.augment(img, plane(), 1, 2, 3, a);
        assertArrayEquals(plane(), img);
        Random b = new Random(3);
        b.nextDouble();
        b.nextDouble();
        b.nextDouble();
        assertEquals(b.nextLong(), a.nextLong());
    }

    @Test
    void allEightOrientationsAppearEvenly() {
        Random rng = new Random(11);
        Map<String, Integer> seen = new HashMap<>();
        int trials = 8000;
        for (int t = 0; t < trials; t++) {
            float[] img = {1, 2, 3, 4};
            Augmentation.STANDARD.augment(img, new float[4], 1, 2, 2, rng);
            seen.merge(java.util.Arrays.toString(img), 1, Integer::sum);
        }
        assertEquals(8, seen.size(), seen.toString());
        for (int c : seen.values()) {
            assertTrue(Math.abs(c - trials / 8.0) < 150, seen.toString());
        }
    }

    @Test
    void batchMatchesOneByOneAndSamplesAreCopied() {
        int n = 4;
        int c = 3;
        int h = 6;
        float[] images = new float[n * c * h * h];
        float[] masks = new float[n * h * h];
        Random fill = new Random(1);
        for (int i = 0; i < images.length; i++) {
            images[i] = fill.nextFloat();
        }
        for (int i = 0; i < masks.length; i++) {
            masks[i] = fill.nextInt(2);
        }
        float[] bi = images.clone();
        float[] bm = masks.clone();
        Augmentation.STANDARD.augmentBatch(bi, bm, n, c, h, h, new Random(5));
        Random r = new Random(5);
        for (int k = 0; k < n; k++) {
            float[] img = java.util.Arrays.copyOfRange(images, k * c * h * h, (k + 1) * c * h * h);
            float[] m = java.util.Arrays.copyOfRange(masks, k * h * h, (k + 1) * h * h);
            Augmentation.STANDARD.augment(img, m, c, h, h, r);
            assertArrayEquals(img, java.util.Arrays.copyOfRange(bi, k * c * h * h, (k + 1) * c * h * h));
            assertArrayEquals(m, java.util.Arrays.copyOfRange(bm, k * h * h, (k + 1) * h * h));
        }
        Sample s = new Sample("a", "a", new float[] {1, 2, 3, 4}, 1, 2, 2, new float[] {1, 0, 0, 0}, null, "x");
        Sample t = new Augmentation(1, 0, 0).apply(s, new Random(0));
        assertArrayEquals(new float[] {1, 2, 3, 4}, s.image());
        assertArrayEquals(new float[] {2, 1, 4, 3}, t.image());
        assertArrayEquals(new float[] {0, 1, 0, 0}, t.mask());
        assertThrows(IllegalArgumentException.class, () -> new Augmentation(1.5, 0, 0));
    }
}
