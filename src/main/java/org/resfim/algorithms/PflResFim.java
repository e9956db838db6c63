package org.resfim.algorithms;

import org.resfim.config.ConfigException;
import org.resfim.config.ConfigKey;
import org.resfim.config.KeyException;
import org.resfim.config.Origin;
import org.resfim.config.Section;
import org.resfim.config.Suggest;
import org.resfim.config.TopLevelSection;
import org.resfim.data.Sample;
import org.resfim.engine.Batch;
import org.resfim.engine.FisherEstimator;
import org.resfim.engine.FisherWorkers;
import org.resfim.engine.UNet;
import org.resfim.federation.Algorithm;
import org.resfim.federation.Batches;
import org.resfim.federation.ClientContext;
import org.resfim.federation.ClientProcedure;
import org.resfim.federation.ProcedureState;
import org.resfim.federation.Message;
import org.resfim.federation.Reply;
import org.resfim.federation.ServerProcedure;
import org.resfim.fisher.PartitionConfig;
import org.resfim.fisher.Residual;
import org.resfim.fisher.ResidualDiagnostics;
import org.resfim.fisher.ResidualFisher;
import org.resfim.fisher.SensitivityPartition;
import org.resfim.spectral.AmplitudeTransfer;
import org.resfim.spectral.StyleBank;
import org.resfim.spectral.StyleConfig;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * pFL-ResFIM (arXiv 2603.14848; METHOD.md). Before round 1 every site shares the low-frequency amplitude
 * window(s) of its training images (a style bank; never phases or images); the server forwards the bank.
 * After local training, in rounds after a warm-up of W rounds and every R rounds, a site draws N training
 * samples, computes its own diagonal Fisher F_k and, for every other site n, the Fisher F_{k→n} of the same
 * images re-rendered in n's style; the residual ResFIM_k = mean_n |F_{k→n} − F_k| ranks every element of
 * every trainable tensor, and the top ρ are domain-sensitive (personal). Uploads carry only the invariant
 * values and the mask; the server averages element-wise over the sites that share each element;
 * each site composes θ̃_k = m_k∘θ_k + (1−m_k)∘θ_g. BatchNorm running statistics stay local by default.
 */
public final class PflResFim implements Algorithm {
    public static final String NAME = "pfl-resfim";
    /** Values of {@code null_controls}. */
    static final List<String> NULL_CONTROLS = List.of("off", "own-style", "split", "both");
    public static final List<ConfigKey> OWN_KEYS = List.of(
            new ConfigKey(NAME, "warmup", -1, "rounds before the first ResFIM estimate (W); -1 = ceil(T/10); masks are all-shared until then"),
            new ConfigKey(NAME, "every", 20, "re-estimate the partition every R rounds; masks are reused in between (METHOD.md: 5; 20 keeps the estimate under a quarter of local training time on the synthetic default at no measurable Dice cost, README)"),
            new ConfigKey(NAME, "samples", 8, "training samples N per Fisher estimate (fixed per estimate, seeded); 8 keeps the estimate near a fifth of local training time at 128x128 (README)"),
            new ConfigKey(NAME, "max_foreign", 0, "at most M foreign styles per estimate, a seeded sample of the other sites drawn anew at every estimate "
                    + "(N·(M+1) per-sample passes instead of N·K); 0 = every other site; the number used is written as foreign_sites"),
            new ConfigKey(NAME, "diagnostics", "on", "at every estimate that computes foreign Fishers, write to metrics.jsonl per tensor t: jaccard_fim.t "
                    + "(overlap of the mask with the one variant = fim would choose on the same model and samples), spearman_fim.t (rank correlation "
                    + "of log score with log F_k), gain.t (s_t = mean_p mean_n |F_k→n − F_k| / mean_p F_k), and overall jaccard_fim, spearman_fim, "
                    + "gain; their time is diagnostics_seconds, not resfim_seconds; off skips them"),
            new ConfigKey(NAME, "null_controls", "off", "null residuals written beside the gains (needs diagnostics on): own-style (the same samples "
                    + "re-rendered in the site's own mean style: N more passes; null_style_gain.t), split (the Fisher of a second, disjoint draw of "
                    + "up to N own samples against F_k, i.e. sampling noise: up to N more passes; null_split_gain.t), both, or off; beside each, "
                    + "null_style_jaccard_fim / null_split_jaccard_fim: the overlap with the fim mask of the mask that null residual gives (not for "
                    + "residual = direction); a residual whose gain and mask do not depart from fim more than the nulls' carries no domain signal"),
            new ConfigKey(NAME, "workers", 0, "parallel workers for the estimate's per-sample passes, each with its own copy of the network and "
                    + "one libtorch thread, their sums added in a fixed order (same numbers on every run for a given count); 0 = as many as "
                    + "libtorch's threads (--threads), 1 = one after another on the training threads"),
            new ConfigKey(NAME, "bn_stats", "local", "BatchNorm running statistics: local (like FedBN) or shared"));
    /** Every parameter: its own keys, then the {@code style} and {@code resfim} keys as {@code style.beta}, {@code resfim.rho}. */
    public static final List<ConfigKey> KEYS;
    /**
     * METHOD.md writes the method's options as {@code style.*}, {@code resfim.*} and {@code bn.stats}: the
     * same keys may be given as top-level sections of the configuration ({@code style: {beta: 0.05}}); a
     * {@code method.pfl-resfim} section or a method spec overrides them. Registered with the algorithm, so the
     * configuration accepts these sections because of it.
     */
    public static final List<TopLevelSection> SECTIONS = List.of(
            TopLevelSection.prefixed("style", StyleConfig.KEYS),
            TopLevelSection.prefixed("resfim", PartitionConfig.KEYS),
            new TopLevelSection("bn", List.of(new ConfigKey("bn", "stats", "local", "pFL-ResFIM: BatchNorm running statistics local (like FedBN) or shared")),
                    k -> "bn_stats"));

