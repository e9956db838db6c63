package org.resfim.federation.secagg;

import org.junit.jupiter.api.Test;
import org.resfim.algorithms.MaskedAverageServer;
import org.resfim.federation.Aggregation;
import org.resfim.federation.Message;
import org.resfim.federation.ParticipantException;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.privacy.PrivacySettings;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.StateOps;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Secure aggregation through THE aggregation path (MaskedAverageServer) and the sites' part (SecAggSite), with sites vanishing. */
public class SecureAggregationServerTest {
    public static final List<String> SITES = List.of("a", "b", "c", "d");
    public static final long[] SAMPLES = {10, 20, 30, 45};

    public static ModelState model(long seed) {
        Random r = new Random(seed);
        float[] w = new float[600];
        float[] v = new float[16];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < v.length; i++) {
            v[i] = 0.5f + r.nextFloat();
        }
        ModelState s = new ModelState();
        s.put(new Tensor("conv.weight", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[]{600}, w));
        s.put(new Tensor("bn.running_var", TensorRole.NORM_RUNNING_VAR, NetworkPart.ENCODER, new int[]{16}, v));
        return s;
    }

    /** Site k's upload as PartitionedClient builds it: element-wise mask on conv.weight (site d keeps bn.running_var whole). */
    public static Message upload(int k) {
        ModelState values = model(100 + k);
        Random r = new Random(k);
        Mask m = Mask.allInvariant(values);
        for (int i = 0; i < 600; i++) {
            m.set("conv.weight", i, i < 50 ? k != 0 : r.nextDouble() < 0.4); // the first 50 elements: shared by site a alone
        }
        if (k == 3) {
            values = values.filter(t -> !t.name().equals("bn.running_var"));
            Mask m2 = new Mask();
            m2.addTensor("conv.weight", 600);
            m2.setBits("conv.weight", m.bits("conv.weight"));
            m = m2;
        }
        return new Message(StateOps.invariantOnly(values, m), m, null);
    }

    public static PrivacySettings secagg(int threshold) {
        return new PrivacySettings(PrivacySettings.Mode.OFF, 0, 0, 1e-5, false, 1, 0, 0, true, threshold, 24, 1024);
    }

    static MaskedAverageServer server(ModelState initial, PrivacySettings p) {
        MaskedAverageServer s = new MaskedAverageServer(initial);
        s.configure(Aggregation.DEFAULT.withPrivacy(p));
        List<Reply> setup = new ArrayList<>();
        for (int k = 0; k < SITES.size(); k++) {
            setup.add(new Reply(SITES.get(k), Phase.SETUP, 0, null, SAMPLES[k], null, null));
        }
        s.setup(setup);
        return s;
    }

    /** One round of secure aggregation; {@code kill} maps a site to the step ("share", "mask", "unmask") at which it vanishes. */
    static Map<String, Message> secureRound(MaskedAverageServer s, List<String> sites, Map<String, String> kill, PrivacySettings p) {
        Map<String, SecAggSite> parts = new LinkedHashMap<>();
        List<Reply> fits = new ArrayList<>();
        for (String site : sites) {
            int k = SITES.indexOf(site);
            SecAggSite part = new SecAggSite(site);
            parts.put(site, part);
            fits.add(new Reply(site, Phase.FIT, 1, part.fit(1, upload(k), s.global()), SAMPLES[k], null, null));
        }
        s.connect((site, round, m) -> {
            if (SecAggWire.step(m).equals(kill.get(site))) {
                throw new ParticipantException(site, "connection lost", false, null);
            }
            return parts.get(site).exchange(round, m, p, new SplittableRandom(site.hashCode()));
        });
        return s.aggregate(1, fits, SITES);
    }

    public static ModelState plain(ModelState initial, List<String> sites) {
        MaskedAverageServer s = server(initial, PrivacySettings.OFF);
        List<Reply> fits = new ArrayList<>();
        for (String site : sites) {
            int k = SITES.indexOf(site);
            fits.add(new Reply(site, Phase.FIT, 1, upload(k), SAMPLES[k], null, null));
        }
        s.aggregate(1, fits, SITES);
        return s.global();
    }

    /** Every element within the quantisation bound: k terms off by 2^-25 each, over a weight sum of at least 10/45. */
    public static void assertClose(ModelState expected, ModelState actual) {
        double bound = 4 * Math.scalb(1.0, -25) / (10.0 / 45) + 1e-6;
        assertTrue(StateOps.maxAbsDiff(expected, actual) <= bound, "max |secure − plain| = " + StateOps.maxAbsDiff(expected, actual));
    }

    @Test
    void secureAggregationGivesThePlainMaskedAverage() {
        ModelState init = model(1);
        MaskedAverageServer s = server(init, secagg(0));
        Map<String, Message> down = secureRound(s, SITES, Map.of(), secagg(0));
        assertClose(plain(init, SITES), s.global());
        assertEquals(SITES.size(), down.size());
        assertTrue(s.lastRejections().isEmpty(), s.lastRejections().toString());
        assertEquals(4, s.lastUploads().size());
    }

    @Test
    void aSiteKilledAfterSendingItsMaskedVectorStillCounts() {
        ModelState init = model(1);
        MaskedAverageServer s = server(init, secagg(0));
        secureRound(s, SITES, Map.of("c", "unmask"), secagg(0));
        assertClose(plain(init, SITES), s.global());
        assertTrue(s.lastRejections().get("c").contains("vanished after sending its masked vector"), s.lastRejections().toString());
    }

    @Test
    void aSiteKilledBeforeMaskingIsLeftOutAndItsMasksRemoved() {
        ModelState init = model(1);
        MaskedAverageServer s = server(init, secagg(0));
        secureRound(s, SITES, Map.of("b", "mask"), secagg(0));
        assertClose(plain(init, List.of("a", "c", "d")), s.global());
        assertTrue(s.lastRejections().get("b").contains("sent no usable masked vector"), s.lastRejections().toString());
    }

    @Test
    void moreDropoutsThanTheThresholdAllowsLeaveTheModelUnaggregated() {
        ModelState init = model(1);
        MaskedAverageServer s = server(init, secagg(3));
        Map<String, Message> down = secureRound(s, SITES, Map.of("a", "unmask", "d", "unmask"), secagg(3));
        assertTrue(down.isEmpty(), "nothing is sent back");
        assertEquals(0, StateOps.maxAbsDiff(init, s.global()), "nothing is aggregated");
        String why = s.lastRejections().get("*");
        assertTrue(why != null && why.contains("only 2 of 4 sites answered the unmasking step, fewer than the threshold t = 3"), String.valueOf(why));
    }

    /** Distributed DP: each sharer adds σC/√k, so the sum carries noise σC: (secure − plain)·W has standard deviation σC. */
    @Test
    void distributedNoiseAddsUpToSigmaTimesClip() {
        ModelState init = model(1);
        PrivacySettings p = new PrivacySettings(PrivacySettings.Mode.DISTRIBUTED, 1000, 0.02, 1e-5, false, 1, 0, 0, true, 0, 24, 1024);
        double sq = 0;
        int n = 0;
        MaskedAverageServer s = server(init, p);
        secureRound(s, SITES, Map.of(), p);
        ModelState ref = plain(init, SITES);
        float[] a = s.global().get("conv.weight").data();
        float[] b = ref.get("conv.weight").data();
        double[] w = new double[600];
        for (int k = 0; k < 4; k++) {
            Mask m = upload(k).mask();
            for (int i = 0; i < 600; i++) {
                w[i] += m.get("conv.weight", i) ? 0 : SAMPLES[k] / 45.0;
            }
        }
        for (int i = 0; i < 600; i++) {
            if (w[i] > 0) { // the noise in the average is (noise in the sum) / (weight sum): scale it back
                double e = (a[i] - b[i]) * w[i];
                sq += e * e;
                n++;
            }
        }
        double std = Math.sqrt(sq / n);
        // ~550 elements: the sample standard deviation is within 10 % of the truth far beyond 3 standard errors (3 %)
        assertEquals(0.02 * 1000, std, 0.1 * 20, "over " + n + " elements");
    }
}
