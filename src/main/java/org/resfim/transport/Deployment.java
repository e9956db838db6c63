package org.resfim.transport;

import com.fasterxml.jackson.databind.SerializationFeature;
import org.resfim.data.FederationConfig;
import org.resfim.data.FederationData;
import org.resfim.data.SiteConfig;
import org.resfim.data.SiteDataset;
import org.resfim.run.RunDirectory;
import org.resfim.run.RunPlan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.resfim.state.Jackson;

/** What the server and the sites of one deployment must agree on, and where each finds its part. */
public final class Deployment {
    /** Keys of the data section that name local places: each hospital has its own. */
    private static final Set<String> LOCAL_KEYS = Set.of("root", "folder", "path", "dir", "manifest");

    private Deployment() {
    }

    /** Site names of a configuration, in the federation's order, without loading any data. */
    public static List<String> siteNames(FederationConfig config) {
        List<String> out = new ArrayList<>();
        if (config.isSynthetic()) {
            for (int k = 0; k < config.synthetic().sites(); k++) {
                out.add("synthetic-" + (k + 1)); // as SyntheticSites names them
            }
        } else {
            for (SiteConfig s : config.sites()) {
                out.add(s.name());
            }
        }
        return out;
    }

    /** The image height and width a site process trains at ({@link #loadSite}). */
    public static int[] siteImageSize(FederationConfig config) {
        return new int[] {config.imageHeight(), config.imageHeight()};
    }

    /** Loads only {@code site}'s data at {@code seed} (the synthetic federation is generated whole, it is small). */
    public static SiteDataset loadSite(FederationConfig config, String site, long seed) {
        int[] size = siteImageSize(config);
        FederationConfig c = config.withSeed(seed).withImageSize(size[0], size[1]);
        if (c.isSynthetic()) {
            for (SiteDataset d : FederationData.load(c)) {
                if (d.name().equals(site)) {
                    return d;
                }
            }
        } else {
            for (SiteConfig sc : c.sites()) {
                if (sc.name().equals(site)) {
                    return FederationData.loadSite(c, sc, c.manifest() == null ? null : org.resfim.data.SplitManifest.read(c.manifest()));
                }
            }
        }
        throw new IllegalArgumentException("site '" + site + "' is not in the configuration (sites: " + siteNames(config) + ")");
    }

    /**
     * SHA-256 of every setting that must be equal at the server and all sites for the run to be the run the
     * configuration describes: the settings {@code config.resolved.json} records, under the same configuration keys
     * (methods, their parameters and ResFIM's defaults for them, seeds, federation, training, evaluation, model,
     * image size, the data section) — without what is local to each party (the configuration file's path and the
     * data section's paths) — plus the channels and the site names.
     */
    public static String planSha256(RunPlan plan) {
        Map<String, Object> m = new TreeMap<>(RunDirectory.resolvedConfig(plan));
        m.remove("source");
        m.put("data", withoutLocal(plan.data().raw().get("data")));
        m.put("channels", plan.data().channels());
        m.put("sites", siteNames(plan.data()));
        try {
            byte[] json = Jackson.MAPPER.writer().with(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).writeValueAsBytes(m);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object withoutLocal(Object o) {
        if (o instanceof Map<?, ?> map) {
            Map<String, Object> out = new TreeMap<>();
            map.forEach((k, v) -> {
                if (!LOCAL_KEYS.contains(String.valueOf(k))) {
                    out.put(String.valueOf(k), withoutLocal(v));
                }
            });
            return out;
        }
        if (o instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(withoutLocal(x)));
            return out;
        }
        return o == null ? null : String.valueOf(o);
    }
}
