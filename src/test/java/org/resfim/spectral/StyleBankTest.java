package org.resfim.spectral;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

class StyleBankTest {
    private static final int C = 3;
    private static final int H = 40;
    private static final int W = 36;

    private static List<float[]> images(int n, long seed, double brightness) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(SpectralFixtures.image(C, H, W, seed * 1000 + i, brightness, 1.0 + 0.1 * i));
        }
        return out;
    }

    private static StyleConfig config(String share, int m, double sigma) {
        return StyleConfig.fromMap(Map.of("beta", 0.1, "share", share, "m", m, "sigma", sigma));
    }

    @Test
    void siteMeanIsOneWindowTheMeanOfThePerImageWindows() {
        List<float[]> imgs = images(5, 1, 0.5);
        StyleBank bank = StyleBank.forSite("HRF", imgs, C, H, W, config("site-mean", 8, 0), 42);
        assertEquals(List.of("HRF"), bank.sites());
        assertEquals(1, bank.windows("HRF").size());
        float[][][] got = bank.windows("HRF").get(0);
        int b = AmplitudeTransfer.halfSize(H, W, 0.1);
        assertEquals(3, b);
        for (int c = 0; c < C; c++) {
            for (int i = 0; i < 7; i++) {
                for (int j = 0; j < 7; j++) {
                    double mean = 0;
                    for (float[] img : imgs) {
                        mean += AmplitudeTransfer.window(img, C, H, W, b)[c][i][j] / 5.0;
                    }
                    assertEquals(mean, got[c][i][j], 1e-4 * Math.max(1, mean));
                }
            }
        }
        assertArrayEquals(got[1][2], bank.meanWindow("HRF")[1][2], 1e-6f);
    }

    @Test
    void perImageDrawsUpToMDistinctImagesReproducibly() {
        List<float[]> imgs = images(6, 2, 0.5);
        StyleConfig cfg = config("per-image", 3, 0);
        StyleBank a = StyleBank.forSite("CHASE", imgs, C, H, W, cfg, 7);
        StyleBank again = StyleBank.forSite("CHASE", imgs, C, H, W, cfg, 7);
        assertEquals(3, a.windows("CHASE").size());
        List<Integer> drawn = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            float[][][] w = a.windows("CHASE").get(k);
            assertTrue(Arrays.deepEquals(w, again.windows("CHASE").get(k)), "same seed, same draw");
            for (int i = 0; i < imgs.size(); i++) {
                if (Arrays.deepEquals(w, AmplitudeTransfer.window(imgs.get(i), C, H, W, 3))) {
                    drawn.add(i);
                }
            }
        }
        assertEquals(3, drawn.size(), "each window is one image's window");
        assertEquals(3, drawn.stream().distinct().count(), "distinct images");
        boolean differs = false;
        for (long seed = 8; seed < 20 && !differs; seed++) {
            StyleBank other = StyleBank.forSite("CHASE", imgs, C, H, W, cfg, seed);
            differs = !Arrays.deepEquals(other.windows("CHASE").toArray(), a.windows("CHASE").toArray());
        }
        assertTrue(differs, "another seed draws other images");
        // fewer images than M: all of them
        assertEquals(2, StyleBank.forSite("S", images(2, 3, 0.5), C, H, W, config("per-image", 8, 0), 1)
                .windows("S").size());
    }

    @Test
    void noiseIsSeededMultiplicativeAndNonNegative() {
        List<float[]> imgs = images(3, 4, 0.5);
        float[][][] clean = StyleBank.forSite("A", imgs, C, H, W, config("site-mean", 8, 0), 1).windows("A").get(0);
        float[][][] n1 = StyleBank.forSite("A", imgs, C, H, W, config("site-mean", 8, 2.0), 1).windows("A").get(0);
        float[][][] n1b = StyleBank.forSite("A", imgs, C, H, W, config("site-mean", 8, 2.0), 1).windows("A").get(0);
        float[][][] n2 = StyleBank.forSite("A", imgs, C, H, W, config("site-mean", 8, 2.0), 2).windows("A").get(0);
        assertTrue(Arrays.deepEquals(n1, n1b));
        assertTrue(!Arrays.deepEquals(n1, n2));
        assertTrue(!Arrays.deepEquals(n1, clean));
        int zeros = 0;
        for (float[][] plane : n1) {
            for (float[] row : plane) {
                for (float v : row) {
                    assertTrue(v >= 0 && Float.isFinite(v));
                    zeros += v == 0 ? 1 : 0;
                }
            }
        }
        assertTrue(zeros > 0, "sigma 2 clamps some factors to 0");
        // a noised (asymmetric) window still transfers to a finite image in range
        float[] out = AmplitudeTransfer.transfer(imgs.get(0), C, H, W, n1, 1.0);
        for (float v : out) {
            assertTrue(v >= 0 && v <= 1);
        }
    }

    /** Everything the transport carries for style: window-sized, non-negative amplitude arrays — no image, no phase. */
    @Test
    void transportedStateHoldsOnlyWindowSizedAmplitudes() {
        StyleConfig perImage = config("per-image", 4, 0);
        List<StyleBank> uploads = new ArrayList<>();
        Map<String, List<float[]>> siteImages = Map.of(
                "HRF", images(6, 10, 0.4), "CHASE_DB1", images(3, 11, 0.6), "les.av", images(5, 12, 0.5));
        for (String site : List.of("HRF", "CHASE_DB1", "les.av")) {
            StyleConfig cfg = site.equals("HRF") ? config("site-mean", 8, 0) : perImage;
            uploads.add(StyleBank.forSite(site, siteImages.get(site), C, H, W, cfg, 3));
        }
        StyleBank server = StyleBank.merge(uploads);
        ModelState carried = server.toState();
        int b = AmplitudeTransfer.halfSize(H, W, 0.1);
        int s = 2 * b + 1;
        assertEquals(1 + 3 + 4, carried.size());
        for (Tensor t : carried.tensors()) {
            assertEquals(TensorRole.STYLE_AMPLITUDE, t.role(), t.name());
            assertTrue(t.name().matches("style\\.(HRF|CHASE_DB1|les\\.av)\\.\\d+"), t.name());
            assertArrayEquals(new int[] {C, s, s}, t.shape(), t.name());
            assertTrue(s < Math.min(H, W) / 4, "a window is far smaller than an image");
            for (float v : t.data()) {
                assertTrue(v >= 0 && Float.isFinite(v), t.name() + " holds " + v + ": not an amplitude");
            }
        }
        // the per-image entries are exactly amplitude windows of the site's own images
        for (Tensor t : carried.tensors()) {
            String site = t.name().substring(6, t.name().lastIndexOf('.'));
            if (site.equals("HRF")) {
                continue;
            }
            boolean found = false;
            for (float[] img : siteImages.get(site)) {
                float[][][] w = AmplitudeTransfer.window(img, C, H, W, b);
                found |= Arrays.equals(flat(w), t.data());
            }
            assertTrue(found, t.name() + " is the amplitude window of one of the site's images");
        }
        // and the round trip through the transport loses nothing
        StyleBank back = StyleBank.fromState(carried);
        assertEquals(server.sites(), back.sites());
        for (String site : server.sites()) {
            assertEquals(server.windows(site).size(), back.windows(site).size());
            for (int i = 0; i < server.windows(site).size(); i++) {
                assertTrue(Arrays.deepEquals(server.windows(site).get(i), back.windows(site).get(i)));
            }
        }
        back.validate(C, b);
    }

    @Test
    void validateNamesTheSiteOfABadEntry() {
        StyleBank bank = StyleBank.merge(List.of(
                StyleBank.forSite("good", images(2, 20, 0.5), C, H, W, config("site-mean", 8, 0), 1),
                StyleBank.forSite("bad", images(2, 21, 0.5), C, H, W, config("per-image", 2, 0), 1)));
        bank.validate(C, 3);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bank.validate(C, 4));
        assertTrue(e.getMessage().contains("site 'good'") && e.getMessage().contains("[3, 9, 9]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> bank.validate(1, 3));
        assertTrue(e.getMessage().contains("site 'good'") && e.getMessage().contains("3 channels"), e.getMessage());

        bank.windows("bad").get(1)[2][3][3] = Float.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> bank.validate(C, 3));
        assertTrue(e.getMessage().contains("site 'bad' window 1") && e.getMessage().contains("NaN"), e.getMessage());
        bank.validateSite("good", C, 3);
        bank.without("bad").validate(C, 3);
        bank.windows("bad").get(1)[2][3][3] = Float.NEGATIVE_INFINITY;
        e = assertThrows(IllegalArgumentException.class, () -> bank.validateSite("bad", C, 3));
        assertTrue(e.getMessage().contains("site 'bad'") && e.getMessage().contains("Infinity"), e.getMessage());

        // a wrong-shaped entry arriving through the transport
        ModelState upload = new ModelState();
        upload.put(new Tensor("style.evil.0", TensorRole.STYLE_AMPLITUDE, NetworkPart.ENCODER, new int[] {3, 40, 36},
                new float[3 * 40 * 36]));
        e = assertThrows(IllegalArgumentException.class, () -> StyleBank.fromState(upload));
        assertTrue(e.getMessage().contains("site 'evil'") && e.getMessage().contains("[C, S, S]"), e.getMessage());
        ModelState big = new ModelState();
        big.put(new Tensor("style.evil.0", TensorRole.STYLE_AMPLITUDE, NetworkPart.ENCODER, new int[] {3, 9, 9},
                new float[243]));
        e = assertThrows(IllegalArgumentException.class, () -> StyleBank.fromState(big).validate(C, 3));
        assertTrue(e.getMessage().contains("site 'evil'"), e.getMessage());
    }

    @Test
    void fromStateRefusesForeignTensors() {
        ModelState s = new ModelState();
        s.put(new Tensor("enc1.conv1.weight", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {1}, new float[1]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StyleBank.fromState(s));
        assertTrue(e.getMessage().contains("enc1.conv1.weight"), e.getMessage());

        ModelState role = new ModelState();
        role.put(new Tensor("style.A.0", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {1, 3, 3}, new float[9]));
        e = assertThrows(IllegalArgumentException.class, () -> StyleBank.fromState(role));
        assertTrue(e.getMessage().contains("site 'A'") && e.getMessage().contains("STYLE_AMPLITUDE"), e.getMessage());

        ModelState index = new ModelState();
        index.put(new Tensor("style.A.x", TensorRole.STYLE_AMPLITUDE, NetworkPart.ENCODER, new int[] {1, 3, 3},
                new float[9]));
        assertThrows(IllegalArgumentException.class, () -> StyleBank.fromState(index));

        assertThrows(IllegalArgumentException.class,
                () -> StyleBank.forSite("A", List.of(), C, H, W, StyleConfig.defaults(), 1));
        StyleBank one = StyleBank.forSite("A", images(1, 30, 0.5), C, H, W, config("site-mean", 8, 0), 1);
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> StyleBank.merge(List.of(one, one)));
        assertTrue(dup.getMessage().contains("'A'"));
        assertTrue(!TensorRole.STYLE_AMPLITUDE.trainable(), "style amplitudes are not trainable");
    }

    private static float[] flat(float[][][] w) {
        int s = w[0].length;
        float[] f = new float[w.length * s * s];
        for (int c = 0; c < w.length; c++) {
            for (int i = 0; i < s; i++) {
                System.arraycopy(w[c][i], 0, f, (c * s + i) * s, s);
            }
        }
        return f;
    }
}
