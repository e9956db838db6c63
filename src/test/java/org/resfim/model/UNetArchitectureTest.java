package org.resfim.model;

import org.junit.jupiter.api.Test;
import org.resfim.engine.UNet;
import org.resfim.run.ModelSettings;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The engine-free description of the U-Net gives the coordinator the initial model a site's engine network of the
 * same seed holds, bit for bit, under both {@code model.init} rules.
 */
class UNetArchitectureTest {
    private record Case(UNetConfig config, long seed, WeightInit init, String sha256) {
    }

    /**
     * SHA-256 (see {@link #sha256}) of the initial weights the engine's U-Net drew before the description moved out
     * of the engine (commit f732a2a): the initial model of every configuration, seed and rule is unchanged.
     */
    private static final List<Case> PINNED = List.of(
            new Case(UNetConfig.reference(), 0, WeightInit.KAIMING_FAN_OUT, "8251375bdd93d67b930d62a65c015fd02987846992d1cd30580172928914d88f"),
            new Case(UNetConfig.reference(), 0, WeightInit.TORCH_DEFAULT, "1253d06b87c9e7e77cf3e43161928f9a904a8bab41fc38595856024afeba929a"),
            new Case(new UNetConfig(1, 1, 4, 3, NormType.GROUP, 2), 7, WeightInit.KAIMING_FAN_OUT,
                    "8fb861d014e6375bcdec93ae5c01ea0a05072f003d00663722d3124478e1b713"),
            new Case(new UNetConfig(1, 1, 4, 3, NormType.GROUP, 2), 7, WeightInit.TORCH_DEFAULT,
                    "59596e7bcef45a2497af230aaccd1fa00ef9dc5eeeeedca1a66761152a1583e9"),
            new Case(new UNetConfig(3, 1, 4, 3, NormType.INSTANCE, 1), 3, WeightInit.KAIMING_FAN_OUT,
                    "f9699341a39140d6916da5f0a82bcdaaaf23b677130cd367b718ae64e25e58c5"),
            new Case(new UNetConfig(3, 1, 4, 3, NormType.INSTANCE, 1), 3, WeightInit.TORCH_DEFAULT,
                    "527a9d07229c684ec961f9ceb53135aeebb5f0fcc84339c2a43442e80c0b68e0"),
            new Case(new UNetConfig(3, 1, 4, 3, NormType.NONE, 1), 1, WeightInit.KAIMING_FAN_OUT,
                    "1513cdb8a071dcf4df531fed53787c55ec131137e2d7ae47d945b74ae79313b1"),
            new Case(new UNetConfig(3, 1, 4, 3, NormType.NONE, 1), 1, WeightInit.TORCH_DEFAULT,
                    "e577ba10f1042e7bb489655bd48b2507a969f23795a4995115a171357968a0a0"),
            new Case(new UNetConfig(3, 2, 6, 2, NormType.BATCH, 1), 42, WeightInit.KAIMING_FAN_OUT,
                    "97365b2dc2dee84aa3ee6d8ce7596e17998bd886b3bf6738f82d7dcd62c52e0e"),
            new Case(new UNetConfig(3, 2, 6, 2, NormType.BATCH, 1), 42, WeightInit.TORCH_DEFAULT,
                    "fabdab1ca7654983db42c4de5dab54ecb98c2b46e35245cc8046abc6ee1b8bc5"));

