package org.resfim.privacy.secagg;

import org.junit.jupiter.api.Test;
import org.resfim.state.Aggregator;
import org.resfim.state.Mask;
import org.resfim.state.MaskedAverage;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.StateOps;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class SecureAggregationTest {
    static final FixedPoint FP = new FixedPoint(24, 16);

    static SecureRandom rng(long seed) {
        try {
            SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
            r.setSeed(seed);
            return r;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A federation of K sites over n elements: random bitsets (with elements shared by exactly one site and by none), weights, values. */
    record Fed(int n, List<String> sites, Map<String, BitSet> shared, Map<String, Double> weights, Map<String, double[]> values) {
        static Fed random(int k, int n, long seed) {
            Random r = new Random(seed);
            List<String> sites = new ArrayList<>();
            Map<String, BitSet> shared = new LinkedHashMap<>();
            Map<String, Double> weights = new LinkedHashMap<>();
            Map<String, double[]> values = new LinkedHashMap<>();
            for (int i = 0; i < k; i++) {
                String s = "site-" + i;
                sites.add(s);
                BitSet b = new BitSet(n);
                double[] v = new double[n];
                for (int e = 0; e < n; e++) {
                    // the first 100 elements: shared by site (e mod k) alone; the next 100 by nobody
                    boolean share = e < 100 ? e % k == i : e >= 200 && r.nextDouble() < 0.6;
                    b.set(e, share);
                    v[e] = (float) (r.nextGaussian() * 0.5); // float values, as model tensors hold them
                }
                shared.put(s, b);
                weights.put(s, 1 + r.nextInt(50) / 7.0);
                values.put(s, v);
            }
            return new Fed(n, sites, shared, weights, values);
        }

        /** Site s's ring elements: its weight times its value on every element it shares, fixed-point. */
        long[] encoded(String s) {
            BitSet b = shared.get(s);
            long[] out = new long[b.cardinality()];
            int p = 0;
            for (int e = b.nextSetBit(0); e >= 0; e = b.nextSetBit(e + 1)) {
                out[p++] = FP.encode(weights.get(s) * values.get(s)[e]);
            }
            return out;
        }
    }

    /**
     * One round through the protocol. Sites in {@code beforeMask} vanish after sharing their keys and before sending
     * their masked vector; sites in {@code afterMask} vanish after sending it, before unmasking.
     */
    static SecAgg.Sum round(Fed f, int t, Set<String> beforeMask, Set<String> afterMask, SecAggServer server) {
        Map<String, SecAggClient> clients = new LinkedHashMap<>();
        List<SecAgg.Keys> keys = new ArrayList<>();
        for (String s : f.sites()) {
            SecAggClient c = new SecAggClient(s, 7, rng(s.hashCode()));
            clients.put(s, c);
            keys.add(c.advertise(f.shared().get(s), f.weights().get(s)));
        }
        SecAgg.Directory d = server.directory(keys);
        for (String s : f.sites()) {
            server.route(s, clients.get(s).shareKeys(d));
        }
        for (String s : f.sites()) {
            if (!beforeMask.contains(s)) {
                server.receive(clients.get(s).mask(server.inbox(s), f.encoded(s)));
            }
        }
        List<SecAgg.Reveal> reveals = new ArrayList<>();
        for (String s : server.survivors()) {
            if (!afterMask.contains(s)) {
                reveals.add(clients.get(s).unmask(server.unmaskRequest(s)));
            }
        }
        return server.finish(reveals);
    }

    /** The plain masked average over the sites in {@code sites}, by the project's aggregation path (StateOps.maskedAverage). */
    static float[] plainAverage(Fed f, List<String> sites, float[] previous) {
        List<ModelState> states = new ArrayList<>();
        List<Mask> masks = new ArrayList<>();
        double[] w = new double[sites.size()];
        for (int i = 0; i < sites.size(); i++) {
            String s = sites.get(i);
            float[] v = new float[f.n()];
            for (int e = 0; e < f.n(); e++) {
                v[e] = (float) f.values().get(s)[e];
            }
            ModelState m = new ModelState();
            m.put(new Tensor("x", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[]{f.n()}, v));
            states.add(m);
            Mask mask = Mask.allInvariant(m);
            for (int e = 0; e < f.n(); e++) {
                mask.set("x", e, !f.shared().get(s).get(e));
            }
            masks.add(mask);
            w[i] = f.weights().get(s);
        }
        ModelState prev = new ModelState();
        prev.put(new Tensor("x", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[]{f.n()}, previous));
        MaskedAverage avg = StateOps.maskedAverage(states, masks, w, prev, Aggregator.MEAN);
        return avg.global().get("x").data();
    }

    static void assertMatchesPlain(Fed f, SecAgg.Sum sum, List<String> sites) {
        float[] previous = new float[f.n()];
        java.util.Arrays.fill(previous, 42f);
        float[] plain = plainAverage(f, sites, previous);
        int shared1 = 0;
        for (int e = 0; e < f.n(); e++) {
            int k = 0;
            for (String s : sites) {
                k += f.shared().get(s).get(e) ? 1 : 0;
            }
            if (k == 0) {
                assertFalse(sum.covered().get(e), "element " + e + " is shared by nobody");
                assertEquals(0, sum.ring()[e]);
                assertEquals(42f, plain[e]);
                continue;
            }
            shared1 += k == 1 ? 1 : 0;
            double secure = FP.decode(sum.ring()[e]) / sum.weights()[e];
            // quantisation: each of the k terms is within 2^-25 of w·x; float32 rounding of the plain average: 2^-24 relative
            double bound = FP.bound(k) / sum.weights()[e] + Math.ulp(plain[e]) + 1e-12;
            assertEquals(plain[e], secure, bound, "element " + e + " shared by " + k);
        }
        assertTrue(shared1 >= 100, "elements shared by a single site are part of the test");
    }

    @Test
    void secureSumEqualsThePlainMaskedAverageWithinTheQuantisationBound() {
        Fed f = Fed.random(5, 3000, 1);
        SecAggServer server = new SecAggServer(7, f.n(), 3);
        SecAgg.Sum sum = round(f, 3, Set.of(), Set.of(), server);
        assertEquals(f.sites(), sum.survivors());
        assertMatchesPlain(f, sum, f.sites());
        // the per-element weight sums come from the bitsets alone
        for (int e = 0; e < f.n(); e++) {
            double w = 0;
            for (String s : f.sites()) {
                w += f.shared().get(s).get(e) ? f.weights().get(s) : 0;
            }
            assertEquals(w, sum.weights()[e], 1e-12);
        }
    }

    /** What the server stores is uniform in Z_2^64 (χ² on the top and bottom bytes), and no upload decodes to the site's values. */
    @Test
    void storedUploadsLookUniformAndNoneDecodesToItsSitesValues() {
        Fed f = Fed.random(4, 4000, 2);
        SecAggServer server = new SecAggServer(7, f.n(), 3);
        round(f, 3, Set.of(), Set.of(), server);
        long[] hi = new long[256];
        long[] lo = new long[256];
        long count = 0;
        for (SecAgg.Masked m : server.stored()) {
            long[] plain = f.encoded(m.site());
            int close = 0;
            for (int i = 0; i < m.values().length; i++) {
                hi[(int) (m.values()[i] >>> 56)]++;
                lo[(int) (m.values()[i] & 0xff)]++;
                count++;
                close += Math.abs(FP.decode(m.values()[i]) - FP.decode(plain[i])) < 1 ? 1 : 0;
            }
            assertTrue(close <= m.values().length / 1000, m.site() + ": " + close + " of " + m.values().length + " masked values decode near the site's own");
        }
        assertTrue(count > 5000);
        // the plain values sit near 0 in the ring: their top byte is 0x00 or 0xff almost always; masked, every byte is uniform
        for (long[] bins : List.of(hi, lo)) {
            double expected = count / 256.0;
            double chi2 = 0;
            for (long b : bins) {
                chi2 += (b - expected) * (b - expected) / expected;
            }
            // 255 degrees of freedom: mean 255, sd 22.6; 360 is beyond the 99.99th percentile
            assertTrue(chi2 < 360, "chi2 = " + chi2);
        }
        long topZero = 0;
        for (String s : f.sites()) {
            for (long v : f.encoded(s)) {
                topZero += (v >>> 56) == 0 || (v >>> 56) == 0xff ? 1 : 0;
            }
        }
        assertEquals(count, topZero, "the test would see the unmasked values: they are not uniform");
    }

    @Test
    void aSiteKilledAfterSendingItsMaskedVectorIsRecoveredFromTheShares() {
        Fed f = Fed.random(5, 2000, 3);
        SecAggServer server = new SecAggServer(7, f.n(), 3);
        SecAgg.Sum sum = round(f, 3, Set.of(), Set.of("site-2"), server);
        assertEquals(f.sites(), sum.survivors(), "its vector is in the sum");
        assertMatchesPlain(f, sum, f.sites());
    }

    @Test
    void aSiteThatVanishesBeforeMaskingHasItsPairwiseMasksRemoved() {
        Fed f = Fed.random(5, 2000, 4);
        SecAggServer server = new SecAggServer(7, f.n(), 3);
        SecAgg.Sum sum = round(f, 3, Set.of("site-1", "site-3"), Set.of(), server);
        List<String> rest = List.of("site-0", "site-2", "site-4");
        assertEquals(rest, sum.survivors());
        assertEquals(List.of("site-1", "site-3"), sum.dropped());
        assertMatchesPlain(f, sum, rest);
    }

    @Test
    void moreDropoutsThanTheThresholdAllowsAreRefusedAndNothingIsAggregated() {
        Fed f = Fed.random(5, 500, 5);
        SecAggServer server = new SecAggServer(7, f.n(), 3);
        SecAggException e = assertThrows(SecAggException.class, () -> round(f, 3, Set.of(), Set.of("site-0", "site-1", "site-4"), server));
        assertTrue(e.getMessage().contains("only 2 of 5 sites answered the unmasking step, fewer than the threshold t = 3")
                && e.getMessage().contains("nothing is aggregated"), e.getMessage());
        SecAggServer s2 = new SecAggServer(7, f.n(), 3);
        e = assertThrows(SecAggException.class, () -> round(f, 3, Set.of("site-0", "site-1", "site-2"), Set.of(), s2));
        assertTrue(e.getMessage().contains("only 2 of 5 sites sent their masked vector"), e.getMessage());
    }

    @Test
    void aSiteNeverRevealsBothSecretsOfOneSite() {
        Fed f = Fed.random(3, 100, 6);
        SecAggServer server = new SecAggServer(1, f.n(), 2);
        List<SecAggClient> clients = new ArrayList<>();
        List<SecAgg.Keys> keys = new ArrayList<>();
        for (String s : f.sites()) {
            SecAggClient c = new SecAggClient(s, 1, rng(s.hashCode()));
            clients.add(c);
            keys.add(c.advertise(f.shared().get(s), 1));
        }
        SecAgg.Directory d = server.directory(keys);
        for (int i = 0; i < 3; i++) {
            server.route(f.sites().get(i), clients.get(i).shareKeys(d));
        }
        clients.get(0).mask(server.inbox("site-0"), f.encoded("site-0"));
        SecAgg.UnmaskRequest lie = new SecAgg.UnmaskRequest(List.of("site-0", "site-1"), List.of("site-1"), server.inbox("site-0"));
        assertThrows(SecAggException.class, () -> clients.get(0).unmask(lie));
    }

    @Test
    void shamirRecoversFromAnyThresholdSubset() {
        SecureRandom r = rng(9);
        BigInteger secret = new BigInteger(256, r);
        BigInteger[] shares = Shamir.split(secret, 3, new int[]{1, 2, 3, 4, 5}, r);
        assertEquals(secret, Shamir.combine(Map.of(1, shares[0], 3, shares[2], 5, shares[4])));
        assertEquals(secret, Shamir.combine(Map.of(2, shares[1], 4, shares[3], 5, shares[4], 1, shares[0])));
        assertNotEquals(secret, Shamir.combine(Map.of(2, shares[1], 4, shares[3])));
    }

    @Test
    void fixedPointClipsIntoTheRingAndStatesItsBound() {
        assertEquals(FP.encode(16), FP.encode(1e9));
        assertEquals(-FP.encode(16), FP.encode(-1e9));
        assertEquals(0.25, FP.decode(FP.encode(0.25)));
        assertTrue(FP.capacity() > 1_000_000);
        assertEquals(3 * Math.scalb(1.0, -25), FP.bound(3));
    }
}