    static {
        List<ConfigKey> k = new ArrayList<>(OWN_KEYS);
        for (List<ConfigKey> section : List.of(StyleConfig.KEYS, PartitionConfig.KEYS)) {
            section.forEach(c -> k.add(new ConfigKey(NAME, c.fullName(), c.defaultValue(), c.description())));
        }
        KEYS = List.copyOf(k);
    }

    private final String spec;
    private final StyleConfig style;
    private final PartitionConfig partition;
    private final int warmup;
    private final int every;
    private final int samples;
    private final int maxForeign;
    private final boolean diagnostics;
    private final String nullControls;
    private final int workers;
    private final boolean localStats;

    public PflResFim(String spec, Map<String, Object> params) {
        this.spec = spec;
        Map<String, Object> own = new LinkedHashMap<>();
        Map<String, Object> styleMap = new LinkedHashMap<>();
        Map<String, Object> resfimMap = new LinkedHashMap<>();
        List<String> known = KEYS.stream().map(ConfigKey::name).toList();
        for (Map.Entry<String, Object> e : params.entrySet()) {
            String k = parameter(e.getKey(), known);
            if (k.startsWith("style.")) {
                styleMap.put(k.substring(6), e.getValue());
            } else if (k.startsWith("resfim.")) {
                resfimMap.put(k.substring(7), e.getValue());
            } else {
                own.put(k, e.getValue());
            }
        }
        try {
            this.style = StyleConfig.fromMap(styleMap);
            this.partition = PartitionConfig.fromMap(resfimMap);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(NAME + ": " + e.getMessage());
        }
        Section s = new Section(NAME, own, OWN_KEYS);
        this.warmup = s.getInt("warmup", -1, 1_000_000);
        this.every = s.getInt("every", 1, 1_000_000);
        this.samples = s.getInt("samples", 1, 1_000_000);
        this.maxForeign = s.getInt("max_foreign", 0, 1_000_000);
        this.diagnostics = s.getBoolean("diagnostics");
        String nc = String.valueOf(s.getString("null_controls")).trim();
        this.nullControls = nc.equals("false") ? "off" : nc; // YAML reads a bare off as false
        if (!NULL_CONTROLS.contains(nullControls)) {
            throw new ConfigException(NAME + ".null_controls must be one of " + NULL_CONTROLS + ", got '" + nc + "'");
        }
        if (!nullControls.equals("off") && !diagnostics) {
            throw new ConfigException(NAME + ".null_controls = " + nullControls + " needs " + NAME + ".diagnostics = on");
        }
        if (!nullControls.equals("off") && !partition.needsForeignFisher()) {
            throw new ConfigException(NAME + ".null_controls = " + nullControls + " needs the foreign Fishers: resfim.variant = resfim (or "
                    + "layerwise, or resfim.budget = gain); resfim.variant = " + partition.variant().key() + " (the default is fim) computes none");
        }
        this.workers = s.getInt("workers", 0, 64);
        this.localStats = s.getChoice("bn_stats", List.of("local", "shared")).equals("local");
    }

