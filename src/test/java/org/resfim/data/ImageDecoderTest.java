package org.resfim.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Formats and pixel layouts, and the resampling that takes images to the training size. */
class ImageDecoderTest {
    @TempDir
    Path dir;

    @Test
    void netpbmTiffBmpGifAndSixteenBit() throws Exception {
        // binary PGM (P5) and PPM (P6) written by hand, read through the TwelveMonkeys plugin
        byte[] pgm = concat("P5\n3 2\n255\n".getBytes(StandardCharsets.US_ASCII), new byte[] {0, 10, (byte) 255, 1, 2, 3});
        Files.write(dir.resolve("a.pgm"), pgm);
        RawImage g = ImageDecoder.read(dir.resolve("a.pgm"));
        assertEquals(1, g.channels());
        assertArrayEquals(new float[] {0, 10, 255, 1, 2, 3}, g.data());
        byte[] ppm = concat("P6 2 1 255\n".getBytes(StandardCharsets.US_ASCII), new byte[] {10, 20, 30, 40, 50, 60});
        Files.write(dir.resolve("b.ppm"), ppm);
        RawImage c = ImageDecoder.read(dir.resolve("b.ppm"));
        assertEquals(3, c.channels());
        assertArrayEquals(new float[] {10, 40, 20, 50, 30, 60}, c.data()); // planar: R R G G B B

        for (String ext : new String[] {"tif", "bmp", "png"}) {
            Path f = dir.resolve("c." + ext);
            TestFiles.writeRgb(f, 4, 3, 0x102030);
            RawImage r = ImageDecoder.read(f);
            assertEquals(3, r.channels(), ext);
            assertEquals(4, r.width());
            assertEquals(0x10, r.data()[0], ext);
            assertEquals(0x20, r.data()[12 + 5], ext); // G plane, pixel (x=1,y=1)
            assertEquals(0x30 + 1 + 7, r.data()[24 + 5], ext); // B plane
        }

        BufferedImage u16 = new BufferedImage(2, 2, BufferedImage.TYPE_USHORT_GRAY);
        u16.getRaster().setPixels(0, 0, 2, 2, new int[] {0, 1000, 40000, 65535});
        TestFiles.write(u16, dir.resolve("d.png"));
        RawImage r16 = ImageDecoder.read(dir.resolve("d.png"));
        assertEquals(65535f, r16.maxValue());
        assertArrayEquals(new float[] {0, 1000, 40000, 65535}, r16.data());

        // a palette GIF with colours stays colour; a grey palette is one channel
        IndexColorModel colour = new IndexColorModel(8, 2, new byte[] {0, (byte) 200}, new byte[] {0, 10},
                new byte[] {0, 20});
        BufferedImage gif = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED, colour);
        gif.getRaster().setPixels(0, 0, 2, 1, new int[] {1, 0});
        TestFiles.write(gif, dir.resolve("e.gif"));
        RawImage rg = ImageDecoder.read(dir.resolve("e.gif"));
        assertEquals(3, rg.channels());
        assertArrayEquals(new float[] {200, 0, 10, 0, 20, 0}, rg.data());

        // 1-bit masks read as 0/255 grey levels
        BufferedImage bin = new BufferedImage(9, 1, BufferedImage.TYPE_BYTE_BINARY);
        bin.getRaster().setPixels(0, 0, 9, 1, new int[] {1, 0, 1, 1, 0, 0, 0, 1, 1});
        TestFiles.write(bin, dir.resolve("f.png"));
        int[] size = new int[2];
        int[] stored = ImageDecoder.decodeLabels(Files.readAllBytes(dir.resolve("f.png")), "f.png", size);
        assertArrayEquals(new int[] {255, 0, 255, 255, 0, 0, 0, 255, 255}, stored);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void resizing() {
        // a constant image stays constant, up or down
        float[] flat = new float[3 * 40 * 30];
        java.util.Arrays.fill(flat, 0.3f);
        for (float v : ImageOps.resizeBilinear(flat, 3, 40, 30, 7, 11)) {
            assertEquals(0.3f, v, 1e-5);
        }
        for (float v : ImageOps.resizeBilinear(flat, 3, 40, 30, 97, 64)) {
            assertEquals(0.3f, v, 1e-5);
        }
        // shrinking a fine checkerboard averages it (antialiasing) instead of aliasing to 0 or 1
        float[] check = new float[64 * 64];
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                check[y * 64 + x] = (x + y) % 2;
            }
        }
        for (float v : ImageOps.resizeBilinear(check, 1, 64, 64, 8, 8)) {
            assertEquals(0.5f, v, 0.02);
        }
        // nearest keeps label values; half-pixel centres pick the middle of each block
        float[] labels = {0, 1, 2, 3};
        assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3},
                ImageOps.resizeNearest(labels, 1, 2, 2, 4, 4));
        assertArrayEquals(new float[] {5}, ImageOps.resizeNearest(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 3, 3, 1, 1));
        // upsampling 2 -> 4 with half-pixel centres: 0, 0.25, 0.75, 1 along a row
        float[] up = ImageOps.resizeBilinear(new float[] {0, 1}, 1, 1, 2, 1, 4);
        assertArrayEquals(new float[] {0, 0.25f, 0.75f, 1}, up, 1e-6f);
    }

    @Test
    void preprocessingCropsScalesAndConvertsChannels() {
        // grey 4x6 image 0..23, mask with one labelled pixel in the centre crop
        float[] g = new float[24];
        for (int i = 0; i < 24; i++) {
            g[i] = i * 10;
        }
        float[] mask = new float[24];
        mask[2 * 6 + 3] = 1;
        Preprocessing p = new Preprocessing(4, 4, 3, Preprocessing.Crop.SQUARE, 0, 0, Preprocessing.Intensity.MINMAX,
                0.5, 99.5, Preprocessing.Interpolation.BILINEAR);
        Sample s = p.apply(new RawImage(1, 4, 6, g, 255), mask, null, "id", "pid", "src");
        assertEquals(3, s.channels());
        // crop keeps columns 1..4; min-max over the crop maps 10 -> 0 and 220 -> 1
        assertEquals(0f, s.image()[0], 1e-6);
        assertEquals(1f, s.image()[15], 1e-6);
        assertArrayEquals(java.util.Arrays.copyOfRange(s.image(), 0, 16), java.util.Arrays.copyOfRange(s.image(), 32, 48));
        assertEquals(1f, s.mask()[2 * 4 + 2]);
        assertEquals(1, (int) (s.foregroundFraction() * 16));
        Preprocessing grey = Preprocessing.defaults(2).withSize(2, 2);
        Sample rgbToGrey = new Preprocessing(2, 2, 1, Preprocessing.Crop.NONE, 0, 0, Preprocessing.Intensity.SCALE, 0.5,
                99.5, Preprocessing.Interpolation.BILINEAR).apply(new RawImage(3, 2, 2,
                new float[] {255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0}, 255), new float[4], null, "i", "p", "s");
        assertEquals(1, rgbToGrey.channels());
        assertEquals(0.299f, rgbToGrey.image()[0], 1e-5);
        assertTrue(grey.channels() == 3);
    }
}
