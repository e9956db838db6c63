package org.resfim.privacy;

import com.fasterxml.jackson.annotation.JsonIgnore;
import org.resfim.config.ConfigException;
import org.resfim.config.ConfigKey;
import org.resfim.config.Origin;
import org.resfim.config.Section;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code privacy:} section: differential privacy at site level on every upload that is a state delta.
 *
 * <p>Each site clips its update (the change of the elements it shares since it received them, L2 over those
 * elements) to {@code clip} = C. {@link Mode#LOCAL}: the site adds Gaussian noise σ·C to every shared element before
 * the upload leaves it (protects against the coordinator). {@link Mode#CENTRAL}: the coordinator adds σ·C to the sum
 * of the clipped, weighted updates (needs a trusted coordinator: it sees every clipped update in the clear).
 *
 * @param mode            off, local or central
 * @param clip            C; 0 = clipping off (allowed only with σ = 0)
 * @param noiseMultiplier σ (noise standard deviation σ·C)
 * @param delta           the δ at which ε is reported
 * @param secureNoise     noise from {@link java.security.SecureRandom} instead of the run's seeded streams
 * @param samplingRate    the probability that a site trains in a round ({@code federation.sample_fraction}): the
 *                        accountant's q in central mode
 * @param styleClip       {@code privacy.style.clip}: each shared style window's L2 norm is scaled down to it (0 = off)
 * @param styleNoise      {@code privacy.style.noise_multiplier}: Gaussian noise σ_s·C_s on every amplitude of a window
 * @param secagg          {@code privacy.secagg}: uploads through secure aggregation ({@link org.resfim.privacy.secagg})
 * @param threshold       {@code privacy.secagg_threshold}: t of the Shamir sharing; 0 = a majority of the round's sites
 * @param ringBits        {@code privacy.secagg_bits}: fractional bits of the fixed-point encoding
 * @param ringRange       {@code privacy.secagg_range}: every weighted value is clipped to ± this before encoding
 */
public record PrivacySettings(Mode mode, double clip, double noiseMultiplier, double delta, boolean secureNoise,
                              @JsonIgnore double samplingRate, double styleClip, double styleNoise, boolean secagg, int threshold,
                              int ringBits, double ringRange) {
    /** Where the Gaussian noise is added. */
    public enum Mode {
        OFF, LOCAL, CENTRAL, DISTRIBUTED;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final PrivacySettings OFF = new PrivacySettings(Mode.OFF, 0, 0, 1e-5, false, 1, 0, 0, false, 0, 24, 1024);

    public PrivacySettings(Mode mode, double clip, double noiseMultiplier, double delta, boolean secureNoise, double samplingRate,
                           double styleClip, double styleNoise) {
        this(mode, clip, noiseMultiplier, delta, secureNoise, samplingRate, styleClip, styleNoise, false, 0, 24, 1024);
    }

    public static final List<ConfigKey> TOP_KEYS = List.of(
            new ConfigKey("privacy", "dp", "{}", "differential privacy at site level: the keys privacy.dp.*"),
            new ConfigKey("privacy", "style", "{}", "the Gaussian mechanism on pFL-ResFIM's shared style windows: the keys privacy.style.*"),
            new ConfigKey("privacy", "secagg", false, "secure aggregation (SecAgg for element-wise partial sharing): the coordinator sees only"
                    + " masked vectors and learns, per element, only the sum over the sites that share it; the bitsets and sample counts stay"
                    + " visible (metadata); needs federation.aggregator mean"),
            new ConfigKey("privacy", "secagg_threshold", 0, "t: a round completes while at least t of its sites answer each step (dropouts"
                    + " after masking are recovered from Shamir shares); 0 = a majority (floor(K/2) + 1)"),
            new ConfigKey("privacy", "secagg_bits", 24, "fractional bits of the fixed-point encoding into the ring Z_2^64 (each summed term"
                    + " is within 2^-(bits+1) of its value)"),
            new ConfigKey("privacy", "secagg_range", 1024.0, "every weighted value a site sends is clipped to +- this before encoding"));
    public static final List<ConfigKey> STYLE_KEYS = List.of(
            new ConfigKey("privacy.style", "clip", 0.0, "C_s: each style window a site shares at SETUP (its low-frequency amplitudes) is"
                    + " scaled down to this L2 norm; 0 = off"),
            new ConfigKey("privacy.style", "noise_multiplier", 0.0, "sigma_s: Gaussian noise sigma_s*C_s on every amplitude of a shared window"
                    + " (negative results set to 0); one release per run, its epsilon at privacy.dp.delta reported apart from the updates'"));
    public static final List<ConfigKey> DP_KEYS = List.of(
            new ConfigKey("privacy.dp", "mode", "off", "off, local (each site adds Gaussian noise sigma*clip to its clipped update before"
                    + " it leaves the site: protects against the coordinator), central (the coordinator adds sigma*clip to the sum of the"
                    + " clipped updates: needs a trusted coordinator, which sees every clipped update in the clear) or distributed (with"
                    + " privacy.secagg: each of the k sites sharing an element adds sigma*clip/sqrt(k), so the secure sum carries sigma*clip)"),
            new ConfigKey("privacy.dp", "clip", 1.0, "C: every upload's update (the change of the elements the site shares since it received"
                    + " them) is scaled down to this L2 norm at the site; 0 = no clipping (only with noise_multiplier 0)"),
            new ConfigKey("privacy.dp", "noise_multiplier", 1.0, "sigma: the Gaussian noise has standard deviation sigma*clip per shared element"),
            new ConfigKey("privacy.dp", "delta", 1e-5, "the delta at which the accountant reports epsilon (Renyi DP of the subsampled Gaussian"
                    + " mechanism, sampling rate federation.sample_fraction in central mode)"),
            new ConfigKey("privacy.dp", "noise", "seeded", "seeded (from the run's seed, site and round: a run repeats exactly; for research)"
                    + " or secure (java.security.SecureRandom: required in a real deployment, where anyone who knows the seed could"
                    + " subtract seeded noise)"));

    public PrivacySettings {
        if (mode == null) {
            throw new IllegalArgumentException("privacy.dp.mode is required");
        }
        if (!(clip >= 0 && Double.isFinite(clip))) {
            throw new IllegalArgumentException("privacy.dp.clip must be a finite number >= 0, got " + clip);
        }
        if (!(noiseMultiplier >= 0 && Double.isFinite(noiseMultiplier))) {
            throw new IllegalArgumentException("privacy.dp.noise_multiplier must be a finite number >= 0, got " + noiseMultiplier);
        }
        if (!(delta > 0 && delta < 1)) {
            throw new IllegalArgumentException("privacy.dp.delta must be in (0, 1), got " + delta);
        }
        if (!(samplingRate > 0 && samplingRate <= 1)) {
            throw new IllegalArgumentException("sampling rate must be in (0, 1], got " + samplingRate);
        }
        if (!(styleClip >= 0 && Double.isFinite(styleClip) && styleNoise >= 0 && Double.isFinite(styleNoise))) {
            throw new IllegalArgumentException("privacy.style.clip and noise_multiplier must be finite numbers >= 0");
        }
        if (mode == Mode.DISTRIBUTED && !secagg) {
            throw new ConfigException("privacy.dp.mode = distributed splits the noise among the sites that share an element, which only"
                    + " adds up to sigma*clip inside a secure sum: set privacy.secagg: true (or use mode local or central)");
        }
        new org.resfim.privacy.secagg.FixedPoint(ringBits, ringRange); // checks both
        if (threshold < 0) {
            throw new IllegalArgumentException("privacy.secagg_threshold must be >= 0 (0 = majority), got " + threshold);
        }
    }

    /** The threshold t for a round of {@code sites} sites. */
    public int threshold(int sites) {
        return threshold > 0 ? threshold : sites / 2 + 1;
    }

    /** True when shared style windows go through the Gaussian mechanism. */
    public boolean styleActive() {
        return styleClip > 0;
    }

    /**
     * ε at {@link #delta} of a site's style windows: {@code windows} Gaussian releases, each window any vector of norm
     * at most C_s for one dataset or another (sensitivity 2C_s, noise multiplier σ_s/2); +∞ without noise; NaN when off.
     */
    public double styleEpsilon(int windows) {
        if (!styleActive()) {
            return Double.NaN;
        }
        return windows == 0 ? 0 : styleNoise == 0 ? Double.POSITIVE_INFINITY : RdpAccountant.epsilon(styleNoise / 2, 1, windows, delta);
    }

    /** True when uploads are clipped or noised. */
    public boolean active() {
        return mode != Mode.OFF;
    }

    /** The noise standard deviation σ·C. */
    public double noiseStd() {
        return noiseMultiplier * clip;
    }

    public PrivacySettings withSamplingRate(double q) {
        return new PrivacySettings(mode, clip, noiseMultiplier, delta, secureNoise, q, styleClip, styleNoise, secagg, threshold, ringBits, ringRange);
    }

    /**
     * The {@code privacy:} section of a configuration (absent = off); errors name {@code origin}'s file and the key.
     */
    public static PrivacySettings from(Map<String, Object> section, Origin origin) {
        Section top = new Section("privacy", section, TOP_KEYS, origin);
        Section dp = new Section("privacy.dp", sub(top, section, "dp", "mode, clip, noise_multiplier, delta, noise", origin), DP_KEYS, origin);
        Section style = new Section("privacy.style", sub(top, section, "style", "clip, noise_multiplier", origin), STYLE_KEYS, origin);
        double styleClip = style.getDouble("clip", 0, Double.MAX_VALUE, true, true);
        double styleNoise = style.getDouble("noise_multiplier", 0, 1e6, true, true);
        if (styleClip == 0 && styleNoise > 0) {
            throw origin.badValue("privacy.style", "noise_multiplier", "is " + Section.num(styleNoise) + " but privacy.style.clip is 0: the"
                    + " noise is sigma_s*clip; set a clip norm for the windows");
        }
        Mode mode = Mode.valueOf(dp.getChoice("mode", List.of("off", "local", "central", "distributed")).toUpperCase(Locale.ROOT));
        boolean secagg = top.getBoolean("secagg");
        int threshold = top.getInt("secagg_threshold", 0, 1_000_000);
        int bits = top.getInt("secagg_bits", 0, 52);
        double range = top.getDouble("secagg_range", 0, 1e12, false, true);
        if (mode == Mode.DISTRIBUTED && !secagg) {
            throw origin.badValue("privacy.dp", "mode", "is distributed, which splits the noise among the sites sharing an element and only"
                    + " adds up to sigma*clip inside a secure sum: set privacy.secagg: true (or use mode local or central)");
        }
        if (secagg && new org.resfim.privacy.secagg.FixedPoint(bits, range).capacity() < 2) {
            throw origin.badValue("privacy", "secagg_range", "times 2^secagg_bits leaves no room in the ring Z_2^64 for a sum");
        }
        double clip = dp.getDouble("clip", 0, Double.MAX_VALUE, true, true);
        double sigma = dp.getDouble("noise_multiplier", 0, 1e6, true, true);
        double delta = dp.getDouble("delta", 0, 1, false, false);
        boolean secure = dp.getChoice("noise", List.of("seeded", "secure")).equals("secure");
        if (mode != Mode.OFF && clip == 0 && sigma > 0) {
            throw origin.badValue("privacy.dp", "noise_multiplier", "is " + Section.num(sigma) + " but privacy.dp.clip is 0: the noise is"
                    + " sigma*clip and its privacy rests on the clipping; set a clip norm, or noise_multiplier 0");
        }
        if (mode == Mode.OFF && styleClip == 0 && !secagg) {
            return OFF;
        }
        return new PrivacySettings(mode, clip, sigma, delta, secure, 1, styleClip, styleNoise, secagg, threshold, bits, range);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> sub(Section top, Map<String, Object> section, String key, String keys, Origin origin) {
        Object raw = section == null ? null : section.get(key);
        if (top.has(key) && !(raw instanceof Map)) {
            throw origin.badValue("privacy", key, "must be a mapping of the keys " + keys + "; got '" + raw + "'");
        }
        return raw == null ? Map.of() : (Map<String, Object>) raw;
    }

    /** The settings as the {@code privacy:} section writes them (the resolved configuration). */
    public Map<String, Object> toConfig() {
        Map<String, Object> dp = new LinkedHashMap<>();
        dp.put("mode", mode.key());
        dp.put("clip", clip);
        dp.put("noise_multiplier", noiseMultiplier);
        dp.put("delta", delta);
        dp.put("noise", secureNoise ? "secure" : "seeded");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("dp", dp);
        if (styleActive()) {
            out.put("style", Map.of("clip", styleClip, "noise_multiplier", styleNoise));
        }
        if (secagg) {
            out.put("secagg", true);
            out.put("secagg_threshold", threshold);
            out.put("secagg_bits", ringBits);
            out.put("secagg_range", ringRange);
        }
        return out;
    }

    private static final String META = "privacy.dp.";

    /** The settings as message metadata: the coordinator tells every site at SETUP what it must apply to its uploads. */
    public Map<String, String> toMeta() {
        Map<String, String> m = new LinkedHashMap<>();
        if (!active() && !styleActive() && !secagg) {
            return m;
        }
        m.put(META + "secagg", Boolean.toString(secagg));
        m.put(META + "secagg_threshold", Integer.toString(threshold));
        m.put(META + "secagg_bits", Integer.toString(ringBits));
        m.put(META + "secagg_range", Double.toString(ringRange));
        m.put(META + "mode", mode.key());
        m.put(META + "style_clip", Double.toString(styleClip));
        m.put(META + "style_noise", Double.toString(styleNoise));
        m.put(META + "clip", Double.toString(clip));
        m.put(META + "noise_multiplier", Double.toString(noiseMultiplier));
        m.put(META + "delta", Double.toString(delta));
        m.put(META + "noise", secureNoise ? "secure" : "seeded");
        m.put(META + "sampling_rate", Double.toString(samplingRate));
        return m;
    }

    /** The settings a SETUP request carries ({@link #toMeta()}); off when it carries none. */
    public static PrivacySettings fromMeta(Map<String, String> meta) {
        String mode = meta.get(META + "mode");
        if (mode == null) {
            return OFF;
        }
        try {
            return new PrivacySettings(Mode.valueOf(mode.toUpperCase(Locale.ROOT)), Double.parseDouble(meta.get(META + "clip")),
                    Double.parseDouble(meta.get(META + "noise_multiplier")), Double.parseDouble(meta.get(META + "delta")),
                    "secure".equals(meta.get(META + "noise")), Double.parseDouble(meta.getOrDefault(META + "sampling_rate", "1")),
                    Double.parseDouble(meta.getOrDefault(META + "style_clip", "0")), Double.parseDouble(meta.getOrDefault(META + "style_noise", "0")),
                    Boolean.parseBoolean(meta.get(META + "secagg")), Integer.parseInt(meta.getOrDefault(META + "secagg_threshold", "0")),
                    Integer.parseInt(meta.getOrDefault(META + "secagg_bits", "24")), Double.parseDouble(meta.getOrDefault(META + "secagg_range", "1024")));
        } catch (RuntimeException e) {
            throw new ConfigException("the coordinator's privacy settings cannot be read: " + e.getMessage() + " (" + meta + ")");
        }
    }

    /** One line for logs and reports, e.g. "local DP, C = 1, σ = 1.1, δ = 1e-05". */
    public String describe() {
        String style = styleActive() ? "style windows: C_s = " + Section.num(styleClip) + ", σ_s = " + Section.num(styleNoise) : "";
        if (secagg) {
            style = "secure aggregation (t = " + (threshold > 0 ? Integer.toString(threshold) : "majority") + ", " + ringBits + " fractional bits)"
                    + (style.isEmpty() ? "" : "; " + style);
        }
        if (!active()) {
            return style.isEmpty() ? "no differential privacy" : style;
        }
        return mode.key() + " DP, C = " + Section.num(clip) + ", σ = " + Section.num(noiseMultiplier) + ", δ = " + delta
                + (secureNoise ? ", secure noise" : ", seeded noise") + (style.isEmpty() ? "" : "; " + style);
    }
}
