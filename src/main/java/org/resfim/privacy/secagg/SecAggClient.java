package org.resfim.privacy.secagg;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A site's side of one secure-aggregation round ({@link SecAgg}); fresh keys and seeds every round. */
public final class SecAggClient {
    private final String site;
    private final int round;
    private final SecureRandom rng;
    private final KeyPair encryption;
    private final KeyPair masking;
    private BitSet shared;
    private SecAgg.Directory directory;
    private Map<String, byte[]> inbox;
    private boolean revealed;

    public SecAggClient(String site, int round, SecureRandom rng) {
        this.site = site;
        this.round = round;
        this.rng = rng;
        this.encryption = Crypto.x25519(rng);
        this.masking = Crypto.x25519(rng);
    }

    /** Step 1. */
    public SecAgg.Keys advertise(BitSet sharedElements, double weight) {
        this.shared = (BitSet) sharedElements.clone();
        return new SecAgg.Keys(site, Crypto.publicBytes(encryption.getPublic()), Crypto.publicBytes(masking.getPublic()), shared, weight);
    }

    private byte[] seed;

    /** Step 3: this site's mask key and a fresh self-mask seed, t-of-K shared, one ciphertext per site of the directory. */
    public Map<String, byte[]> shareKeys(SecAgg.Directory d) {
        this.directory = d;
        if (d.index(site) < 0) {
            throw new SecAggException(site + " is not in the round's directory");
        }
        seed = new byte[32];
        rng.nextBytes(seed);
        int n = d.sites().size();
        int[] xs = new int[n];
        for (int i = 0; i < n; i++) {
            xs[i] = i + 1;
        }
        BigInteger[] keyShares = Shamir.split(Crypto.scalar(masking.getPrivate()), d.threshold(), xs, rng);
        BigInteger[] seedShares = Shamir.split(new BigInteger(1, seed), d.threshold(), xs, rng);
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            SecAgg.Keys to = d.sites().get(i);
            byte[] plain = ByteBuffer.allocate(2 * Shamir.SHARE_BYTES).put(Shamir.encode(keyShares[i])).put(Shamir.encode(seedShares[i])).array();
            out.put(to.site(), Crypto.seal(channelKey(to), plain, aad(site, to.site()), rng));
        }
        return out;
    }

    private byte[] channelKey(SecAgg.Keys other) {
        return Crypto.kdf(Crypto.agree(encryption.getPrivate(), Crypto.publicKey(other.encryptionKey())), "resfim-secagg-share", round);
    }

    private byte[] aad(String from, String to) {
        return (from + "\u0000" + to + "\u0000" + round).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Step 4: {@code values} are this site's ring elements (already fixed-point encoded, weight pre-multiplied) on its
     * shared elements in element order; the result is what the server stores.
     */
    public SecAgg.Masked mask(Map<String, byte[]> myInbox, long[] values) {
        if (directory == null) {
            throw new IllegalStateException("mask before shareKeys");
        }
        if (values.length != shared.cardinality()) {
            throw new IllegalArgumentException(site + ": " + values.length + " values for " + shared.cardinality() + " shared elements");
        }
        this.inbox = Map.copyOf(myInbox);
        long[] y = values.clone();
        int[] rank = rank(shared, directory.length());
        int me = directory.index(site);
        for (int j = 0; j < directory.sites().size(); j++) {
            SecAgg.Keys other = directory.sites().get(j);
            if (j == me || !myInbox.containsKey(other.site())) {
                continue; // a site that did not share its keys takes no part in the round: no mask with it
            }
            BitSet both = (BitSet) shared.clone();
            both.and(other.shared());
            long[] m = Crypto.stream(pairSeed(Crypto.agree(masking.getPrivate(), Crypto.publicKey(other.maskKey())), round), both.cardinality());
            int p = 0;
            for (int e = both.nextSetBit(0); e >= 0; e = both.nextSetBit(e + 1)) {
                y[rank[e]] += me < j ? m[p] : -m[p];
                p++;
            }
        }
        long[] b = Crypto.stream(seedKey(seed, round), y.length);
        for (int i = 0; i < y.length; i++) {
            y[i] += b[i];
        }
        return new SecAgg.Masked(site, y);
    }

    static byte[] pairSeed(byte[] agreed, int round) {
        return Crypto.kdf(agreed, "resfim-secagg-mask", round);
    }

    static byte[] seedKey(byte[] seed, int round) {
        return Crypto.kdf(seed, "resfim-secagg-self", round);
    }

    /** rank[e] = the position of element e among the set bits of {@code bits}. */
    static int[] rank(BitSet bits, int length) {
        int[] r = new int[length];
        int p = 0;
        for (int e = bits.nextSetBit(0); e >= 0; e = bits.nextSetBit(e + 1)) {
            r[e] = p++;
        }
        return r;
    }

    /** Step 5: never both shares of one site; refuses a request that names fewer sites than the threshold. */
    public SecAgg.Reveal unmask(SecAgg.UnmaskRequest r) {
        if (inbox == null) {
            throw new IllegalStateException("unmask before mask");
        }
        if (revealed) {
            throw new SecAggException(site + " already answered the unmasking of round " + round);
        }
        Set<String> survivors = new HashSet<>(r.survivors());
        for (String d : r.dropped()) {
            if (survivors.contains(d)) {
                throw new SecAggException("the server names " + d + " both as a survivor and as dropped: " + site + " reveals nothing");
            }
        }
        if (r.survivors().size() < directory.threshold()) {
            throw new SecAggException("only " + r.survivors().size() + " masked vectors, fewer than the threshold " + directory.threshold());
        }
        revealed = true;
        Map<String, BigInteger> self = new LinkedHashMap<>();
        Map<String, BigInteger> keys = new LinkedHashMap<>();
        for (String other : concat(r.survivors(), r.dropped())) {
            int j = directory.index(other);
            byte[] ct = inbox.get(other);
            if (j < 0 || ct == null) {
                continue; // a site this one holds no share of
            }
            SecAgg.Keys sender = directory.sites().get(j);
            byte[] plain = Crypto.open(channelKey(sender), ct, aad(other, site));
            if (survivors.contains(other)) {
                self.put(other, Shamir.decode(plain, Shamir.SHARE_BYTES));
            } else {
                keys.put(other, Shamir.decode(plain, 0));
            }
        }
        return new SecAgg.Reveal(site, self, keys);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