    /**
     * The parameter {@code key} names: itself, or a {@code style}/{@code resfim} key written without its prefix
     * ({@code rho} for {@code resfim.rho}); an unknown key is refused with the nearest parameter suggested.
     */
    private static String parameter(String key, List<String> known) {
        if (known.contains(key)) {
            return key;
        }
        int dot = key.indexOf('.');
        if (dot < 0) {
            for (String k : known) {
                if (k.endsWith("." + key)) {
                    return k;
                }
            }
        }
        String near;
        String prefix = dot < 0 ? "" : key.substring(0, dot + 1);
        List<String> inSection = known.stream().filter(k -> !prefix.isEmpty() && k.startsWith(prefix)).map(k -> k.substring(prefix.length())).toList();
        if (!inSection.isEmpty()) {
            String b = Suggest.nearest(key.substring(dot + 1), inSection);
            near = b == null ? null : prefix + b;
        } else {
            near = Suggest.nearest(key, known);
            if (near == null) {
                List<String> shortNames = known.stream().map(x -> x.substring(x.indexOf('.') + 1)).toList();
                String b = Suggest.nearest(key, shortNames);
                near = b == null ? null : known.get(shortNames.indexOf(b));
            }
        }
        throw KeyException.unknown(Origin.NONE, NAME, key, near);
    }

    @Override
    public String spec() {
        return spec;
    }

    public StyleConfig style() {
        return style;
    }

    public PartitionConfig partition() {
        return partition;
    }

    /** W: the configured warm-up, or ⌈T/10⌉. */
    int warmup(int rounds) {
        return warmup >= 0 ? warmup : (int) Math.ceil(rounds / 10.0);
    }

    /** True when a site re-estimates its partition after training in {@code round}. */
    boolean estimates(int round, int rounds) {
        int w = warmup(rounds);
        return round > w && (round - w - 1) % every == 0;
    }

    /**
     * Whether a site shares its style windows at SETUP: the estimate needs foreign Fishers (ResFIM, layerwise, or a
     * gain budget, which ranks tensors by the foreign Fishers' gain even for variant = fim) or training re-renders
     * images in foreign styles. The one predicate for what the site sends and what the server admits.
     */
    public boolean sharesStyle() {
        return partition.needsForeignFisher() || style.augment();
    }

    @Override
    public String unreadSetting() {
        StyleConfig d = StyleConfig.defaults();
        String with = "resfim.variant = " + partition.variant().key() + (partition.variant() == PartitionConfig.Variant.FIM ? " (the default)" : "");
        if (!sharesStyle()) {
            String windows = " shapes the style windows, and with " + with + " none is shared (they are with resfim.variant = resfim or "
                    + "layerwise, resfim.budget = gain, or style.augment = on)";
            if (style.beta() != d.beta()) {
                return "style.beta = " + style.beta() + windows;
            }
            if (style.share() != d.share()) {
                return "style.share = " + style.share().key() + windows;
            }
            if (style.m() != d.m()) {
                return "style.m = " + style.m() + windows;
            }
            if (style.sigma() != d.sigma()) {
                return "style.sigma = " + style.sigma() + windows;
            }
        }
        if (!partition.needsForeignFisher()) {
            String foreign = " is read by the estimate on foreign styles, which " + with + " does not make (resfim.variant = resfim or "
                    + "layerwise, or resfim.budget = gain, does)";
            if (style.lambda() != d.lambda()) {
                return "style.lambda = " + style.lambda() + foreign;
            }
            if (maxForeign != 0) {
                return NAME + ".max_foreign = " + maxForeign + foreign;
            }
        }
        PartitionConfig dp = PartitionConfig.defaults();
        if (partition.residual() != Residual.RELATIVE && (partition.epsTau() || partition.eps() != dp.eps())) {
            return "resfim.eps = " + (partition.epsTau() ? "tau" : Double.toString(partition.eps())) + " is read by resfim.residual = relative only"
                    + " (it is " + partition.residual().key() + ")";
        }
        if (!style.augment() && style.p() != d.p()) {
            return "style.p = " + style.p() + " is read by style.augment = on only (it is off)";
        }
        return null;
    }

