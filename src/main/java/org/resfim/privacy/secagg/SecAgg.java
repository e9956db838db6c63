package org.resfim.privacy.secagg;

import java.math.BigInteger;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * The messages of one round of secure aggregation for element-wise partial sharing (SecAgg, Bonawitz et al. 2017,
 * with the per-element sharing sets of ResFIM), in the order they travel:
 *
 * <ol>
 *   <li>{@link Keys} (site → server): two fresh X25519 public keys, one to encrypt shares and one to derive masks, the
 *   site's bitset of shared elements and its weight — the bitset and the weight are metadata, sent in the clear;</li>
 *   <li>{@link Directory} (server → sites): every site's keys, bitset and weight, and the threshold t;</li>
 *   <li>encrypted Shamir shares (site → server → site): each site t-of-K shares its mask key and its self-mask seed,
 *   each share AES-GCM-encrypted for its holder; the server only routes them;</li>
 *   <li>{@link Masked} (site → server): the site's fixed-point values on its shared elements plus, per other site,
 *   a pairwise mask on the elements both share (+ for the lower index, − for the higher: they cancel in the sum),
 *   plus its self-mask;</li>
 *   <li>{@link UnmaskRequest} / {@link Reveal}: every site that is still there reveals, for each site whose masked
 *   vector arrived, its share of that site's self-mask seed, and for each site that vanished before it, its share of
 *   that site's mask key — never both for one site.</li>
 * </ol>
 * From at least t reveals the server removes the self-masks and the vanished sites' pairwise masks and learns, per
 * element, only the sum over the sites that share it ({@link Sum}).
 */
public final class SecAgg {
    private SecAgg() {
    }

    /** Step 1: a site's public keys (X.509-encoded X25519), its shared elements and its weight in the mean. */
    public record Keys(String site, byte[] encryptionKey, byte[] maskKey, BitSet shared, double weight) {
    }

    /** Step 2: the sites of the round in a fixed order (their Shamir points are 1, 2, …), and the threshold. */
    public record Directory(int round, int length, int threshold, List<Keys> sites) {
        public int index(String site) {
            for (int i = 0; i < sites.size(); i++) {
                if (sites.get(i).site().equals(site)) {
                    return i;
                }
            }
            return -1;
        }

        /** How many sites share each element (k in distributed DP's σ·C/√k). */
        public int[] sharers() {
            int[] k = new int[length];
            for (Keys s : sites) {
                for (int e = s.shared().nextSetBit(0); e >= 0; e = s.shared().nextSetBit(e + 1)) {
                    k[e]++;
                }
            }
            return k;
        }
    }

    /** Step 4: the masked ring elements of a site's shared elements, in element order. */
    public record Masked(String site, long[] values) {
    }

    /** Step 5, server → site: who sent a masked vector, who vanished, and the encrypted shares addressed to this site. */
    public record UnmaskRequest(List<String> survivors, List<String> dropped, Map<String, byte[]> inbox) {
    }

    /** Step 5, site → server: its shares of the survivors' self-mask seeds and of the vanished sites' mask keys. */
    public record Reveal(String site, Map<String, BigInteger> selfMaskShares, Map<String, BigInteger> maskKeyShares) {
    }

    /**
     * The outcome: per element the ring sum over the surviving sites that share it, the sum of their weights, and which
     * elements at least one survivor shares.
     */
    public record Sum(long[] ring, double[] weights, BitSet covered, List<String> survivors, List<String> dropped) {
    }
}
