package org.resfim.privacy.secagg;

import org.resfim.federation.Message;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The secure-aggregation messages as {@link Message} metadata (string entries, binary values in Base64), so that the
 * same objects cross the in-process transport and a network one. Entries start with {@code secagg.}.
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

    public static Message shareRequest(SecAgg.Directory d, Layout layout) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(STEP, "share");
        m.put("secagg.round", Integer.toString(d.round()));
        m.put("secagg.t", Integer.toString(d.threshold()));
        m.put("secagg.layout", layout.encode());
        m.put("secagg.count", Integer.toString(d.sites().size()));
        for (int i = 0; i < d.sites().size(); i++) {
            SecAgg.Keys k = d.sites().get(i);
            String p = "secagg.site." + i + ".";
            m.put(p + "name", k.site());
            m.put(p + "enc", b64(k.encryptionKey()));
            m.put(p + "mask", b64(k.maskKey()));
            m.put(p + "bits", b64(k.shared().toByteArray()));
            m.put(p + "weight", Double.toString(k.weight()));
        }
        return new Message(null, null, m);
    }

    public static Layout layout(Message request) {
        return Layout.decode(request.meta().get("secagg.layout"));
    }

    public static SecAgg.Directory directory(Message request) {
        Map<String, String> m = request.meta();
        int n = Integer.parseInt(m.get("secagg.count"));
        Layout layout = layout(request);
        List<SecAgg.Keys> sites = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String p = "secagg.site." + i + ".";
            sites.add(new SecAgg.Keys(m.get(p + "name"), unb64(m.get(p + "enc")), unb64(m.get(p + "mask")), BitSet.valueOf(unb64(m.get(p + "bits"))),
                    Double.parseDouble(m.get(p + "weight"))));
        }
        return new SecAgg.Directory(Integer.parseInt(m.get("secagg.round")), layout.length(), Integer.parseInt(m.get("secagg.t")), sites);
    }

    public static Message shareReply(Map<String, byte[]> sealed) {
        Map<String, String> m = new LinkedHashMap<>();
        sealed.forEach((to, ct) -> m.put("secagg.share." + to, b64(ct)));
        return new Message(null, null, m);
    }

    public static Map<String, byte[]> shares(Message reply) {
        return prefixed(reply.meta(), "secagg.share.");
    }

    // ---------------------------------------------------------------- step "mask"

    public static Message maskRequest(Map<String, byte[]> inbox) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(STEP, "mask");
        inbox.forEach((from, ct) -> m.put("secagg.inbox." + from, b64(ct)));
        return new Message(null, null, m);
    }

    public static Map<String, byte[]> inbox(Message request) {
        return prefixed(request.meta(), "secagg.inbox.");
    }

    public static Message maskedReply(long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return new Message(null, null, Map.of("secagg.masked", b64(b.array())));
    }

    public static long[] masked(Message reply) {
        byte[] raw = unb64(reply.meta().get("secagg.masked"));
        if (raw.length % 8 != 0) {
            throw new SecAggException("a masked vector of " + raw.length + " bytes is not a whole number of ring elements");
        }
        long[] v = new long[raw.length / 8];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(v);
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
        Map<String, String> m = new LinkedHashMap<>();
        r.selfMaskShares().forEach((s, v) -> m.put("secagg.self." + s, b64(v.toByteArray())));
        r.maskKeyShares().forEach((s, v) -> m.put("secagg.key." + s, b64(v.toByteArray())));
        return new Message(null, null, m);
    }

    public static SecAgg.Reveal reveal(String site, Message reply) {
        Map<String, BigInteger> self = new LinkedHashMap<>();
        Map<String, BigInteger> key = new LinkedHashMap<>();
        prefixed(reply.meta(), "secagg.self.").forEach((s, v) -> self.put(s, new BigInteger(v)));
        prefixed(reply.meta(), "secagg.key.").forEach((s, v) -> key.put(s, new BigInteger(v)));
        return new SecAgg.Reveal(site, self, key);
    }

    public static String step(Message request) {
        return request.meta().get(STEP);
    }

    private static List<String> list(String s) {
        return s == null || s.isEmpty() ? List.of() : List.of(s.split("\n"));
    }

    private static Map<String, byte[]> prefixed(Map<String, String> meta, String prefix) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        meta.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), unb64(v));
            }
        });
        return out;
    }
}
