package org.resfim.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NIfTI-1 volumes generated here: reading, slicing along each axis, per-volume percentile clipping. */
class NiftiTest {
    static final int NX = 20;
    static final int NY = 16;
    static final int NZ = 6;

    @TempDir
    Path root;

    static float[] volume(float scale) {
        float[] v = new float[NX * NY * NZ];
        for (int z = 0; z < NZ; z++) {
            for (int y = 0; y < NY; y++) {
                for (int x = 0; x < NX; x++) {
                    v[x + NX * (y + NY * z)] = scale * (x + y + 10 * z);
                }
            }
        }
        v[3] = 1e6f; // one hot voxel that must not squash the others
        return v;
    }

    static float[] label() {
        float[] v = new float[NX * NY * NZ];
        for (int z = 2; z <= 3; z++) {
            for (int y = 4; y < 12; y++) {
                for (int x = 5; x < 15; x++) {
                    v[x + NX * (y + NY * z)] = 1;
                }
            }
        }
        return v;
    }

    static byte[] gzip(byte[] b) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(b);
        }
        return out.toByteArray();
    }

    @BeforeEach
    void writeVolumes() throws Exception {
        Files.createDirectories(root.resolve("mri/images"));
        Files.createDirectories(root.resolve("mri/labels"));
        Files.write(root.resolve("mri/images/case01.nii"), NiftiVolume.encode(NX, NY, NZ, volume(1), false));
        Files.write(root.resolve("mri/labels/case01_seg.nii"), NiftiVolume.encode(NX, NY, NZ, label(), true));
        Files.write(root.resolve("mri/images/case02.nii.gz"), gzip(NiftiVolume.encode(NX, NY, NZ, volume(3), false)));
        Files.write(root.resolve("mri/labels/case02_seg.nii.gz"), gzip(NiftiVolume.encode(NX, NY, NZ, label(), true)));
    }

    String config(String nifti) {
        return "data:\n  image_size: 32\n  channels: 1\n  sites:\n    - name: mri\n      images: 'images/*'\n"
                + "      mask: 'labels/{stem}_seg.{ext}'\n"
                + "      label: {values: {0: background, 1: prostate}, foreground: [prostate]}\n"
                + "      nifti: " + nifti + "\n";
    }

    @Test
    void readerRoundTripAndSliceOrientation() throws Exception {
        byte[] bytes = Files.readAllBytes(root.resolve("mri/images/case02.nii.gz"));
        NiftiVolume v = NiftiVolume.read(bytes, "case02.nii.gz");
        assertEquals(NX, v.nx());
        assertEquals(NY, v.ny());
        assertEquals(NZ, v.nz());
        assertArrayEquals(volume(3), v.data());
        int[] shape = new int[2];
        float[] axial = v.slice(2, 4, shape);
        assertArrayEquals(new int[] {NY, NX}, shape);
        assertEquals(3 * (7 + 5 + 40), axial[5 * NX + 7]); // row y=5, column x=7
        float[] coronal = v.slice(1, 5, shape);
        assertArrayEquals(new int[] {NZ, NX}, shape);
        assertEquals(3 * (7 + 5 + 20), coronal[2 * NX + 7]); // row z=2, column x=7
        float[] sagittal = v.slice(0, 7, shape);
        assertArrayEquals(new int[] {NZ, NY}, shape);
        assertEquals(3 * (7 + 5 + 20), sagittal[2 * NY + 5]); // row z=2, column y=5
    }

    @Test
    void bigEndianInt16WithScaling() {
        ByteBuffer bb = ByteBuffer.allocate(352 + 2 * 3 * 2).order(ByteOrder.BIG_ENDIAN);
        bb.putInt(0, 348);
        bb.putShort(40, (short) 3);
        bb.putShort(42, (short) 3);
        bb.putShort(44, (short) 2);
        bb.putShort(46, (short) 1);
        bb.putShort(70, (short) 4);
        bb.putShort(72, (short) 16);
        bb.putFloat(108, 352);
        bb.putFloat(112, 2f);
        bb.putFloat(116, 1f);
        bb.put(344, (byte) 'n').put(345, (byte) '+').put(346, (byte) '1');
        short[] vals = {-3, 0, 5, 100, -200, 7};
        for (int i = 0; i < 6; i++) {
            bb.putShort(352 + 2 * i, vals[i]);
        }
        NiftiVolume v = NiftiVolume.read(bb.array(), "be.nii");
        assertArrayEquals(new float[] {-5, 1, 11, 201, -399, 15}, v.data());
    }

    @Test
    void volumesBecomeSlicesWithPercentileClipping() {
        FederationConfig cfg = FederationConfig.parse(config("{axis: z, clip: [1, 99]}"), root, "mri.yaml");
        SiteDataset site = FederationData.load(cfg).get(0);
        assertEquals(2 * NZ, site.size());
        Set<String> ids = new HashSet<>();
        for (Sample s : site.all()) {
            ids.add(s.id());
            assertEquals(1, s.channels());
            assertEquals(32, s.height());
            // a volume is one patient: all its slices share a split
            assertEquals(s.id().substring(0, s.id().indexOf('#')), s.patientId());
        }
        assertTrue(ids.contains("images/case01.nii#z=000") && ids.contains("images/case02.nii.gz#z=005"), ids.toString());
        for (Split sp : Split.values()) {
            Set<String> patients = new HashSet<>();
            site.split(sp).forEach(s -> patients.add(s.patientId()));
            for (Split other : Split.values()) {
                if (other != sp) {
                    site.split(other).forEach(s -> assertTrue(!patients.contains(s.patientId())));
                }
            }
        }
        // clipping at the 99th percentile keeps the hot voxel from squashing the ramp: the brightest slice
        // reaches 1 and the mean of the top slice stays well above what min-max scaling (≈ 0.0001) would give
        Sample top = site.all().stream().filter(s -> s.id().equals("images/case01.nii#z=005")).findFirst().orElseThrow();
        double mean = 0;
        float max = 0;
        for (float v : top.image()) {
            mean += v;
            max = Math.max(max, v);
        }
        mean /= top.image().length;
        assertEquals(1f, max, 1e-6);
        assertTrue(mean > 0.6, "mean " + mean);
        Sample labelled = site.all().stream().filter(s -> s.id().equals("images/case01.nii#z=002")).findFirst()
                .orElseThrow();
        assertEquals(80.0 / (NX * NY), labelled.foregroundFraction(), 0.03);
        SplitManifest.Entry e = site.manifest().entry("images/case02.nii.gz");
        assertEquals(NZ, e.samples());
        assertEquals(List.of(0, 1), e.maskValues());
        assertTrue(e.imageSha256().matches("[0-9a-f]{64}"));
    }

    @Test
    void otherAxesAndForegroundSlices() {
        SiteDataset sagittal = FederationData.load(FederationConfig.parse(config("{axis: 0}"), root, "m.yaml")).get(0);
        assertEquals(2 * NX, sagittal.size());
        assertTrue(sagittal.all().get(0).id().endsWith("#x=000"));
        SiteDataset coronal = FederationData.load(FederationConfig.parse(config("{axis: coronal}"), root, "m.yaml")).get(0);
        assertEquals(2 * NY, coronal.size());
        SiteDataset fg = FederationData.load(FederationConfig.parse(config("{slices: foreground}"), root, "m.yaml"))
                .get(0);
        assertEquals(4, fg.size());
        for (Sample s : fg.all()) {
            assertTrue(s.id().endsWith("#z=002") || s.id().endsWith("#z=003"), s.id());
        }
    }

    @Test
    void truncatedAndMismatchedVolumes() throws Exception {
        Path f = root.resolve("mri/images/case01.nii");
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length - 100));
        FederationConfig cfg = FederationConfig.parse(config("{axis: 2}"), root, "mri.yaml");
        DataException ex = assertThrows(DataException.class, () -> FederationData.load(cfg));
        assertEquals("readable image", ex.rule());
        assertTrue(ex.getMessage().startsWith(f + ": truncated NIfTI file"), ex.getMessage());

        Files.write(f, b);
        Files.write(root.resolve("mri/labels/case01_seg.nii"), NiftiVolume.encode(NX, NY, NZ - 1,
                new float[NX * NY * (NZ - 1)], true));
        DataException size = assertThrows(DataException.class, () -> FederationData.load(cfg));
        assertEquals("mask size", size.rule());
        assertTrue(size.getMessage().contains("mask volume is 20x16x5 but its image"), size.getMessage());
    }
}
