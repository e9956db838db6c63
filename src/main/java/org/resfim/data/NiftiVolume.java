package org.resfim.data;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.GZIPInputStream;

/**
 * A NIfTI-1 single-file volume ({@code .nii}, or gzipped {@code .nii.gz}): the first 3-D volume (time point 0
 * of a 4-D file), voxel values after {@code scl_slope}/{@code scl_inter}, x fastest.
 */
public final class NiftiVolume {
    private final int nx;
    private final int ny;
    private final int nz;
    private final float[] data;

    public NiftiVolume(int nx, int ny, int nz, float[] data) {
        if ((long) nx * ny * nz != data.length) {
            throw new IllegalArgumentException("volume " + nx + "x" + ny + "x" + nz + " needs " + ((long) nx * ny * nz)
                    + " values, got " + data.length);
        }
        this.nx = nx;
        this.ny = ny;
        this.nz = nz;
        this.data = data;
    }

    public int nx() {
        return nx;
    }

    public int ny() {
        return ny;
    }

    public int nz() {
        return nz;
    }

    /** Voxels, x fastest, then y, then z. */
    public float[] data() {
        return data;
    }

    /** Number of 2-D slices along an axis (0 = x, 1 = y, 2 = z). */
    public int slices(int axis) {
        return axis == 0 ? nx : axis == 1 ? ny : nz;
    }

    /**
     * One slice as an H×W image: axis 2 (axial) gives rows = y and columns = x; axis 1 gives rows = z,
     * columns = x; axis 0 gives rows = z, columns = y.
     *
     * @return the values; {@code shape[0]} = height and {@code shape[1]} = width are filled in
     */
    public float[] slice(int axis, int index, int[] shape) {
        int h;
        int w;
        float[] out;
        if (axis == 2) {
            h = ny;
            w = nx;
            out = new float[h * w];
            System.arraycopy(data, index * nx * ny, out, 0, nx * ny);
        } else if (axis == 1) {
            h = nz;
            w = nx;
            out = new float[h * w];
            for (int z = 0; z < nz; z++) {
                System.arraycopy(data, (z * ny + index) * nx, out, z * nx, nx);
            }
        } else if (axis == 0) {
            h = nz;
            w = ny;
            out = new float[h * w];
            for (int z = 0; z < nz; z++) {
                for (int y = 0; y < ny; y++) {
                    out[z * ny + y] = data[(z * ny + y) * nx + index];
                }
            }
        } else {
            throw new IllegalArgumentException("axis must be 0, 1 or 2, got " + axis);
        }
        shape[0] = h;
        shape[1] = w;
        return out;
    }

