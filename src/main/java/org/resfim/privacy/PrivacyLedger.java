package org.resfim.privacy;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The coordinator's record of what each site has spent, in (ε, δ) at the configured δ, after every round.
 *
 * <ul>
 *   <li>Local mode: a site's release is its own noised upload, seen by the coordinator whenever it trains, so
 *   nothing is amplified by sampling (q = 1) and the releases compose over the rounds the site uploaded. Its
 *   neighbouring datasets are any two datasets of that site, whose clipped updates can differ by 2C: the noise
 *   multiplier against that sensitivity is σ/2.</li>
 *   <li>Central mode: site-level DP of the noisy weighted sums against adding or removing one site (sensitivity
 *   w̃_k·C, {@link CentralNoise}), so a site of weight w_k has noise multiplier σ·w_max/w_k; every round counts, sampled
 *   or not, with sampling rate q = {@code federation.sample_fraction} (Poisson-sampling analysis).</li>
 * </ul>
 * σ = 0 with clipping is reported as ε = +∞.
 */
public final class PrivacyLedger {
    private static final String META = "privacy.releases.";
    private final Map<String, Long> releases = new LinkedHashMap<>();
    private final Map<String, Double> cache = new LinkedHashMap<>();

    /** Records that {@code site} uploaded in {@code round} with weight {@code weight} and returns its ε after the round. */
    public double record(String site, int round, PrivacySettings p, double weight, double maxWeight) {
        long n = releases.merge(site, 1L, Long::sum);
        return epsilon(p, round, n, weight, maxWeight);
    }

    /**
     * Records an upload the coordinator saw but did not use (refused): in local mode it is a release all the same. Its
     * ε is that of the site's next accepted upload, or of its last one.
     */
    public void recordRefused(String site, PrivacySettings p) {
        if (p.mode() == PrivacySettings.Mode.LOCAL) {
            releases.merge(site, 1L, Long::sum);
        }
    }

    /** The number of uploads of {@code site} so far. */
    public long releases(String site) {
        return releases.getOrDefault(site, 0L);
    }

    /** ε of a site after {@code round} rounds of which it uploaded in {@code releases}. */
    public double epsilon(PrivacySettings p, int round, long releases, double weight, double maxWeight) {
        if (!p.active()) {
            return Double.NaN;
        }
        double sigma;
        double q;
        long steps;
        if (p.mode() == PrivacySettings.Mode.LOCAL) {
            sigma = p.noiseMultiplier() / 2;
            q = 1;
            steps = releases;
        } else {
            sigma = p.noiseMultiplier() * maxWeight / weight;
            q = p.samplingRate();
            steps = round;
        }
        String key = sigma + "/" + q + "/" + steps + "/" + p.delta();
        return cache.computeIfAbsent(key, k -> steps == 0 ? 0 : sigma == 0 ? Double.POSITIVE_INFINITY
                : RdpAccountant.epsilon(sigma, q, steps, p.delta()));
    }

    public void save(Map<String, String> meta) {
        releases.forEach((s, n) -> meta.put(META + s, Long.toString(n)));
    }

    public void restore(Map<String, String> meta) {
        releases.clear();
        meta.forEach((k, v) -> {
            if (k.startsWith(META)) {
                releases.put(k.substring(META.length()), Long.parseLong(v));
            }
        });
    }
}