    @Override
    public ClientProcedure newClient(String site) {
        return new Client(site);
    }

    /**
     * A site's style bank, as the configuration fixes it: 1 window (site-mean) or at most {@code style.m}
     * (per-image) of {@code [C, 2b+1, 2b+1]}, b from {@code style.beta} and the image size; nothing when no style is
     * shared (variant without foreign Fisher and no augmentation).
     */
    @Override
    public org.resfim.federation.SetupBound setupBound(int channels, int height, int width) {
        if (!sharesStyle()) {
            return org.resfim.federation.SetupBound.NONE;
        }
        int windows = style.share() == StyleConfig.Share.SITE_MEAN ? 1 : style.m();
        int side = AmplitudeTransfer.windowSide(AmplitudeTransfer.halfSize(height, width, style.beta()));
        return new org.resfim.federation.SetupBound(windows, (long) windows * channels * side * side, side);
    }

    @Override
    public ServerProcedure newServer(ModelState initial) {
        return new Server(initial);
    }

    /** The site side. */
    final class Client extends PartitionedClient {
        private final String site;
        private StyleBank bank = new StyleBank();

        Client(String site) {
            this.site = site;
        }

        @Override
        protected Mask initialMask(ModelState layout) {
            return Mask.wholeTensors(layout, t -> localStats && t.role().isNormStatistic());
        }

        @Override
        public Message setup(ClientContext ctx, ModelState initial) {
            super.setup(ctx, initial);
            if (!sharesStyle()) {
                return null; // nothing to share: no style leaves the site
            }
            List<Sample> train = ctx.trainSamples();
            List<float[]> images = new ArrayList<>();
            train.forEach(s -> images.add(s.image()));
            Sample first = train.get(0);
            StyleBank mine = StyleBank.forSite(site, images, first.channels(), first.height(), first.width(), style,
                    ctx.random(0, "style-bank").nextLong());
            return Message.of(mine.toState());
        }

        @Override
        protected void train(ClientContext ctx, int round) {
            ClientContext.SampleTransform t = styleAugmentation();
            ClientContext.Trained tr = ctx.train(model, optimizer, round, ctx.training().localEpochs(), "fit", null, t);
            model = tr.model();
            optimizer = tr.optimizer();
            stats.put("train_loss", tr.result().meanLoss());
        }

        /**
         * {@code style.augment} (METHOD.md step 2, FedDG-style): each training sample, with probability p, re-rendered in
         * the style of a uniformly chosen other site of the bank (one of its windows, uniformly) with λ ~ U(0, 1), mask
         * unchanged; draws from the epoch's augmentation stream in this order: the p test, the site, the window, λ.
         * Null (no transform, no draws: the same run as off) when the option is off, p = 0 or the bank holds no other site.
         */
        ClientContext.SampleTransform styleAugmentation() {
            if (!style.augment() || style.p() <= 0 || bank.isEmpty()) {
                return null;
            }
            List<String> others = bank.sites().stream().filter(s -> !s.equals(site)).toList();
            if (others.isEmpty()) {
                return null;
            }
            StyleBank b = bank;
            return (s, rng) -> {
                if (rng.nextDouble() >= style.p()) {
                    return s;
                }
                List<float[][][]> w = b.windows(others.get(rng.nextInt(others.size())));
                float[] img = AmplitudeTransfer.transfer(s.image(), s.channels(), s.height(), s.width(),
                        w.get(rng.nextInt(w.size())), rng.nextDouble());
                return new Sample(s.id(), s.patientId(), img, s.channels(), s.height(), s.width(), s.mask(), s.fov(), s.sourcePath());
            };
        }

        /** Replaces the style bank (as a FIT request carrying one does). */
        void useBank(StyleBank b) {
            bank = b;
        }

