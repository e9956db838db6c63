package org.resfim.federation;

import org.resfim.config.ConfigException;
import org.resfim.config.ConfigKey;
import org.resfim.config.Origin;
import org.resfim.config.Section;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Round structure: T rounds, the fraction of sites sampled per round, the minimum that must answer. */
public record FederationSettings(int rounds, double sampleFraction, int minSites, boolean offloadSites) {
    public static final List<ConfigKey> KEYS = List.of(
            new ConfigKey("federation", "rounds", 20, "number of communication rounds T"),
            new ConfigKey("federation", "sample_fraction", 1.0, "fraction of sites that train in each round (at least one)"),
            new ConfigKey("federation", "min_sites", 1, "a round with fewer answering sites is not aggregated"),
            new ConfigKey("federation", "offload_sites", false, "simulation: keep each site's state on disk between rounds (many sites in little memory; same results)"));

    public FederationSettings(int rounds, double sampleFraction, int minSites) {
        this(rounds, sampleFraction, minSites, false);
    }

    public static FederationSettings from(Map<String, Object> section) {
        return from(section, Origin.NONE);
    }

    /** The {@code federation:} section; errors name {@code origin}'s file, or the option that set a key. */
    public static FederationSettings from(Map<String, Object> section, Origin origin) {
        Section s = new Section("federation", section, KEYS, origin);
        return new FederationSettings(s.getInt("rounds", 1, 100000), s.getDouble("sample_fraction", 0, 1, false, true),
                s.getInt("min_sites", 1, 100000), s.getBoolean("offload_sites"));
    }

    /** The settings under their configuration keys, as a configuration file writes them. */
    public Map<String, Object> toConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rounds", rounds);
        m.put("sample_fraction", sampleFraction);
        m.put("min_sites", minSites);
        m.put("offload_sites", offloadSites);
        return m;
    }

    public FederationSettings withRounds(int t) {
        return new FederationSettings(t, sampleFraction, minSites, offloadSites);
    }

    /** Checks the settings against the number of sites; names the key at fault. */
    public void validate(int sites) {
        if (minSites > sites) {
            throw new ConfigException("federation.min_sites = " + minSites + " but the federation has only " + sites + " sites");
        }
        int sampled = sampledPerRound(sites);
        if (sampled < minSites) {
            throw new ConfigException("federation.sample_fraction = " + sampleFraction + " samples " + sampled + " of " + sites
                    + " sites per round, fewer than federation.min_sites = " + minSites);
        }
    }

    public int sampledPerRound(int sites) {
        return Math.max(1, (int) Math.round(sampleFraction * sites));
    }
}
