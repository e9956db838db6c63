package org.resfim.federation.secagg;

import org.resfim.federation.Message;
import org.resfim.privacy.PrivacySettings;
import org.resfim.privacy.secagg.FixedPoint;
import org.resfim.privacy.secagg.SecAgg;
import org.resfim.privacy.secagg.SecAggClient;
import org.resfim.privacy.secagg.SecAggException;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.security.SecureRandom;
import java.util.BitSet;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * A site's part in secure aggregation, between its algorithm's upload and the transport: at FIT the upload stays at
 * the site and only its mask (which elements it shares: metadata) and two fresh public keys leave; the values follow
 * masked in the exchange steps ({@link SecAggWire}): share, mask, unmask. In {@code privacy.dp.mode = distributed}
 * each shared element gets noise σ·C/√k here, k the number of sites sharing it this round.
 */
public final class SecAggSite {
    private final String site;
    private int round = -1;
    private ModelState pending;
    private Mask pendingMask;
    private SecAggClient client;
    private SecAgg.Directory directory;
    private SecAggWire.Layout layout;
    private Map<String, byte[]> inbox;

    public SecAggSite(String site) {
        this.site = site;
    }

    /**
     * Keeps {@code upload} (shared values, personal ones as sent; tensors it lacks count as personal) and returns what
     * the FIT reply carries instead: no values, the full mask over {@code layout}, and the public keys.
     */
    public Message fit(int round, Message upload, ModelState layout) {
        this.round = round;
        this.pending = upload.tensors();
        Mask full = Mask.wholeTensors(layout, t -> !upload.tensors().contains(t.name()));
        if (upload.mask() != null) {
            for (String name : upload.mask().names()) {
                full.setBits(name, upload.mask().bits(name));
            }
        }
        this.pendingMask = full;
        this.client = new SecAggClient(site, round, new SecureRandom());
        SecAgg.Keys k = client.advertise(new BitSet(), 1);
        return new Message(null, full, SecAggWire.keys(k.encryptionKey(), k.maskKey()));
    }

    /** The upload bytes of the masked vector this site will send (8 per shared element) and its mask. */
    public long maskedBytes() {
        long shared = pendingMask.numElements() - pendingMask.total();
        return 8 * shared + (pendingMask.numElements() + 7) / 8;
    }

    /** Answers one exchange step of round {@code r}. */
    public Message exchange(int r, Message request, PrivacySettings p, RandomGenerator noise) {
        if (r != round || client == null) {
            throw new SecAggException(site + " holds no upload of round " + r + " to aggregate securely");
        }
        String step = SecAggWire.step(request);
        switch (step == null ? "" : step) {
            case "share" -> {
                directory = SecAggWire.directory(request);
                layout = SecAggWire.layout(request);
                int me = directory.index(site);
                if (me < 0) {
                    throw new SecAggException(site + " is not in the directory of round " + r);
                }
                BitSet mine = bitset();
                if (!mine.equals(directory.sites().get(me).shared())) {
                    throw new SecAggException("the coordinator's directory gives " + site + " another bitset than the one it sent");
                }
                client.advertise(mine, directory.sites().get(me).weight());
                return SecAggWire.shareReply(client.shareKeys(directory));
            }
            case "mask" -> {
                inbox = SecAggWire.inbox(request);
                FixedPoint fp = new FixedPoint(p.ringBits(), p.ringRange());
                double weight = directory.sites().get(directory.index(site)).weight();
                int[] sharers = p.mode() == PrivacySettings.Mode.DISTRIBUTED ? directory.sharers() : null;
                BitSet mine = bitset();
                if (SecAggWire.values(request) != mine.cardinality()) {
                    throw new SecAggException("the coordinator asks " + site + " for " + SecAggWire.values(request) + " masked values; its mask shares "
                            + mine.cardinality() + " elements");
                }
                long[] v = new long[mine.cardinality()];
                double[] flat = values();
                int i = 0;
                for (int e = mine.nextSetBit(0); e >= 0; e = mine.nextSetBit(e + 1)) {
                    double x = weight * flat[e];
                    if (sharers != null && p.noiseStd() > 0) {
                        x += p.noiseStd() / Math.sqrt(sharers[e]) * noise.nextGaussian();
                    }
                    v[i++] = fp.encode(x);
                }
                return SecAggWire.maskedReply(client.mask(inbox, v).values());
            }
            case "unmask" -> {
                SecAgg.Reveal rev = client.unmask(SecAggWire.unmask(request, inbox));
                client = null;
                pending = null;
                return SecAggWire.revealReply(rev);
            }
            default -> throw new SecAggException("unknown secure-aggregation step '" + step + "'");
        }
    }

    /** The shared elements in the coordinator's layout order. */
    private BitSet bitset() {
        BitSet b = new BitSet(layout.length());
        int off = 0;
        for (int t = 0; t < layout.names().size(); t++) {
            String name = layout.names().get(t);
            int size = layout.sizes().get(t);
            if (!pendingMask.contains(name) || pendingMask.size(name) != size) {
                throw new SecAggException("the coordinator's layout names tensor '" + name + "' of " + size + " elements, which " + site + " does not have");
            }
            BitSet personal = pendingMask.bits(name);
            for (int i = 0; i < size; i++) {
                if (!personal.get(i)) {
                    b.set(off + i);
                }
            }
            off += size;
        }
        return b;
    }

    private double[] values() {
        double[] v = new double[layout.length()];
        int off = 0;
        for (int t = 0; t < layout.names().size(); t++) {
            Tensor x = pending.contains(layout.names().get(t)) ? pending.get(layout.names().get(t)) : null;
            if (x != null) {
                float[] d = x.data();
                for (int i = 0; i < d.length; i++) {
                    v[off + i] = d[i];
                }
            }
            off += layout.sizes().get(t);
        }
        return v;
    }
}
