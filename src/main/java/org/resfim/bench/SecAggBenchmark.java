package org.resfim.bench;

import org.resfim.federation.Message;
import org.resfim.federation.secagg.SecAggSite;
import org.resfim.federation.secagg.SecAggWire;
import org.resfim.federation.secagg.SecureRound;
import org.resfim.privacy.PrivacySettings;
import org.resfim.privacy.secagg.SecAgg;
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

/**
 * The cost of one secure-aggregation round against the plain upload ({@code resfim bench secagg}): K sites each
 * sharing a random fraction of N elements run the whole protocol in this JVM, one after another, through the same
 * {@link SecAggSite} and {@link SecureRound} code as a run.
 */
public final class SecAggBenchmark {
    /**
     * @param siteSeconds    the sites' protocol work per site (keys, shares, masks), mean
     * @param serverSeconds  the coordinator's work (routing, unmasking, mask removal)
     * @param roundSeconds   the whole round, every site and the coordinator, sequentially
     * @param bytesPerSite   what one site sends under secure aggregation (keys, mask, shares, masked vector, reveal)
     * @param plainPerSite   what it sends without (4 bytes per shared value and the mask)
     */
    public record Result(int sites, int elements, double shared, double siteSeconds, double serverSeconds, double roundSeconds,
                         long bytesPerSite, long plainPerSite) {
    }

    private SecAggBenchmark() {
    }

    public static Result run(int sites, int elements, double sharedFraction, long seed) {
        ModelState layout = new ModelState();
        layout.put(new Tensor("w", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[]{elements}, new float[elements]));
        PrivacySettings p = new PrivacySettings(PrivacySettings.Mode.OFF, 0, 0, 1e-5, false, 1, 0, 0, true, 0, 24, 1024);
        Map<String, SecAggSite> parts = new LinkedHashMap<>();
        List<SecAgg.Keys> keys = new ArrayList<>();
        long plain = 0;
        long[] bytes = new long[1];
        double[] siteNanos = new double[1];
        long start = System.nanoTime();
        for (int k = 0; k < sites; k++) {
            Random r = new Random(seed + k);
            float[] v = new float[elements];
            Mask m = Mask.allInvariant(layout);
            java.util.BitSet personal = new java.util.BitSet(elements);
            for (int i = 0; i < elements; i++) {
                v[i] = (float) r.nextGaussian();
                personal.set(i, r.nextDouble() >= sharedFraction);
            }
            m.setBits("w", personal);
            ModelState s = new ModelState();
            s.put(layout.get("w").withData(v));
            Message up = new Message(StateOps.invariantOnly(s, m), m, null);
            plain += up.payloadBytes();
            String name = "site-" + k;
            SecAggSite part = new SecAggSite(name);
            long t0 = System.nanoTime();
            Message fit = part.fit(1, up, layout);
            siteNanos[0] += System.nanoTime() - t0;
            bytes[0] += (elements + 7) / 8 + fit.meta().values().stream().mapToLong(String::length).sum();
            parts.put(name, part);
            java.util.BitSet shared = new java.util.BitSet(elements);
            shared.set(0, elements);
            shared.andNot(personal);
            byte[][] kk = SecAggWire.readKeys(fit.meta());
            keys.add(new SecAgg.Keys(name, kk[0], kk[1], shared, (k + 1.0) / sites));
        }
        SecureRound.Result res = SecureRound.run(1, new SecAggWire.Layout(List.of("w"), List.of(elements)), keys, p.threshold(sites), (site, m) -> {
            long t0 = System.nanoTime();
            Message reply = parts.get(site).exchange(1, m, p, new SplittableRandom(0));
            siteNanos[0] += System.nanoTime() - t0;
            return reply;
        });
        double round = (System.nanoTime() - start) / 1e9;
        bytes[0] += res.bytes();
        double site = siteNanos[0] / 1e9 / sites;
        return new Result(sites, elements, sharedFraction, site, round - site * sites, round, bytes[0] / sites, plain / sites);
    }
}
