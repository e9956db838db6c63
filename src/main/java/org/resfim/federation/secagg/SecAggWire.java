package org.resfim.federation.secagg;

import org.resfim.federation.Message;
import org.resfim.federation.Sections;
import org.resfim.privacy.secagg.SecAgg;
import org.resfim.privacy.secagg.SecAggException;
import org.resfim.privacy.secagg.Shamir;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The secure-aggregation messages as {@link Message}s, so that the same objects cross the in-process transport and a
 * network one: small entries (the step, names, weights, counts) as metadata, starting with {@code secagg.}; public
 * keys, bitsets, sealed shares and revealed shares as {@link Sections} of type bytes, the masked vector as a section
 * of type uint64 (ring elements). Only a FIT answer's two public keys travel in its metadata (Base64, 44 bytes each).
 */
public final class SecAggWire {
    static final String STEP = "secagg.step";
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Decoder D64 = Base64.getDecoder();

    private SecAggWire() {
    }

    /** The tensors of the summed vector, in order, with their sizes: the element index space of the bitsets. */
    public record Layout(List<String> names, List<Integer> sizes) {
        public int length() {
            return sizes.stream().mapToInt(Integer::intValue).sum();
        }

        String encode() {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < names.size(); i++) {
                b.append(i == 0 ? "" : "\n").append(names.get(i)).append('\t').append(sizes.get(i));
            }
            return b.toString();
        }

