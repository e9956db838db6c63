package org.resfim.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferUShort;
import java.awt.image.MultiPixelPackedSampleModel;
import java.awt.image.SampleModel;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes 2-D image files through ImageIO (PNG, JPEG, GIF, BMP, TIFF built in; PPM/PGM/PBM and better TIFF
 * and JPEG through the TwelveMonkeys plugins on the class path). Files are decoded from memory: nothing is
 * written anywhere (no ImageIO disk cache).
 */
public final class ImageDecoder {
    /** Extensions of 2-D formats read through ImageIO. */
    public static final Set<String> IMAGE_EXTENSIONS =
            Set.of("png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "ppm", "pgm", "pbm", "pnm");
    public static final String SUPPORTED =
            "PNG, JPEG, GIF, BMP, TIFF, PPM/PGM/PBM, NIfTI-1 (.nii, .nii.gz)";

    private ImageDecoder() {
    }

    /** The extension in lower case ({@code nii.gz} for gzipped NIfTI), or "" if none. */
    public static String extension(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        if (n.endsWith(".nii.gz")) {
            return "nii.gz";
        }
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1);
    }

    public static boolean isNifti(String fileName) {
        String e = extension(fileName);
        return e.equals("nii") || e.equals("nii.gz");
    }

    /** Reads and decodes a file. */
    public static RawImage read(Path file) {
        return decode(readBytes(file), file.toString());
    }