    /** Every tensor's name, role, part, shape and the raw bits of its floats, in network order. */
    static String sha256(ModelState s) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (Tensor t : s.tensors()) {
            md.update((t.name() + "|" + t.role() + "|" + t.part() + "|" + Arrays.toString(t.shape()) + "\n").getBytes(StandardCharsets.UTF_8));
            ByteBuffer b = ByteBuffer.allocate(4 * t.data().length);
            for (float f : t.data()) {
                b.putInt(Float.floatToRawIntBits(f));
            }
            md.update(b.array());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Test
    void theEngineFreeInitialModelIsTheEnginesBitForBit() throws Exception {
        for (Case c : PINNED) {
            String what = c.config() + " seed " + c.seed() + " " + c.init().key();
            ModelState described = UNetArchitecture.initialState(c.config(), c.seed(), c.init());
            assertEquals(c.sha256(), sha256(described), what + ": the initial weights the engine drew before");
            try (UNet net = new UNet(c.config(), c.seed(), c.init())) {
                assertEquals(c.sha256(), sha256(net.toState()), what + ": the engine's network holds the described initial model");
            }
        }
    }

    @Test
    void theConfigurationsInitialModelIsTheDescribedOne() throws Exception {
        for (String init : List.of("torch-default", "kaiming-fan-out")) {
            ModelSettings m = ModelSettings.from(Map.of("width", 4, "depth", 3, "norm", "group", "groups", 2, "init", init));
            assertEquals(sha256(UNetArchitecture.initialState(new UNetConfig(1, 1, 4, 3, NormType.GROUP, 2), 7, WeightInit.parse(init))),
                    sha256(m.initialState(1, 7)), init);
        }
        // seeds and rules give different models; the same seed and rule the same one
        UNetConfig cfg = new UNetConfig(3, 1, 4, 3, NormType.BATCH, 1);
        assertEquals(sha256(UNetArchitecture.initialState(cfg, 5, WeightInit.TORCH_DEFAULT)), sha256(UNetArchitecture.initialState(cfg, 5, WeightInit.TORCH_DEFAULT)));
        assertNotEquals(sha256(UNetArchitecture.initialState(cfg, 5, WeightInit.TORCH_DEFAULT)), sha256(UNetArchitecture.initialState(cfg, 6, WeightInit.TORCH_DEFAULT)));
        assertNotEquals(sha256(UNetArchitecture.initialState(cfg, 5, WeightInit.TORCH_DEFAULT)), sha256(UNetArchitecture.initialState(cfg, 5, WeightInit.KAIMING_FAN_OUT)));
    }

    /** The initialisation rules by hand on the first convolution and the head of a small network. */
    @Test
    void initialValuesFollowTheRules() {
        UNetConfig cfg = new UNetConfig(2, 1, 4, 2, NormType.BATCH, 1);
        ModelState torch = UNetArchitecture.initialState(cfg, 11, WeightInit.TORCH_DEFAULT);
        double bound = 1 / Math.sqrt(2 * 9); // 1/sqrt(C_in·k²) of d.0.c1
        for (String n : List.of("d.0.c1.weight", "d.0.c1.bias")) {
            for (float v : torch.get(n).data()) {
                assertTrue(Math.abs(v) <= bound, n + " " + v);
            }
        }
        assertTrue(Arrays.stream(box(torch.get("d.0.c1.bias").data())).anyMatch(v -> v != 0), "torch-default draws conv biases");
        ModelState kaiming = UNetArchitecture.initialState(cfg, 11, WeightInit.KAIMING_FAN_OUT);
        assertArrayEquals(new float[4], kaiming.get("d.0.c1.bias").data(), "kaiming-fan-out: zero conv biases");
        float[] w = kaiming.get("d.1.c2.weight").data(); // 8·8·9 = 576 draws, std √(2 / (8·9)) = 0.1667
        double sq = 0;
        for (float v : w) {
            sq += v * v;
        }
        assertEquals(Math.sqrt(2.0 / (8 * 9)), Math.sqrt(sq / w.length), 0.02);
        assertArrayEquals(new float[] {1, 1, 1, 1}, kaiming.get("d.0.b1.running_var").data());
        assertArrayEquals(new float[4], kaiming.get("d.0.b1.running_mean").data());
        assertArrayEquals(new int[] {1, 8, 1, 1}, kaiming.get("head.weight").shape()); // the last decoder stage has channels(1)
        assertEquals(cfgParameters(cfg), UNetArchitecture.layout(cfg).filter(t -> t.role().trainable()).numElements());
        assertEquals(0, Arrays.stream(box(UNetArchitecture.layout(cfg).get("d.0.c1.weight").data())).filter(v -> v != 0).count());
    }

    /** Trainable parameters of a depth-2 U-Net with BatchNorm, counted by hand from its layers. */
    private static long cfgParameters(UNetConfig c) {
        int in = c.inChannels();
        int w0 = c.channels(0);
        int w1 = c.channels(1);
        long d0 = (in * w0 * 9 + w0) + 2 * (w0 * w0 * 9 + w0) + 3 * 2 * w0;
        long d1 = (w0 * w1 * 9 + w1) + 2 * (w1 * w1 * 9 + w1) + 3 * 2 * w1;
        long u0 = (w1 * (w1 / 2) + w1 / 2) + 2 * (w1 / 2) + (w1 * w1 * 9 + w1) + 2 * w1; // 1×1 c2 to w1/2, c3 on the concat (w1 channels)
        long head = w1 + 1;
        return d0 + d1 + u0 + head;
    }

    private static double[] box(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
