package org.resfim.privacy.secagg;

import java.math.BigInteger;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The coordinator's side of one secure-aggregation round ({@link SecAgg}): it routes the encrypted shares, stores the
 * masked vectors (which it cannot read), and from at least t reveals computes the per-element sums. It refuses a round
 * with fewer than t sites at any step, and then aggregates nothing.
 */
public final class SecAggServer {
    private final int round;
    private final int length;
    private final int threshold;
    private SecAgg.Directory directory;
    private final Map<String, Map<String, byte[]>> inboxes = new LinkedHashMap<>();
    private final Map<String, SecAgg.Masked> masked = new LinkedHashMap<>();
    private final java.util.Set<String> routed = new java.util.LinkedHashSet<>();

    /**
     * @param length    the number of elements of the vector being summed (every bitset's length)
     * @param threshold t: the fewest sites whose reveals reconstruct a secret (and the fewest masked vectors summed)
     */
    public SecAggServer(int round, int length, int threshold) {
        if (threshold < 1) {
            throw new IllegalArgumentException("privacy.secagg.threshold must be at least 1, got " + threshold);
        }
        this.round = round;
        this.length = length;
        this.threshold = threshold;
    }

    /** Step 2: the directory of the sites that advertised keys, in the order given. */
    public SecAgg.Directory directory(List<SecAgg.Keys> keys) {
        if (keys.size() < threshold) {
            throw new SecAggException("secure aggregation, round " + round + ": only " + keys.size() + " sites sent keys, fewer than the"
                    + " threshold t = " + threshold + " (privacy.secagg.threshold); the round is refused and nothing is aggregated");
        }
        for (SecAgg.Keys k : keys) {
            if (k.shared().length() > length) {
                throw new SecAggException(k.site() + " shares element " + (k.shared().length() - 1) + " of a vector of " + length);
            }
            if (!(k.weight() > 0 && Double.isFinite(k.weight()))) {
                throw new SecAggException(k.site() + " declares weight " + k.weight());
            }
        }
        directory = new SecAgg.Directory(round, length, threshold, List.copyOf(keys));
        return directory;
    }

    /** Step 3: the ciphertexts each sender addressed to each holder, regrouped per holder (holder → sender → ciphertext). */
    public Map<String, byte[]> route(String sender, Map<String, byte[]> sealedShares) {
        if (directory.index(sender) < 0) {
            throw new SecAggException(sender + " sent shares but is not in the round's directory");
        }
        sealedShares.forEach((to, ct) -> inboxes.computeIfAbsent(to, x -> new LinkedHashMap<>()).put(sender, ct));
        routed.add(sender);
        return sealedShares;
    }

    public Map<String, byte[]> inbox(String holder) {
        return Map.copyOf(inboxes.getOrDefault(holder, Map.of()));
    }

    /** Step 4: a site's masked vector; it must have one value per element it shares. */
    public void receive(SecAgg.Masked m) {
        int i = directory.index(m.site());
        if (i < 0 || !routed.contains(m.site())) {
            throw new SecAggException(m.site() + " sent a masked vector but did not share its keys in this round");
        }
        int expected = directory.sites().get(i).shared().cardinality();
        if (m.values().length != expected) {
            throw new SecAggException(m.site() + " sent " + m.values().length + " masked values for the " + expected + " elements its bitset shares");
        }
        masked.put(m.site(), m);
    }

    /** What the server holds of a site: its masked vector (indistinguishable from uniform without the masks). */
    public List<SecAgg.Masked> stored() {
        return List.copyOf(masked.values());
    }

    public List<String> survivors() {
        return List.copyOf(masked.keySet());
    }

    public List<String> dropped() {
        List<String> d = new ArrayList<>();
        for (SecAgg.Keys k : directory.sites()) {
            if (routed.contains(k.site()) && !masked.containsKey(k.site())) {
                d.add(k.site()); // shared its keys, so the others masked with it, but sent no vector
            }
        }
        return d;
    }