    static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DataException(file.toString(), "readable file", "cannot read file: " + e);
        }
    }

    /** Decodes an image held in memory; {@code file} names it in errors. */
    public static RawImage decode(byte[] bytes, String file) {
        return toRaw(decodeBuffered(bytes, file), file);
    }

    /**
     * Decodes a mask: the stored grey level of every pixel (palette and 1/2/4-bit images expanded to 0–255,
     * 8- and 16-bit kept as stored, colour by luminance unless R = G = B).
     */
    static int[] decodeLabels(byte[] bytes, String file, int[] sizeOut) {
        BufferedImage img = decodeBuffered(bytes, file);
        int[] direct = directGrey(img);
        if (direct != null) {
            sizeOut[0] = img.getHeight();
            sizeOut[1] = img.getWidth();
            return direct;
        }
        RawImage raw = toRaw(img, file);
        sizeOut[0] = raw.height();
        sizeOut[1] = raw.width();
        return storedGrey(raw);
    }

    static int[] storedGrey(RawImage raw) {
        int plane = raw.height() * raw.width();
        float[] d = raw.data();
        int[] out = new int[plane];
        float expand = raw.maxValue() < 255f ? 255f / raw.maxValue() : 1f;
        if (raw.channels() == 1) {
            for (int i = 0; i < plane; i++) {
                out[i] = Math.round(d[i] * expand);
            }
        } else {
            for (int i = 0; i < plane; i++) {
                float r = d[i];
                float g = d[plane + i];
                float b = d[2 * plane + i];
                float v = (r == g && g == b) ? r : 0.299f * r + 0.587f * g + 0.114f * b;
                out[i] = Math.round(v * expand);
            }
        }
        return out;
    }

    /** Stored grey levels of 8-bit grey images and grey palettes without a float copy; null for other layouts. */
    private static int[] directGrey(BufferedImage img) {
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        if (cm instanceof IndexColorModel) {
            IndexColorModel icm = (IndexColorModel) cm;
            int size = icm.getMapSize();
            int[] rgb = new int[size];
            icm.getRGBs(rgb);
            int[] lut = new int[256];
            for (int i = 0; i < size && i < 256; i++) {
                int v = rgb[i];
                int r = (v >> 16) & 0xff;
                if (r != ((v >> 8) & 0xff) || r != (v & 0xff)) {
                    return null;
                }
                lut[i] = r;
            }
            int[] idx = fastIndices(raster);
            if (idx == null) {
                return null;
            }
            for (int i = 0; i < idx.length; i++) {
                idx[i] = lut[Math.min(size - 1, idx[i])];
            }
            return idx;
        }
        if (cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && cm.getNumComponents() == 1
                && cm.getComponentSize(0) == 8) {
            return fastIndices(raster);
        }
        return null;
    }

    private static BufferedImage decodeBuffered(byte[] bytes, String file) {
        String ext = extension(file);
        if (bytes.length == 0) {
            throw new DataException(file, "readable image", "file is empty");
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                if (IMAGE_EXTENSIONS.contains(ext)) {
                    throw new DataException(file, "readable image",
                            "unreadable image: the content is not a valid " + ext.toUpperCase(Locale.ROOT)
                                    + " file (corrupt or not an image)");
                }
                throw new DataException(file, "known format", "unknown image format"
                        + (ext.isEmpty() ? "" : " '." + ext + "'") + ": no reader recognises its content (supported: "
                        + SUPPORTED + ")");
            }
            ImageReader reader = readers.next();
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            String format = reader.getOriginatingProvider() == null ? ext
                    : reader.getOriginatingProvider().getFormatNames()[0];
            try {
                reader.setInput(in, true, true);
                BufferedImage img = reader.read(0);
                for (String w : warnings) {
                    String lw = w.toLowerCase(Locale.ROOT);
                    if (lw.contains("premature") || lw.contains("truncat") || lw.contains("end of")
                            || lw.contains("eof")) {
                        throw new DataException(file, "readable image",
                                "truncated " + format.toUpperCase(Locale.ROOT) + " image: " + w);
                    }
                }
                if (img == null) {
                    throw new DataException(file, "readable image", "decoder returned no image");
                }
                return img;
            } finally {
                reader.dispose();
            }
        } catch (DataException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            String msg = e.getMessage();
            Throwable c = e.getCause();
            if (c != null && c.getMessage() != null) {
                msg = msg + " (" + c.getClass().getSimpleName() + ": " + c.getMessage() + ")";
            } else if (c != null) {
                msg = msg + " (" + c.getClass().getSimpleName() + ")";
            }
            throw new DataException(file, "readable image", "unreadable or truncated "
                    + (ext.isEmpty() ? "" : ext.toUpperCase(Locale.ROOT) + " ") + "image: " + msg, e);
        }
    }

    private static boolean plainRaster(Raster r) {
        return r.getParent() == null && r.getSampleModelTranslateX() == 0 && r.getSampleModelTranslateY() == 0;
    }

    /** Bands 0..ch-1 of 8/16-bit component rasters read straight from the data buffer; null for other layouts. */
    private static float[] fastBands(Raster raster, int ch) {
        SampleModel sm = raster.getSampleModel();
        DataBuffer db = raster.getDataBuffer();
        if (!plainRaster(raster) || !(sm instanceof ComponentSampleModel)
                || !(db instanceof DataBufferByte || db instanceof DataBufferUShort)) {
            return null;
        }
        ComponentSampleModel csm = (ComponentSampleModel) sm;
        int w = raster.getWidth();
        int h = raster.getHeight();
        int plane = w * h;
        int ps = csm.getPixelStride();
        int ss = csm.getScanlineStride();
        int[] bo = csm.getBandOffsets();
        int[] banks = csm.getBankIndices();
        float[] out = new float[ch * plane];
        for (int k = 0; k < ch; k++) {
            int bank = banks[k];
            int base = db.getOffsets()[bank] + bo[k];
            int o = k * plane;
            if (db instanceof DataBufferByte) {
                byte[] d = ((DataBufferByte) db).getData(bank);
                for (int y = 0; y < h; y++) {
                    int p = base + y * ss;
                    for (int x = 0; x < w; x++, p += ps) {
                        out[o++] = d[p] & 0xff;
                    }
                }
            } else {
                short[] d = ((DataBufferUShort) db).getData(bank);
                for (int y = 0; y < h; y++) {
                    int p = base + y * ss;
                    for (int x = 0; x < w; x++, p += ps) {
                        out[o++] = d[p] & 0xffff;
                    }
                }
            }
        }
        return out;
    }

    /** Palette indices of byte rasters (8-bit or packed 1/2/4-bit) read straight from the buffer; else null. */
    private static int[] fastIndices(Raster raster) {
        SampleModel sm = raster.getSampleModel();
        DataBuffer db = raster.getDataBuffer();
        if (!plainRaster(raster) || !(db instanceof DataBufferByte)) {
            return null;
        }
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] d = ((DataBufferByte) db).getData();
        int off = db.getOffset();
        int[] out = new int[w * h];
        if (sm instanceof MultiPixelPackedSampleModel) {
            MultiPixelPackedSampleModel mp = (MultiPixelPackedSampleModel) sm;
            int bits = mp.getPixelBitStride();
            int ss = mp.getScanlineStride();
            int bitOff = mp.getDataBitOffset();
            int mask = (1 << bits) - 1;
            int o = 0;
            for (int y = 0; y < h; y++) {
                int rowBit = (off + y * ss) * 8 + bitOff;
                for (int x = 0; x < w; x++) {
                    int bit = rowBit + x * bits;
                    int b = d[bit >> 3] & 0xff;
                    out[o++] = (b >> (8 - bits - (bit & 7))) & mask;
                }
            }
            return out;
        }
        if (sm instanceof ComponentSampleModel && sm.getNumBands() == 1) {
            ComponentSampleModel csm = (ComponentSampleModel) sm;
            int ps = csm.getPixelStride();
            int ss = csm.getScanlineStride();
            int base = off + csm.getBandOffsets()[0];
            int o = 0;
            for (int y = 0; y < h; y++) {
                int p = base + y * ss;
                for (int x = 0; x < w; x++, p += ps) {
                    out[o++] = d[p] & 0xff;
                }
            }
            return out;
        }
        return null;
    }

    static RawImage toRaw(BufferedImage img, String file) {
        int w = img.getWidth();
        int h = img.getHeight();
        int plane = w * h;
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        if (cm instanceof IndexColorModel) {
            IndexColorModel icm = (IndexColorModel) cm;
            int size = icm.getMapSize();
            int[] rgb = new int[size];
            icm.getRGBs(rgb);
            boolean grey = true;
            for (int v : rgb) {
                int r = (v >> 16) & 0xff;
                int g = (v >> 8) & 0xff;
                int b = v & 0xff;
                grey &= r == g && g == b;
            }
            int[] idx = fastIndices(raster);
            if (idx == null) {
                idx = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            }
            int ch = grey ? 1 : 3;
            float[] out = new float[ch * plane];
            for (int i = 0; i < plane; i++) {
                int v = rgb[Math.min(size - 1, idx[i])];
                if (grey) {
                    out[i] = v & 0xff;
                } else {
                    out[i] = (v >> 16) & 0xff;
                    out[plane + i] = (v >> 8) & 0xff;
                    out[2 * plane + i] = v & 0xff;
                }
            }
            return new RawImage(ch, h, w, out, 255f);
        }
        int space = cm.getColorSpace().getType();
        boolean direct = cm instanceof ComponentColorModel || cm instanceof DirectColorModel;
        if (direct && (space == ColorSpace.TYPE_GRAY || space == ColorSpace.TYPE_RGB)) {
            int colour = cm.getNumColorComponents();
            int bits = cm.getComponentSize(0);
            int ch = colour >= 3 ? 3 : 1;
            float max;
            if (raster.getTransferType() == java.awt.image.DataBuffer.TYPE_FLOAT
                    || raster.getTransferType() == java.awt.image.DataBuffer.TYPE_DOUBLE) {
                max = 1f;
            } else {
                max = bits >= 31 ? (float) ((1L << 31) - 1) : (float) ((1L << bits) - 1);
            }
            float[] out = fastBands(raster, ch);
            if (out == null) {
                out = new float[ch * plane];
                float[] band = new float[plane];
                for (int k = 0; k < ch; k++) {
                    raster.getSamples(0, 0, w, h, k, band);
                    System.arraycopy(band, 0, out, k * plane, plane);
                }
            }
            return new RawImage(ch, h, w, out, max);
        }
        // anything else (CMYK, YCbCr left as is, custom models): through sRGB
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        float[] out = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            int v = argb[i];
            out[i] = (v >> 16) & 0xff;
            out[plane + i] = (v >> 8) & 0xff;
            out[2 * plane + i] = v & 0xff;
        }
        return new RawImage(3, h, w, out, 255f);
    }
}