    /** Reads a file's bytes ({@code .nii} or {@code .nii.gz}, detected by content); {@code file} names it in errors. */
    public static NiftiVolume read(byte[] bytes, String file) {
        byte[] raw = bytes;
        if (bytes.length >= 2 && (bytes[0] & 0xff) == 0x1f && (bytes[1] & 0xff) == 0x8b) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes), 1 << 16)) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(1024, bytes.length * 3));
                in.transferTo(out);
                raw = out.toByteArray();
            } catch (IOException e) {
                throw new DataException(file, "readable image", "unreadable or truncated gzip stream in NIfTI file: "
                        + e.getMessage(), e);
            }
        }
        if (raw.length < 348) {
            throw new DataException(file, "readable image", "truncated NIfTI file: " + raw.length
                    + " bytes, a NIfTI-1 header alone has 348");
        }
        ByteBuffer bb = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        int sizeofHdr = bb.getInt(0);
        if (sizeofHdr != 348) {
            bb.order(ByteOrder.BIG_ENDIAN);
            sizeofHdr = bb.getInt(0);
        }
        if (sizeofHdr == 540 || Integer.reverseBytes(sizeofHdr) == 540) {
            throw new DataException(file, "known format", "NIfTI-2 files are not supported (only NIfTI-1)");
        }
        if (sizeofHdr != 348) {
            throw new DataException(file, "readable image", "not a NIfTI-1 file: header size field is " + sizeofHdr
                    + ", expected 348");
        }
        String magic = new String(raw, 344, 3, java.nio.charset.StandardCharsets.US_ASCII);
        if (magic.equals("ni1")) {
            throw new DataException(file, "known format", "two-file NIfTI (.hdr/.img) is not supported; convert to .nii");
        }
        if (!magic.equals("n+1")) {
            throw new DataException(file, "readable image", "not a NIfTI-1 file: magic is '" + magic + "', expected 'n+1'");
        }
        int ndim = bb.getShort(40);
        if (ndim < 2 || ndim > 7) {
            throw new DataException(file, "readable image", "NIfTI dim[0] = " + ndim + " is out of range 2..7");
        }
        int nx = bb.getShort(42);
        int ny = bb.getShort(44);
        int nz = ndim >= 3 ? bb.getShort(46) : 1;
        if (nx <= 0 || ny <= 0 || nz <= 0) {
            throw new DataException(file, "readable image", "NIfTI dimensions " + nx + "x" + ny + "x" + nz
                    + " are not positive");
        }
        int datatype = bb.getShort(70);
        int bitpix = bb.getShort(72);
        float voxOffset = bb.getFloat(108);
        float slope = bb.getFloat(112);
        float inter = bb.getFloat(116);
        int bytesPer;
        switch (datatype) {
            case 2: case 256: bytesPer = 1; break;          // uint8, int8
            case 4: case 512: bytesPer = 2; break;          // int16, uint16
            case 8: case 16: case 768: bytesPer = 4; break; // int32, float32, uint32
            case 64: case 1024: case 1280: bytesPer = 8; break; // float64, int64, uint64
            default:
                throw new DataException(file, "known format", "NIfTI datatype " + datatype
                        + " is not supported (supported: uint8, int8, int16, uint16, int32, uint32, int64, float32, float64)");
        }
        if (bitpix != 0 && bitpix != bytesPer * 8) {
            throw new DataException(file, "readable image", "NIfTI bitpix " + bitpix + " does not match datatype "
                    + datatype);
        }
        long n = (long) nx * ny * nz;
        long offset = (long) Math.max(352, voxOffset);
        if (offset + n * bytesPer > raw.length) {
            throw new DataException(file, "readable image", "truncated NIfTI file: needs " + (offset + n * bytesPer)
                    + " bytes for " + nx + "x" + ny + "x" + nz + " voxels, has " + raw.length);
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new DataException(file, "readable image", "NIfTI volume too large: " + n + " voxels");
        }
        float[] data = new float[(int) n];
        int p = (int) offset;
        for (int i = 0; i < n; i++, p += bytesPer) {
            float v;
            switch (datatype) {
                case 2: v = raw[p] & 0xff; break;
                case 256: v = raw[p]; break;
                case 4: v = bb.getShort(p); break;
                case 512: v = bb.getShort(p) & 0xffff; break;
                case 8: v = bb.getInt(p); break;
                case 768: v = bb.getInt(p) & 0xffffffffL; break;
                case 16: v = bb.getFloat(p); break;
                case 64: v = (float) bb.getDouble(p); break;
                case 1024: v = bb.getLong(p); break;
                default: {
                    long l = bb.getLong(p);
                    v = l >= 0 ? l : (float) (l >>> 1) * 2f;
                }
            }
            data[i] = v;
        }
        if (slope != 0f && Float.isFinite(slope) && (slope != 1f || inter != 0f)) {
            for (int i = 0; i < data.length; i++) {
                data[i] = data[i] * slope + inter;
            }
        }
        return new NiftiVolume(nx, ny, nz, data);
    }

    /**
     * Writes a minimal NIfTI-1 file (float32 or uint8 voxels, unit spacing), little-endian, uncompressed. For
     * tests and exports.
     */
    public static byte[] encode(int nx, int ny, int nz, float[] data, boolean asUint8) {
        int bytesPer = asUint8 ? 1 : 4;
        ByteBuffer bb = ByteBuffer.allocate(352 + nx * ny * nz * bytesPer).order(ByteOrder.LITTLE_ENDIAN);
        bb.putInt(0, 348);
        bb.putShort(40, (short) 3);
        bb.putShort(42, (short) nx);
        bb.putShort(44, (short) ny);
        bb.putShort(46, (short) nz);
        bb.putShort(48, (short) 1);
        bb.putShort(70, (short) (asUint8 ? 2 : 16));
        bb.putShort(72, (short) (bytesPer * 8));
        for (int i = 0; i < 4; i++) {
            bb.putFloat(76 + 4 * i, 1f); // pixdim
        }
        bb.putFloat(108, 352f);
        bb.putFloat(112, 1f);
        bb.put(344, (byte) 'n');
        bb.put(345, (byte) '+');
        bb.put(346, (byte) '1');
        int p = 352;
        for (float v : data) {
            if (asUint8) {
                bb.put(p, (byte) Math.max(0, Math.min(255, Math.round(v))));
            } else {
                bb.putFloat(p, v);
            }
            p += bytesPer;
        }
        return bb.array();
    }
}