        @Override
        public Message fit(ClientContext ctx, int round, Message fromServer) {
            if (fromServer != null && fromServer.tensors().size() > 0) {
                bank = StyleBank.fromState(fromServer.tensors());
            }
            return super.fit(ctx, round, fromServer);
        }

        @Override
        protected void afterTraining(ClientContext ctx, int round, Message fromServer) {
            if (!estimates(round, ctx.rounds())) {
                return;
            }
            long t0 = System.nanoTime();
            SplittableRandom rng = ctx.random(round, "resfim");
            long partitionSeed = rng.nextLong();
            ModelState score = null;
            ModelState own = null;
            List<ModelState> foreign = null;
            Map<String, Double> gains = null;
            List<Sample> pool = null;
            if (partition.variant().needsFisher()) {
                pool = Batches.shuffled(ctx.trainSamples(), rng);
                List<Sample> chosen = pool.subList(0, Math.min(samples, pool.size()));
                try (Networks live = new Networks(ctx, model, workers(chosen.size()))) {
                    List<UNet> net = live.nets;
                    List<Batch> ownBatches = batches(ctx, chosen, null, null);
                    if (partition.needsForeignFisher()) {
                        List<String> others = foreignSites(ctx, round);
                        stats.put("foreign_sites", (double) others.size());
                        Random pick = new Random(rng.nextLong());
                        ModelState residual;
                        if (partition.residual() == Residual.DIRECTION) {
                            List<List<Batch>> all = new ArrayList<>();
                            for (String other : others) {
                                all.add(batches(ctx, chosen, bank.windows(other), pick));
                            }
                            FisherEstimator.Paired p = FisherEstimator.paired(net, ownBatches, all);
                            own = p.own();
                            foreign = p.foreign();
                            residual = ResidualFisher.direction(own, foreign, p.diffs());
                        } else {
                            own = FisherEstimator.estimate(net, ownBatches);
                            foreign = new ArrayList<>();
                            for (String other : others) {
                                foreign.add(FisherEstimator.estimate(net, batches(ctx, chosen, bank.windows(other), pick)));
                            }
                            residual = ResidualFisher.compute(own, foreign, partition.residual(), partition.eps(), partition.epsTau());
                        }
                        score = partition.variant() == PartitionConfig.Variant.FIM ? own : residual;
                        if (partition.budget() == PartitionConfig.Budget.GAIN) {
                            gains = ResidualDiagnostics.gains(own, foreign);
                        }
                    } else {
                        own = FisherEstimator.estimate(net, ownBatches);
                        score = own;
                    }
                }
            }
            Mask trainable = SensitivityPartition.partition(score, own, gains, model, partition, partitionSeed);
            Mask next = trainable.copy();
            for (Tensor t : model.tensors()) {
                if (localStats && t.role().isNormStatistic()) {
                    next.setAll(t.name(), true);
                }
            }
            mask = next;
            stats.put("resfim_seconds", (System.nanoTime() - t0) / 1e9);
            stats.put("resfim_round", (double) round);
            long trainableElements = 0;
            long sensitive = 0;
            for (Tensor t : model.tensors()) {
                if (t.role().trainable()) {
                    trainableElements += t.size();
                    sensitive += mask.count(t.name());
                    stats.put("sensitive." + t.name(), mask.fraction(t.name()));
                }
            }
            stats.put("sensitive_fraction", sensitive / (double) trainableElements);
            if (diagnostics && foreign != null) {
                long t1 = System.nanoTime();
                Mask fim = SensitivityPartition.partition(own, null, null, model, partition.plainFim(), partitionSeed);
                stats.putAll(ResidualDiagnostics.stats(own, foreign, score, trainable, fim));
                nullControls(ctx, pool, own, fim, partitionSeed);
                stats.put("diagnostics_seconds", (System.nanoTime() - t1) / 1e9);
            }
        }

        /** The estimate's workers: the configured count, or libtorch's threads; never more than the samples. */
        private int workers(int sampleCount) {
            int w = workers > 0 ? workers : FisherWorkers.defaultWorkers();
            return Math.max(1, Math.min(w, sampleCount));
        }

        /** The estimate's live copies of the model, one per worker, closed together. */
        private static final class Networks implements AutoCloseable {
            final List<UNet> nets = new ArrayList<>();