    /** Step 5: what a surviving site is asked to reveal. */
    public SecAgg.UnmaskRequest unmaskRequest(String holder) {
        if (masked.size() < threshold) {
            throw new SecAggException("secure aggregation, round " + round + ": only " + masked.size() + " of " + directory.sites().size()
                    + " sites sent their masked vector, fewer than the threshold t = " + threshold + "; the round is refused and nothing is aggregated");
        }
        return new SecAgg.UnmaskRequest(survivors(), dropped(), inbox(holder));
    }

    /** Step 6: the per-element sums over the surviving sharers, from the reveals of at least t sites. */
    public SecAgg.Sum finish(List<SecAgg.Reveal> reveals) {
        List<String> survivors = survivors();
        List<String> dropped = dropped();
        if (survivors.size() < threshold) {
            throw new SecAggException("secure aggregation, round " + round + ": only " + survivors.size() + " masked vectors, fewer than"
                    + " the threshold t = " + threshold + "; the round is refused and nothing is aggregated");
        }
        if (reveals.size() < threshold) {
            throw new SecAggException("secure aggregation, round " + round + ": only " + reveals.size() + " of " + directory.sites().size()
                    + " sites answered the unmasking step, fewer than the threshold t = " + threshold + " (" + (directory.sites().size() - reveals.size())
                    + " dropped, at most " + (directory.sites().size() - threshold) + " can be recovered); the round is refused and nothing is aggregated");
        }
        long[] total = new long[length];
        double[] weights = new double[length];
        BitSet covered = new BitSet(length);
        for (String s : survivors) {
            SecAgg.Keys k = directory.sites().get(directory.index(s));
            long[] y = masked.get(s).values();
            long[] b = Crypto.stream(SecAggClient.seedKey(secret(s, reveals, true), round), y.length);
            int p = 0;
            for (int e = k.shared().nextSetBit(0); e >= 0; e = k.shared().nextSetBit(e + 1)) {
                total[e] += y[p] - b[p];
                weights[e] += k.weight();
                p++;
            }
            covered.or(k.shared());
        }
        // the pairwise masks of every survivor with a site that vanished before sending its vector do not cancel: remove them
        for (String d : dropped) {
            int j = directory.index(d);
            SecAgg.Keys gone = directory.sites().get(j);
            PrivateKey key = Crypto.privateKey(new BigInteger(1, secret(d, reveals, false)));
            for (String s : survivors) {
                int i = directory.index(s);
                SecAgg.Keys k = directory.sites().get(i);
                BitSet both = (BitSet) k.shared().clone();
                both.and(gone.shared());
                long[] m = Crypto.stream(SecAggClient.pairSeed(Crypto.agree(key, Crypto.publicKey(k.maskKey())), round), both.cardinality());
                int p = 0;
                for (int e = both.nextSetBit(0); e >= 0; e = both.nextSetBit(e + 1)) {
                    total[e] -= i < j ? m[p] : -m[p];
                    p++;
                }
            }
        }
        return new SecAgg.Sum(total, weights, covered, survivors, dropped);
    }

    /** The self-mask seed (survivor) or the mask key (dropped) of {@code site}, from the reveals' shares. */
    private byte[] secret(String site, List<SecAgg.Reveal> reveals, boolean selfMask) {
        Map<Integer, BigInteger> shares = new LinkedHashMap<>();
        for (SecAgg.Reveal r : reveals) {
            BigInteger s = (selfMask ? r.selfMaskShares() : r.maskKeyShares()).get(site);
            int x = directory.index(r.site()) + 1;
            if (s != null && x > 0) {
                shares.put(x, s);
            }
        }
        if (shares.size() < threshold) {
            throw new SecAggException("secure aggregation, round " + round + ": only " + shares.size() + " shares of " + site + "'s "
                    + (selfMask ? "self-mask seed" : "mask key") + ", fewer than the threshold t = " + threshold + "; nothing is aggregated");
        }
        BigInteger v = Shamir.combine(shares);
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int n = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - n, out, 32 - n, n);
        return out;
    }
}
