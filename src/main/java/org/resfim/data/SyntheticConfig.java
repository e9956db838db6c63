package org.resfim.data;

/**
 * The built-in synthetic federation.
 *
 * @param sites   number of sites
 * @param samples images per site
 * @param seed    generator seed, or null to use the run's seed
 */
public record SyntheticConfig(int sites, int samples, Long seed) {
    public SyntheticConfig {
        if (sites < 1 || samples < 1) {
            throw new IllegalArgumentException("synthetic sites and samples must be at least 1");
        }
    }
}