            Networks(ClientContext ctx, ModelState model, int count) {
                try {
                    for (int i = 0; i < count; i++) {
                        nets.add(ctx.open(model));
                    }
                } catch (RuntimeException e) {
                    close();
                    throw e;
                }
            }

            @Override
            public void close() {
                for (UNet n : nets) {
                    n.close();
                }
                nets.clear();
            }
        }

        /** The other sites whose styles this estimate uses: all of them, or a seeded sample of {@code max_foreign}, in bank order. */
        private List<String> foreignSites(ClientContext ctx, int round) {
            List<String> others = new ArrayList<>();
            for (String other : bank.sites()) {
                if (!other.equals(site)) {
                    others.add(other);
                }
            }
            if (others.isEmpty()) {
                throw new IllegalStateException("site '" + site + "': the style bank holds no other site; "
                        + "resfim.variant = resfim needs at least two sites with valid style windows");
            }
            if (maxForeign > 0 && others.size() > maxForeign) {
                SplittableRandom r = ctx.random(round, "resfim-foreign");
                List<String> picked = new ArrayList<>(others);
                for (int i = 0; i < maxForeign; i++) {       // partial Fisher–Yates: the first M are a uniform sample
                    int j = i + r.nextInt(picked.size() - i);
                    String x = picked.get(j);
                    picked.set(j, picked.get(i));
                    picked.set(i, x);
                }
                java.util.Set<String> keep = new java.util.HashSet<>(picked.subList(0, maxForeign));
                others.removeIf(o -> !keep.contains(o));
            }
            return others;
        }

        /**
         * The null controls: the gains (as {@link ResidualDiagnostics#gains}) of the same samples re-rendered in the
         * site's own mean style against F_k ({@code null_style_gain.*}), and of a second, disjoint draw of up to N own
         * samples (the next ones of the same shuffle) against F_k ({@code null_split_gain.*}, with
         * {@code null_split_samples}); a control that cannot be made (no own window in the bank, no samples left) is
         * left out. Beside each gain, the mask the partition would make from that null residual in place of the foreign
         * Fishers (same residual, options and seed) and its Jaccard overlap with the fim mask ({@code null_style_jaccard_fim},
         * {@code null_split_jaccard_fim}): a residual mask that departs from fim's no more than a null's does carries no
         * domain signal. The {@code direction} residual needs paired passes, so it gets the gains only.
         */
        private void nullControls(ClientContext ctx, List<Sample> pool, ModelState own, Mask fim, long partitionSeed) {
            boolean ownStyle = nullControls.equals("own-style") || nullControls.equals("both");
            boolean split = nullControls.equals("split") || nullControls.equals("both");
            if (!ownStyle && !split) {
                return;
            }
            int n = Math.min(samples, pool.size());
            List<Sample> second = pool.subList(n, Math.min(2 * n, pool.size()));
            try (Networks live = new Networks(ctx, model, workers(n))) {
                List<UNet> net = live.nets;
                if (ownStyle && bank.contains(site)) {
                    ModelState self = FisherEstimator.estimate(net, batches(ctx, pool.subList(0, n), java.util.Collections.singletonList(bank.meanWindow(site)), null));
                    putGains("null_style_gain", own, self);
                    putNullMask("null_style_jaccard_fim", own, self, fim, partitionSeed);
                }
                if (split && !second.isEmpty()) {
                    ModelState other = FisherEstimator.estimate(net, batches(ctx, second, null, null));
                    putGains("null_split_gain", own, other);
                    putNullMask("null_split_jaccard_fim", own, other, fim, partitionSeed);
                    stats.put("null_split_samples", (double) second.size());
                }
            }
        }

        /** The overlap with the fim mask of the mask the partition makes when {@code other} stands in for the foreign Fishers. */
        private void putNullMask(String key, ModelState own, ModelState other, Mask fim, long partitionSeed) {
            if (partition.variant() != PartitionConfig.Variant.RESFIM || partition.residual() == Residual.DIRECTION) {
                return;
            }
            stats.put(key, ResidualDiagnostics.nullMaskOverlap(own, other, partition, model, fim, partitionSeed));
        }

