package org.resfim.privacy;

import org.junit.jupiter.api.Test;
import org.resfim.algorithms.MaskedAverageServer;
import org.resfim.config.ConfigException;
import org.resfim.config.Origin;
import org.resfim.federation.Aggregation;
import org.resfim.federation.Message;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.UploadSummary;
import org.resfim.state.Aggregator;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.StateOps;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class DifferentialPrivacyTest {
    static PrivacySettings dp(PrivacySettings.Mode mode, double clip, double sigma) {
        return new PrivacySettings(mode, clip, sigma, 1e-5, false, 1, 0, 0);
    }

    static ModelState model(long seed, int n) {
        Random r = new Random(seed);
        float[] w = new float[n];
        float[] v = new float[16];
        for (int i = 0; i < n; i++) {
            w[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < v.length; i++) {
            v[i] = 0.5f + r.nextFloat();
        }
        ModelState s = new ModelState();
        s.put(new Tensor("conv.weight", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[]{n}, w));
        s.put(new Tensor("bn.running_var", TensorRole.NORM_RUNNING_VAR, NetworkPart.ENCODER, new int[]{16}, v));
        return s;
    }

    /** An upload as PartitionedClient builds it: shared values, personal ones zeroed, a mask when element-wise. */
    static Message upload(ModelState values, Mask mask) {
        return new Message(mask == null ? values.copy() : StateOps.invariantOnly(values, mask), mask, null);
    }

    static Mask randomMask(ModelState layout, long seed, double personal) {
        Random r = new Random(seed);
        Mask m = Mask.allInvariant(layout);
        for (Tensor t : layout.tensors()) {
            for (int i = 0; i < t.size(); i++) {
                m.set(t.name(), i, r.nextDouble() < personal);
            }
        }
        return m;
    }

    static double sharedUpdateNorm(ModelState up, Mask mask, ModelState reference) {
        double s = 0;
        for (Tensor t : up.tensors()) {
            BitSet p = mask == null ? new BitSet() : mask.bits(t.name());
            for (int i = 0; i < t.size(); i++) {
                if (!p.get(i)) {
                    double d = (double) t.data()[i] - reference.get(t.name()).data()[i];
                    s += d * d;
                }
            }
        }
        return Math.sqrt(s);
    }

    @Test
    void everyClippedUploadIsWithinTheBoundAndPersonalElementsAreUntouched() {
        ModelState ref = model(1, 3000);
        for (int k = 0; k < 50; k++) {
            ModelState trained = StateOps.add(ref, StateOps.scale(model(100 + k, 3000), 0.01 * (k + 1)));
            Mask mask = k % 2 == 0 ? null : randomMask(ref, k, 0.3);
            Message up = upload(trained, mask);
            double before = sharedUpdateNorm(up.tensors(), mask, ref);
            double c = 0.5 + 0.1 * (k % 7);
            SiteDp.Result r = SiteDp.apply(up.tensors(), up.mask(), ref, dp(PrivacySettings.Mode.CENTRAL, c, 0), new SplittableRandom(k));
            assertEquals(before, r.norm(), 1e-9 * before);
            double after = sharedUpdateNorm(r.upload(), mask, ref);
            assertTrue(after <= c * (1 + 1e-6), "upload " + k + ": " + after + " > " + c);
            assertEquals(Math.min(before, c), after, 1e-5 * c, "upload " + k);
            assertEquals(before > c, r.clipped());
            if (mask != null) {
                for (Tensor t : r.upload().tensors()) {
                    BitSet p = mask.bits(t.name());
                    for (int i = p.nextSetBit(0); i >= 0; i = p.nextSetBit(i + 1)) {
                        assertEquals(0f, t.data()[i], "personal element " + t.name() + "[" + i + "] must stay as sent (zero)");
                    }
                }
            }
            // the clipped update points the same way as the original one
            double dot = 0;
            for (Tensor t : r.upload().tensors()) {
                float[] a = t.data();
                float[] o = up.tensors().get(t.name()).data();
                float[] rf = ref.get(t.name()).data();
                BitSet personal = mask == null ? new BitSet() : mask.bits(t.name());
                for (int i = 0; i < a.length; i++) {
                    if (personal.get(i)) {
                        continue;
                    }
                    dot += ((double) a[i] - rf[i]) * ((double) o[i] - rf[i]);
                }
            }
            assertEquals(after * before, dot, 1e-4 * after * before);
        }
    }

    @Test
    void withoutNoiseAndWithinTheBoundTheUploadIsUnchangedBitForBit() {
        ModelState ref = model(1, 500);
        Message up = upload(StateOps.add(ref, StateOps.scale(model(2, 500), 0.001)), randomMask(ref, 3, 0.2));
        assertSame(up.tensors(), SiteDp.apply(up.tensors(), up.mask(), ref, dp(PrivacySettings.Mode.LOCAL, 0, 0), new SplittableRandom(0)).upload());
        assertSame(up.tensors(), SiteDp.apply(up.tensors(), up.mask(), ref, dp(PrivacySettings.Mode.LOCAL, 100, 0), new SplittableRandom(0)).upload());
        assertSame(up.tensors(), SiteDp.apply(up.tensors(), up.mask(), ref, PrivacySettings.OFF, new SplittableRandom(0)).upload());
    }

    /** Local noise: the residual after clipping is N(0, (σC)²) on every shared element and absent on personal ones. */
    @Test
    void localNoiseHasStandardDeviationSigmaTimesClip() {
        int n = 200_000;
        ModelState ref = model(5, n);
        Mask mask = randomMask(ref, 6, 0.25);
        double c = 2.0;
        double sigma = 0.7;
        // an update far inside the bound, so the residual is the noise alone
        ModelState trained = StateOps.add(ref, StateOps.scale(model(7, n), 1e-6));
        Message up = upload(trained, mask);
        ModelState out = SiteDp.apply(up.tensors(), up.mask(), ref, dp(PrivacySettings.Mode.LOCAL, c, sigma), new SplittableRandom(42)).upload();
        double sum = 0;
        double sumSq = 0;
        long within = 0;
        long count = 0;
        for (Tensor t : out.tensors()) {
            BitSet p = mask.bits(t.name());
            for (int i = 0; i < t.size(); i++) {
                if (p.get(i)) {
                    assertEquals(0f, t.data()[i]);
                    continue;
                }
                double e = (double) t.data()[i] - up.tensors().get(t.name()).data()[i];
                sum += e;
                sumSq += e * e;
                within += Math.abs(e) <= sigma * c ? 1 : 0;
                count++;
            }
        }
        double std = Math.sqrt(sumSq / count);
        double expected = sigma * c;
        // the sample standard deviation of ~150 000 normal draws is within 1 % of the truth with overwhelming probability
        // (its own standard deviation is 0.18 %)
        assertEquals(expected, std, 0.01 * expected, "noise std");
        assertEquals(0, sum / count, 5 * expected / Math.sqrt(count), "noise mean");
        assertEquals(0.6827, within / (double) count, 0.005, "share within one standard deviation (normal: 68.27 %)");
    }

    /** Central noise: σC·w_max / Σ_k w_k(1 − m_k[e]) at each element, none where nobody shares. */
    @Test
    void centralNoiseScalesWithTheWeightSumOfTheSharingSites() {
        int n = 120_000;
        ModelState avg = model(9, n);
        double[] w = {1, 2, 3};
        // groups of elements shared by {0}, {0,1}, {0,1,2}, {} (in blocks of n/4)
        List<Mask> masks = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            Mask m = Mask.allInvariant(avg);
            for (int i = 0; i < n; i++) {
                int group = i / (n / 4);
                boolean shares = group == 0 ? k == 0 : group == 1 ? k <= 1 : group == 2;
                m.set("conv.weight", i, !shares);
            }
            m.setAll("bn.running_var", true);
            masks.add(m);
        }
        double std = 0.3;
        ModelState noisy = CentralNoise.add(avg, masks, w, 3, std, new SplittableRandom(1));
        double[] denom = {1, 3, 6, 0};
        for (int g = 0; g < 4; g++) {
            double sq = 0;
            for (int i = g * n / 4; i < (g + 1) * n / 4; i++) {
                double e = (double) noisy.get("conv.weight").data()[i] - avg.get("conv.weight").data()[i];
                sq += e * e;
            }
            double s = Math.sqrt(sq / (n / 4));
            if (denom[g] == 0) {
                assertEquals(0, s, "elements nobody shares get no noise");
            } else {
                assertEquals(std * 3 / denom[g], s, 0.015 * std * 3 / denom[g], "group " + g);
            }
        }
        assertArrayEquals(avg.get("bn.running_var").data(), noisy.get("bn.running_var").data());
    }

    @Test
    void noisyVariancesAreKeptNonNegative() {
        ModelState s = model(3, 10);
        float[] v = s.get("bn.running_var").data().clone();
        v[2] = -0.5f;
        v[5] = -1e-9f;
        s.put(s.get("bn.running_var").withData(v));
        float[] c = CentralNoise.clampVariances(s).get("bn.running_var").data();
        assertEquals(0f, c[2]);
        assertEquals(0f, c[5]);
        assertEquals(v[0], c[0]);
    }

    /** The server re-clips in central mode, adds the noise, and reports each site's ε from the accountant. */
    @Test
    void serverReportsTheAccountantsEpsilonPerSite() {
        ModelState global = model(11, 2000);
        PrivacySettings p = dp(PrivacySettings.Mode.CENTRAL, 0.5, 1.3).withSamplingRate(0.5);
        MaskedAverageServer server = new MaskedAverageServer(global);
        server.configure(Aggregation.DEFAULT.withPrivacy(p));
        long[] samples = {10, 20, 40};
        List<Reply> replies = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            replies.add(new Reply("s" + k, Phase.SETUP, 0, null, samples[k], null, null));
        }
        server.setup(replies);
        for (int round = 1; round <= 3; round++) {
            List<Reply> ups = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                // site 2 sends an update far beyond C: the server scales it down to C
                ModelState trained = StateOps.add(server.global(), StateOps.scale(model(round * 10 + k, 2000), k == 2 ? 1 : 0.001));
                ups.add(new Reply("s" + k, Phase.FIT, round, upload(trained, randomMask(global, k, 0.2)), samples[k], null, null));
            }
            server.aggregate(round, ups, List.of("s0", "s1", "s2"));
            for (UploadSummary u : server.lastUploads()) {
                double w = u.numSamples();
                double expected = RdpAccountant.epsilon(1.3 * 40 / w, 0.5, round, 1e-5);
                assertEquals(expected, u.epsilon(), 1e-12, u.site() + " round " + round);
                assertEquals(u.site().equals("s2"), u.clipped(), u.site());
            }
        }
        // a smaller site has more noise relative to its influence: a smaller ε
        List<UploadSummary> last = server.lastUploads();
        assertTrue(last.get(0).epsilon() < last.get(1).epsilon() && last.get(1).epsilon() < last.get(2).epsilon());
        // local mode: sampling does not amplify, the releases count, sensitivity 2C
        PrivacyLedger ledger = new PrivacyLedger();
        PrivacySettings local = dp(PrivacySettings.Mode.LOCAL, 1, 2).withSamplingRate(0.5);
        ledger.record("a", 1, local, 1, 1);
        assertEquals(RdpAccountant.epsilon(1.0, 1, 2, 1e-5), ledger.record("a", 7, local, 1, 1), 1e-12);
    }

    /** Local mode: an upload the coordinator refuses was still seen by it, so it counts as a release. */
    @Test
    void aRefusedUploadStillCountsInLocalMode() {
        ModelState global = model(21, 300);
        PrivacySettings p = dp(PrivacySettings.Mode.LOCAL, 1, 2);
        MaskedAverageServer server = new MaskedAverageServer(global);
        server.configure(Aggregation.DEFAULT.withPrivacy(p));
        server.setup(List.of(new Reply("a", Phase.SETUP, 0, null, 10, null, null), new Reply("b", Phase.SETUP, 0, null, 10, null, null)));
        Message up = upload(StateOps.add(global, StateOps.scale(model(22, 300), 0.01)), null);
        // round 1: a's upload claims another sample count and is refused
        server.aggregate(1, List.of(new Reply("a", Phase.FIT, 1, up, 11, null, null), new Reply("b", Phase.FIT, 1, up, 10, null, null)), List.of("a", "b"));
        assertTrue(server.lastRejections().containsKey("a"));
        server.aggregate(2, List.of(new Reply("a", Phase.FIT, 2, up, 10, null, null), new Reply("b", Phase.FIT, 2, up, 10, null, null)), List.of("a", "b"));
        for (UploadSummary u : server.lastUploads()) {
            assertEquals(RdpAccountant.epsilon(1.0, 1, 2, 1e-5), u.epsilon(), 1e-12, u.site() + ": two releases each");
        }
    }

    @Test
    void badSettingsAreRefusedNamingTheKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> PrivacySettings.from(
                Map.of("dp", Map.of("mode", "local", "clip", 0, "noise_multiplier", 1)), Origin.file("f.yaml")));
        assertTrue(e.getMessage().contains("f.yaml") && e.getMessage().contains("privacy.dp.noise_multiplier"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> PrivacySettings.from(Map.of("dp", Map.of("mdoe", "local")), Origin.file("f.yaml")));
        assertTrue(e.getMessage().contains("mode"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> PrivacySettings.from(Map.of("dp", Map.of("mode", "global")), Origin.file("f.yaml")));
        assertTrue(e.getMessage().contains("privacy.dp.mode"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> PrivacySettings.from(Map.of("dp", "on"), Origin.file("f.yaml")));
        assertTrue(e.getMessage().contains("privacy.dp") && e.getMessage().contains("mapping"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> new Aggregation(new Aggregator(Aggregator.Kind.MEDIAN, 0), Aggregation.Weights.SAMPLES, 0, 0,
                dp(PrivacySettings.Mode.CENTRAL, 1, 1)));
        assertTrue(e.getMessage().contains("federation.aggregator") && e.getMessage().contains("central"), e.getMessage());
        PrivacySettings ok = PrivacySettings.from(Map.of("dp", Map.of("mode", "local", "clip", 0.5, "noise_multiplier", 1.1)), Origin.NONE);
        assertEquals(ok, PrivacySettings.fromMeta(ok.toMeta()));
    }
}