        static Layout decode(String s) {
            List<String> n = new ArrayList<>();
            List<Integer> z = new ArrayList<>();
            for (String line : s.split("\n")) {
                int tab = line.lastIndexOf('\t');
                n.add(line.substring(0, tab));
                z.add(Integer.parseInt(line.substring(tab + 1)));
            }
            return new Layout(n, z);
        }
    }

    static String b64(byte[] b) {
        return B64.encodeToString(b);
    }

    static byte[] unb64(String s) {
        if (s == null) {
            throw new SecAggException("a secure-aggregation message lacks an entry");
        }
        return D64.decode(s);
    }

    // ---------------------------------------------------------------- FIT reply: the public keys

    public static Map<String, String> keys(byte[] encryptionKey, byte[] maskKey) {
        return Map.of("secagg.enc", b64(encryptionKey), "secagg.mask", b64(maskKey));
    }

    public static boolean hasKeys(Map<String, String> meta) {
        return meta.containsKey("secagg.enc") && meta.containsKey("secagg.mask");
    }

    public static byte[][] readKeys(Map<String, String> meta) {
        return new byte[][]{unb64(meta.get("secagg.enc")), unb64(meta.get("secagg.mask"))};
    }

    // ---------------------------------------------------------------- step "share": the directory

    /** Bytes of one sealed share bundle (AES-GCM: 12-byte nonce, the two 66-byte shares, 16-byte tag). */
    public static final int SEALED_BYTES = 12 + 2 * Shamir.SHARE_BYTES + 16;
    /** Meta entry of a mask request: how many ring elements the addressed site's answer must hold (its shared elements). */
    static final String VALUES = "secagg.values";

    /**
     * The directory as small meta entries (names, weights, the layout) and binary sections (each site's public keys
     * and bitset of shared elements).
     */
    public static Message shareRequest(SecAgg.Directory d, Layout layout) {
        Map<String, String> m = new LinkedHashMap<>();
        Sections.Builder b = Sections.builder();
        m.put(STEP, "share");
        m.put("secagg.round", Integer.toString(d.round()));
        m.put("secagg.t", Integer.toString(d.threshold()));
        m.put("secagg.layout", layout.encode());
        m.put("secagg.count", Integer.toString(d.sites().size()));
        for (int i = 0; i < d.sites().size(); i++) {
            SecAgg.Keys k = d.sites().get(i);
            String p = "secagg.site." + i + ".";
            m.put(p + "name", k.site());
            m.put(p + "weight", Double.toString(k.weight()));
            b.bytes(i + ".enc", k.encryptionKey()).bytes(i + ".mask", k.maskKey()).bytes(i + ".bits", k.shared().toByteArray());
        }
        return new Message(null, null, m, b.build());
    }

    public static Layout layout(Message request) {
        return Layout.decode(entry(request, "secagg.layout"));
    }

    public static SecAgg.Directory directory(Message request) {
        Map<String, String> m = request.meta();
        Sections x = request.sections();
        int n = Integer.parseInt(entry(request, "secagg.count"));
        Layout layout = layout(request);
        List<SecAgg.Keys> sites = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String p = "secagg.site." + i + ".";
            sites.add(new SecAgg.Keys(entry(request, p + "name"), section(x, i + ".enc"), section(x, i + ".mask"), BitSet.valueOf(section(x, i + ".bits")),
                    Double.parseDouble(entry(request, p + "weight"))));
        }
        return new SecAgg.Directory(Integer.parseInt(entry(request, "secagg.round")), layout.length(), Integer.parseInt(entry(request, "secagg.t")), sites);
    }

    public static Message shareReply(Map<String, byte[]> sealed) {
        Sections.Builder b = Sections.builder();
        sealed.forEach((to, ct) -> b.bytes("share." + to, ct));
        return new Message(null, null, null, b.build());
    }

    public static Map<String, byte[]> shares(Message reply) {
        return reply.sections().bytesWithPrefix("share.");
    }

    // ---------------------------------------------------------------- step "mask"

    /** The shares addressed to a site, and how many ring elements its masked vector must hold. */
    public static Message maskRequest(Map<String, byte[]> inbox, int values) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(STEP, "mask");
        m.put(VALUES, Integer.toString(values));
        Sections.Builder b = Sections.builder();
        inbox.forEach((from, ct) -> b.bytes("inbox." + from, ct));
        return new Message(null, null, m, b.build());
    }

    public static Map<String, byte[]> inbox(Message request) {
        return request.sections().bytesWithPrefix("inbox.");
    }

    /** The number of ring elements a mask request asks for. */
    public static int values(Message request) {
        return Integer.parseInt(entry(request, VALUES));
    }

    public static Message maskedReply(long[] values) {
        return new Message(null, null, null, Sections.builder().uint64("masked", values).build());
    }

    public static long[] masked(Message reply) {
        long[] v = reply.sections().uint64("masked");
        if (v == null) {
            throw new SecAggException("the answer to the mask step carries no masked vector (section 'masked', uint64)");
        }
        return v;
    }

    // ---------------------------------------------------------------- step "unmask"

    public static Message unmaskRequest(SecAgg.UnmaskRequest r) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(STEP, "unmask");
        m.put("secagg.survivors", String.join("\n", r.survivors()));
        m.put("secagg.dropped", String.join("\n", r.dropped()));
        return new Message(null, null, m);
    }

    public static SecAgg.UnmaskRequest unmask(Message request, Map<String, byte[]> inbox) {
        return new SecAgg.UnmaskRequest(list(request.meta().get("secagg.survivors")), list(request.meta().get("secagg.dropped")), inbox);
    }

    public static Message revealReply(SecAgg.Reveal r) {
        Sections.Builder b = Sections.builder();
        r.selfMaskShares().forEach((s, v) -> b.bytes("self." + s, Shamir.encode(v)));
        r.maskKeyShares().forEach((s, v) -> b.bytes("key." + s, Shamir.encode(v)));
        return new Message(null, null, null, b.build());
    }

    public static SecAgg.Reveal reveal(String site, Message reply) {
        Map<String, BigInteger> self = new LinkedHashMap<>();
        Map<String, BigInteger> key = new LinkedHashMap<>();
        reply.sections().bytesWithPrefix("self.").forEach((s, v) -> self.put(s, share(site, s, v)));
        reply.sections().bytesWithPrefix("key.").forEach((s, v) -> key.put(s, share(site, s, v)));
        return new SecAgg.Reveal(site, self, key);
    }

    private static BigInteger share(String from, String of, byte[] v) {
        if (v.length != Shamir.SHARE_BYTES) {
            throw new SecAggException(from + " revealed a share of " + of + " of " + v.length + " bytes, not " + Shamir.SHARE_BYTES);
        }
        return Shamir.decode(v, 0);
    }

    // ---------------------------------------------------------------- what an answer may weigh

    /**
     * The most bytes the answer to the exchange {@code request} may carry (its sections' encoding), computed from the
     * request alone, so that a network transport refuses anything larger before it keeps a byte: for "share" one
     * sealed bundle per site of the directory, for "mask" exactly 8 bytes per element the addressed site declared
     * shared in its FIT mask, for "unmask" one share per site named in the request; 0 for anything else.
     */
    public static long answerBound(Message request) {
        String step = step(request);
        if (step == null) {
            return 0;
        }
        long n = Sections.HEADER_BYTES;
        switch (step) {
            case "share" -> {
                int k = Integer.parseInt(entry(request, "secagg.count"));
                for (int i = 0; i < k; i++) {
                    n += Sections.entrySize(utf8("share." + entry(request, "secagg.site." + i + ".name")), Sections.Type.BYTES, SEALED_BYTES);
                }
            }
            case "mask" -> n += Sections.entrySize(utf8("masked"), Sections.Type.UINT64, values(request));
            case "unmask" -> {
                for (String s : concat(list(request.meta().get("secagg.survivors")), list(request.meta().get("secagg.dropped")))) {
                    n += Sections.entrySize(utf8("self." + s), Sections.Type.BYTES, Shamir.SHARE_BYTES); // "key." is shorter
                }
            }
            default -> {
                return 0;
            }
        }
        return n;
    }

    private static int utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static String entry(Message m, String key) {
        String v = m.meta().get(key);
        if (v == null) {
            throw new SecAggException("a secure-aggregation message lacks its entry '" + key + "'");
        }
        return v;
    }

    private static byte[] section(Sections x, String name) {
        byte[] v = x.bytes(name);
        if (v == null) {
            throw new SecAggException("a secure-aggregation message lacks its section '" + name + "'");
        }
        return v;
    }

    public static String step(Message request) {
        return request.meta().get(STEP);
    }

    private static List<String> list(String s) {
        return s == null || s.isEmpty() ? List.of() : List.of(s.split("\n"));
    }

}