        private void putGains(String prefix, ModelState own, ModelState other) {
            ResidualDiagnostics.gains(own, List.of(other)).forEach((t, g) -> {
                if (!Double.isNaN(g)) {
                    stats.put(prefix + "." + t, g);
                }
            });
            double all = ResidualDiagnostics.overallGain(own, List.of(other));
            if (!Double.isNaN(all)) {
                stats.put(prefix, all);
            }
        }

        /** The chosen samples as batches; with {@code windows}, every image re-rendered in that style (λ from the config). */
        private List<Batch> batches(ClientContext ctx, List<Sample> chosen, List<float[][][]> windows, Random pick) {
            List<Sample> xs = new ArrayList<>();
            for (Sample s : chosen) {
                if (windows == null) {
                    xs.add(s);
                } else {
                    float[][][] w = windows.get(windows.size() == 1 ? 0 : pick.nextInt(windows.size()));
                    float[] img = AmplitudeTransfer.transfer(s.image(), s.channels(), s.height(), s.width(), w, style.lambda());
                    xs.add(new Sample(s.id(), s.patientId(), img, s.channels(), s.height(), s.width(), s.mask(), s.fov(), s.sourcePath()));
                }
            }
            return Batches.of(xs, Math.max(1, ctx.training().batchSize()), ctx.modelConfig().inChannels());
        }

        @Override
        protected void saveExtra(Map<String, ModelState> states, Map<String, String> meta) {
            states.put("style-bank", bank.toState());
        }

        @Override
        protected void restoreExtra(ProcedureState s) {
            ModelState b = s.states().get("style-bank");
            bank = b == null || b.size() == 0 ? new StyleBank() : StyleBank.fromState(b);
        }
    }

    /** The server side: the shared masked-aggregation path plus forwarding the validated style bank. */
    final class Server extends MaskedAverageServer {
        private final Map<String, String> setupRejections = new LinkedHashMap<>();
        private org.resfim.federation.SetupBound expected;

        Server(ModelState initial) {
            super(initial);
        }

        /** The windows' channels and side as the configuration fixes them (image size, style.beta). */
        @Override
        public void expectSetup(org.resfim.federation.SetupBound bound) {
            this.expected = bound;
        }

        /**
         * Every site's style bank must be its own, hold 1 window (site-mean) or at most style.m (per-image) of the
         * configured shape [C, 2b+1, 2b+1] ({@link #expectSetup}; without it, as a fallback for direct use, the shape
         * of the first valid answer), with finite, non-negative values; a bank that is not is refused naming why.
         */
        @Override
        public Message setup(List<Reply> replies) {
            super.setup(replies); // the declared sample counts
            List<StyleBank> banks = new ArrayList<>();
            Integer channels = expected == null || expected.tensors() == 0 ? null : expected.channels();
            int b = expected == null || expected.tensors() == 0 ? -1 : (expected.side() - 1) / 2;
            int maxWindows = style.share() == StyleConfig.Share.SITE_MEAN ? 1 : style.m();
            for (Reply r : replies) {
                if (r.upload().tensors().size() == 0) {
                    continue;
                }
                try {
                    StyleBank sb = StyleBank.fromState(r.upload().tensors());
                    if (!sb.sites().equals(List.of(r.site()))) {
                        throw new IllegalArgumentException("it sent style windows for " + sb.sites() + ", not only for itself");
                    }
                    int windows = sb.windows(r.site()).size();
                    if (windows > maxWindows) {
                        throw new IllegalArgumentException("it sent " + windows + " style windows; the configuration allows " + maxWindows
                                + " (style.share = " + style.share().key() + ", style.m = " + style.m() + ")");
                    }
                    float[][][] w = sb.windows(r.site()).get(0);
                    if (channels == null) {
                        channels = w.length;
                        b = (w[0].length - 1) / 2;
                    }
                    sb.validate(channels, b);
                    banks.add(sb);
                } catch (RuntimeException e) {
                    setupRejections.put(r.site(), "style bank rejected: " + e.getMessage());
                }
            }
            return banks.isEmpty() ? Message.empty() : Message.of(StyleBank.merge(banks).toState());
        }

        @Override
        public Map<String, String> lastRejections() {
            Map<String, String> all = new LinkedHashMap<>(setupRejections);
            all.putAll(super.lastRejections());
            setupRejections.clear();
            return all;
        }
    }
}
