package org.resfim.bench;

import org.resfim.algorithms.PflResFim;
import org.resfim.data.Augmentation;
import org.resfim.data.Sample;
import org.resfim.data.SiteDataset;
import org.resfim.data.SyntheticSites;
import org.resfim.engine.UNet;
import org.resfim.federation.Message;
import org.resfim.federation.SiteParticipant;
import org.resfim.federation.TrainingSettings;
import org.resfim.model.UNetConfig;
import org.resfim.spectral.StyleBank;
import org.resfim.spectral.StyleConfig;
import org.resfim.state.ModelState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one pFL-ResFIM estimate costs against local training as the federation grows (issue #15 item 5), for own Fisher
 * (the default) or the residual: K synthetic
 * sites like {@code simulate}'s default (64×64, 30 images per site, 70% training), the reference U-Net, the default
 * training settings. Site 1 trains one round (a warm-up), then a second round with an estimate; its local training
 * time is that fit minus the estimate. Every other site contributes only its style window (nothing else is built).
 * A figure, not a test: the timings depend on the machine and on what else runs on it.
 */
public final class EstimateCost {
    private EstimateCost() {
    }

    /**
     * One measurement.
     *
     * @param sites          K
     * @param foreign        foreign styles the estimate used (K − 1, or max_foreign)
     * @param passes         per-sample passes of the estimate, N·(foreign + 1)
     * @param trainSeconds   one round of local training (E = 1)
     * @param estimateSeconds one estimate (resfim_seconds)
     */
    public record Row(int sites, int foreign, int samples, int passes, double trainSeconds, double estimateSeconds) {
        /**
         * The estimate's share of local training time when one round in {@code every} estimates: est / (R·train + est), the
         * ratio a run's cost line prints (its fit time includes the estimate).
         */
        public double share(int every) {
            return estimateSeconds / (every * trainSeconds + estimateSeconds);
        }
    }

    /**
     * Measures K = {@code sites} with at most {@code maxForeign} foreign styles (0 = all), N = {@code samples}, and
     * {@code workers} parallel workers for the per-sample passes (pfl-resfim.workers; 0 = as many as libtorch's threads), for
     * {@code variant} (resfim.variant: fim, the default, estimates own Fisher only, N passes whatever K is; resfim adds the
     * foreign styles).
     */
    public static Row measure(String variant, int sites, int maxForeign, int samples, int size, int imagesPerSite, long seed, int workers) {
        List<SiteDataset> data = SyntheticSites.generate(sites, imagesPerSite, size, seed);
        StyleConfig style = StyleConfig.defaults();
        List<StyleBank> banks = new ArrayList<>();
        for (SiteDataset d : data) {
            List<float[]> images = new ArrayList<>();
            for (Sample s : d.train()) {
                images.add(s.image());
            }
            banks.add(StyleBank.forSite(d.name(), images, d.channels(), d.height(), d.width(), style, seed));
        }
        Message bank = Message.of(StyleBank.merge(banks).toState());
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("warmup", 1);
        params.put("every", 1);
        params.put("samples", samples);
        params.put("max_foreign", maxForeign);
        params.put("diagnostics", "off");
        params.put("workers", workers);
        params.put("resfim.variant", variant);
        PflResFim algo = new PflResFim("pfl-resfim", params);
        UNetConfig unet = UNetConfig.reference();
        ModelState init;
        try (UNet net = new UNet(unet, seed)) {
            init = net.toState();
        }
        SiteDataset d = data.get(0);
        SiteParticipant p = new SiteParticipant(d, algo.newClient(d.name()), unet, TrainingSettings.from(Map.of()), 2, seed, null, 1,
                Augmentation.NONE);
        p.procedure().setup(p, init);
        p.procedure().fit(p, 1, bank);                       // warm-up round: no estimate (W = 1)
        long t = System.nanoTime();
        p.procedure().fit(p, 2, bank);
        double fit = (System.nanoTime() - t) / 1e9;
        Map<String, Double> stats = p.procedure().stats();
        double est = stats.get("resfim_seconds");
        int foreign = stats.getOrDefault("foreign_sites", 0.0).intValue(); // fim estimates on own samples only
        int n = Math.min(samples, d.train().size());
        return new Row(sites, foreign, n, n * (foreign + 1), fit - est, est);
    }
}
