package org.resfim.federation;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.resfim.config.ConfigException;
import org.resfim.config.ConfigKey;
import org.resfim.config.Origin;
import org.resfim.config.Section;
import org.resfim.state.Aggregator;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Round structure: T rounds, the fraction of sites sampled per round, the minimum that must answer; and how
 * uploads are combined ({@link Aggregation}: the aggregator, weights, caps and clipping that bound one site's
 * influence).
 */
public record FederationSettings(int rounds, double sampleFraction, int minSites, boolean offloadSites,
                                 @JsonIgnore Aggregation aggregation) {
    public static final List<ConfigKey> KEYS = List.of(
            new ConfigKey("federation", "rounds", 20, "number of communication rounds T"),
            new ConfigKey("federation", "sample_fraction", 1.0, "fraction of sites that train in each round (at least one)"),
            new ConfigKey("federation", "min_sites", 1, "a round with fewer answering sites is not aggregated"),
            new ConfigKey("federation", "offload_sites", false, "simulation: keep each site's state on disk between rounds (many sites in little memory; same results)"),
            new ConfigKey("federation", "aggregator", "mean", "per element over the sites sharing it: mean (weighted, FedAvg), median or"
                    + " trimmed_mean (one vote per site; robust to a minority of hostile or broken sites)"),
            new ConfigKey("federation", "trim", 0.1, "trimmed_mean: fraction of the sharing sites' values dropped at each end, in [0, 0.5)"),
            new ConfigKey("federation", "weights", "samples", "a site's weight in the mean: samples (its training-sample count, declared at"
                    + " SETUP and fixed for the run; an upload with another count is refused) or equal"),
            new ConfigKey("federation", "max_samples", 0, "cap on the sample count used as a weight (0 = no cap)"),
            new ConfigKey("federation", "clip_norm", 0.0, "scale every upload's update (shared values minus the global model) down to this"
                    + " L2 norm before aggregation (0 = off)"));

    public FederationSettings {
        aggregation = aggregation == null ? Aggregation.DEFAULT : aggregation;
    }

    public FederationSettings(int rounds, double sampleFraction, int minSites) {
        this(rounds, sampleFraction, minSites, false, Aggregation.DEFAULT);
    }

    public FederationSettings(int rounds, double sampleFraction, int minSites, boolean offloadSites) {
        this(rounds, sampleFraction, minSites, offloadSites, Aggregation.DEFAULT);
    }

    public static FederationSettings from(Map<String, Object> section) {
        return from(section, Origin.NONE);
    }

    /** The {@code federation:} section; errors name {@code origin}'s file, or the option that set a key. */
    public static FederationSettings from(Map<String, Object> section, Origin origin) {
        Section s = new Section("federation", section, KEYS, origin);
        Aggregation a;
        Aggregator.Kind kind = s.getChoice("aggregator", Aggregator.Kind.class);
        double trim = s.getDouble("trim", 0, 0.5, true, false);
        a = new Aggregation(kind == Aggregator.Kind.TRIMMED_MEAN ? Aggregator.trimmedMean(trim) : new Aggregator(kind, 0),
                s.getChoice("weights", Aggregation.Weights.class), s.getInt("max_samples", 0, Integer.MAX_VALUE),
                s.getDouble("clip_norm", 0, Double.MAX_VALUE, true, true));
        return new FederationSettings(s.getInt("rounds", 1, 100000), s.getDouble("sample_fraction", 0, 1, false, true),
                s.getInt("min_sites", 1, 100000), s.getBoolean("offload_sites"), a);
    }

    /**
     * The aggregation as the resolved configuration and the plan hash record it: absent when it is the default, so a
     * run made before these keys existed continues, and its plan hash is unchanged.
     */
    @JsonProperty("aggregation")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    Aggregation aggregationIfSet() {
        return aggregation.standard() ? null : aggregation;
    }

    /** The settings under their configuration keys, as a configuration file writes them. */
    public Map<String, Object> toConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rounds", rounds);
        m.put("sample_fraction", sampleFraction);
        m.put("min_sites", minSites);
        m.put("offload_sites", offloadSites);
        if (!aggregation.standard()) { // absent when it is the default, so runs made before these keys existed continue
            m.put("aggregator", aggregation.aggregator().kind().key());
            if (aggregation.aggregator().kind() == Aggregator.Kind.TRIMMED_MEAN) {
                m.put("trim", aggregation.aggregator().trim());
            }
            m.put("weights", aggregation.weights().key());
            m.put("max_samples", aggregation.maxSamples());
            m.put("clip_norm", aggregation.clipNorm());
        }
        return m;
    }

    public FederationSettings withRounds(int t) {
        return new FederationSettings(t, sampleFraction, minSites, offloadSites, aggregation);
    }

    public FederationSettings withAggregation(Aggregation a) {
        return new FederationSettings(rounds, sampleFraction, minSites, offloadSites, a);
    }

    /** The same settings with {@code p} ({@code privacy:}) applied to every upload; its sampling rate is sample_fraction. */
    public FederationSettings withPrivacy(org.resfim.privacy.PrivacySettings p) {
        if (!p.active() && !p.styleActive() && !p.secagg()) {
            return this; // no privacy: the aggregation stays the default (and the plan hash of runs without privacy unchanged)
        }
        return withAggregation(aggregation.withPrivacy(p.withSamplingRate(sampleFraction)));
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
