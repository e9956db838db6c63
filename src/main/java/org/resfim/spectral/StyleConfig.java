package org.resfim.spectral;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.resfim.config.ConfigKey;
import org.resfim.config.Spelled;

/**
 * The style-bank and spectral-transfer options of METHOD.md (config keys {@code style.*}).
 *
 * @param beta    {@code style.beta}: window half-size b = max(1, floor(β·min(H,W))); in (0, 0.5] [0.03]
 * @param share   {@code style.share}: what leaves a site, {@code site-mean} or {@code per-image} [site-mean]
 * @param m       {@code style.m}: windows per site in {@code per-image} mode; ≥ 1 [8]
 * @param sigma   {@code style.sigma}: relative Gaussian noise on the shared windows, each amplitude multiplied
 *                by {@code max(0, 1 + σ·z)}, z ~ N(0,1); ≥ 0 [0]
 * @param lambda  {@code style.lambda}: interpolation towards the foreign amplitude for the foreign Fisher;
 *                in [0, 1] [1.0]
 * @param augment {@code style.augment}: FedDG-style augmentation of local training [off]
 * @param p       {@code style.p}: probability that a training image is re-rendered when augmenting; in [0, 1] [0.5]
 */
public record StyleConfig(double beta, Share share, int m, double sigma, double lambda, boolean augment, double p) {

    /** What a site shares. */
    public enum Share implements Spelled {
        /** One window: the mean of the site's per-image windows. */
        SITE_MEAN("site-mean"),
        /** Up to M windows of randomly chosen images. */
        PER_IMAGE("per-image");

        private final String key;

        Share(String key) {
            this.key = key;
        }

        /** The config spelling, e.g. {@code site-mean}. */
        @Override
        public String key() {
            return key;
        }

        /** Parses the config spelling; the message names {@code style.share} and the accepted values. */
        public static Share parse(String value) {
            return Spelled.parse(Share.class, "style.share", value);
        }
    }

    /** The keys of the {@code style} section, each declared once: name, default and meaning (parsed by {@link #fromMap}). */
    public static final List<ConfigKey> KEYS = List.of(
            new ConfigKey("style", "beta", 0.03, "low-frequency window half-size b = floor(β·min(H,W)), b ≥ 1"),
            new ConfigKey("style", "share", "site-mean", "what leaves a site: site-mean (one mean window) or per-image (up to M windows)"),
            new ConfigKey("style", "m", 8, "windows per site in per-image mode (M)"),
            new ConfigKey("style", "sigma", 0.0, "relative Gaussian noise on shared windows (privacy)"),
            new ConfigKey("style", "lambda", 1.0, "interpolation λ toward the foreign amplitude in the Fisher estimate"),
            new ConfigKey("style", "augment", "off", "FedDG-style augmentation: re-render training images in a random other site's style"),
            new ConfigKey("style", "p", 0.5, "probability of style augmentation per training image"));

    private static final StyleConfig DEFAULTS = fromMap(Map.of());

    public StyleConfig {
        if (!(beta > 0 && beta <= 0.5)) {
            throw new IllegalArgumentException("style.beta must be in (0, 0.5], got " + beta);
        }
        if (share == null) {
            throw new IllegalArgumentException("style.share must be site-mean or per-image, got null");
        }
        if (m < 1) {
            throw new IllegalArgumentException("style.m must be >= 1, got " + m);
        }
        if (!(sigma >= 0 && Double.isFinite(sigma))) {
            throw new IllegalArgumentException("style.sigma must be a finite number >= 0, got " + sigma);
        }
        if (!(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException("style.lambda must be in [0, 1], got " + lambda);
        }
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("style.p must be in [0, 1], got " + p);
        }
    }

    /** The METHOD.md defaults: β 0.03, site-mean, M 8, σ 0, λ 1, augment off, p 0.5. */
    public static StyleConfig defaults() {
        return DEFAULTS;
    }

    /**
     * The defaults overridden by {@code values}, keyed {@code beta, share, m, sigma, lambda, augment, p} (a
     * {@code style.} prefix is accepted). Values may be numbers, booleans or strings ({@code augment}: on/off,
     * true/false). Unknown keys and unparsable values are refused with the key named.
     */
    public static StyleConfig fromMap(Map<String, ?> values) {
        Map<String, Object> v = new LinkedHashMap<>();
        KEYS.forEach(k -> v.put(k.name(), k.defaultValue()));
        for (Map.Entry<String, ?> e : values.entrySet()) {
            String key = e.getKey().startsWith("style.") ? e.getKey().substring(6) : e.getKey();
            if (!v.containsKey(key)) {
                throw new IllegalArgumentException("unknown key 'style." + key + "'; known: "
                        + String.join(", ", KEYS.stream().map(ConfigKey::fullName).toList()));
            }
            v.put(key, e.getValue());
        }
        return new StyleConfig(number("beta", v.get("beta")), Share.parse(String.valueOf(v.get("share"))), integer("m", v.get("m")),
                number("sigma", v.get("sigma")), number("lambda", v.get("lambda")), flag("augment", v.get("augment")),
                number("p", v.get("p")));
    }

    /**
     * The style of an algorithm's parameters: its {@code style.*} keys, or the same keys without the prefix; other
     * parameters are ignored.
     */
    public static StyleConfig fromParameters(Map<String, ?> params) {
        Map<String, Object> style = new LinkedHashMap<>();
        params.forEach((k, value) -> {
            String key = k.startsWith("style.") ? k.substring(6) : k;
            if (KEYS.stream().anyMatch(c -> c.name().equals(key))) {
                style.put(key, value);
            }
        });
        return fromMap(style);
    }

    /** The configuration as {@code style.*} key → value, for provenance. */
    public Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("style.beta", beta);
        out.put("style.share", share.key());
        out.put("style.m", m);
        out.put("style.sigma", sigma);
        out.put("style.lambda", lambda);
        out.put("style.augment", augment ? "on" : "off");
        out.put("style.p", p);
        return out;
    }

    static double number(String key, Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(String.valueOf(v).trim());
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("style." + key + " must be a number, got '" + v + "'");
        }
    }

    private static int integer(String key, Object v) {
        double d = number(key, v);
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("style." + key + " must be an integer, got '" + v + "'");
        }
        return (int) d;
    }

    private static boolean flag(String key, Object v) {
        if (v instanceof Boolean b) {
            return b;
        }
        return switch (String.valueOf(v).trim().toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw new IllegalArgumentException("style." + key + " must be on or off, got '" + v + "'");
        };
    }
}
