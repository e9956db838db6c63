package org.resfim.algorithms;

import org.resfim.config.ConfigException;
import org.resfim.config.ConfigKey;
import org.resfim.config.Section;
import org.resfim.data.Sample;
import org.resfim.engine.Batch;
import org.resfim.engine.FisherEstimator;
import org.resfim.engine.UNet;
import org.resfim.federation.Algorithm;
import org.resfim.federation.Batches;
import org.resfim.federation.ClientContext;
import org.resfim.federation.ClientProcedure;
import org.resfim.federation.ClientState;
import org.resfim.federation.Message;
import org.resfim.federation.Reply;
import org.resfim.federation.ServerProcedure;
import org.resfim.fisher.PartitionConfig;
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
    private static final List<String> STYLE_KEYS = List.of("beta", "share", "m", "sigma", "lambda", "augment", "p");
    private static final List<String> RESFIM_KEYS = List.of("variant", "residual", "scope", "rho", "eps");
    public static final List<ConfigKey> OWN_KEYS = List.of(
            new ConfigKey(NAME, "warmup", -1, "rounds before the first ResFIM estimate (W); -1 = ceil(T/10); masks are all-shared until then"),
            new ConfigKey(NAME, "every", 20, "re-estimate the partition every R rounds; masks are reused in between (METHOD.md: 5; 20 keeps the estimate under a quarter of local training time on the synthetic default at no measurable Dice cost, README)"),
            new ConfigKey(NAME, "samples", 8, "training samples N per Fisher estimate (fixed per estimate, seeded); 8 keeps the estimate near a fifth of local training time at 128x128 (README)"),
            new ConfigKey(NAME, "bn_stats", "local", "BatchNorm running statistics: local (like FedBN) or shared"));
    public static final List<ConfigKey> KEYS;
    /**
     * METHOD.md writes the method's options as {@code style.*}, {@code resfim.*} and {@code bn.stats}: the
     * same keys may be given as top-level sections of the configuration ({@code style: {beta: 0.05}}); a
     * {@code method.pfl-resfim} section or a method spec overrides them.
     */
    public static final List<ConfigKey> TOP_LEVEL_KEYS;

    static {
        List<ConfigKey> k = new ArrayList<>(OWN_KEYS);
        StyleConfig sd = StyleConfig.defaults();
        sd.toMap().forEach((key, v) -> k.add(new ConfigKey(NAME, key, v, styleDoc(key))));
        PartitionConfig pd = PartitionConfig.defaults();
        k.add(new ConfigKey(NAME, "resfim.variant", pd.variant().key(), "resfim (residual), fim (own Fisher only), random (same ρ), layerwise (whole tensors)"));
        k.add(new ConfigKey(NAME, "resfim.residual", pd.residual().key(), "absolute |F_{k→n} − F_k|, relative (÷ (F_k + F_{k→n} + ε)), or max over n"));
        k.add(new ConfigKey(NAME, "resfim.scope", pd.scope().key(), "per-tensor top ρ, or global after per-tensor normalisation"));
        k.add(new ConfigKey(NAME, "resfim.rho", pd.rho(), "fraction ρ of elements that are domain-sensitive (personal), in (0, 1)"));
        k.add(new ConfigKey(NAME, "resfim.eps", pd.eps(), "ε of the relative residual"));
        KEYS = List.copyOf(k);
        List<ConfigKey> top = new ArrayList<>();
        for (ConfigKey c : k) {
            int dot = c.name().indexOf('.');
            if (dot > 0) {
                top.add(new ConfigKey(c.name().substring(0, dot), c.name().substring(dot + 1), c.defaultValue(), c.description()));
            }
        }
        top.add(new ConfigKey("bn", "stats", "local", "pFL-ResFIM: BatchNorm running statistics local (like FedBN) or shared"));
        TOP_LEVEL_KEYS = List.copyOf(top);
    }

    /**
     * pFL-ResFIM parameters from the top-level {@code style:}, {@code resfim:} and {@code bn:} sections, as
     * {@code style.beta}, {@code resfim.rho}, {@code bn_stats}; an unknown key is refused naming it.
     */
    public static Map<String, Object> fromSections(Map<String, Object> style, Map<String, Object> resfim, Map<String, Object> bn) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : style.entrySet()) {
            out.put("style." + e.getKey(), e.getValue());
        }
        for (Map.Entry<String, Object> e : resfim.entrySet()) {
            out.put("resfim." + e.getKey(), e.getValue());
        }
        for (Map.Entry<String, Object> e : bn.entrySet()) {
            if (!e.getKey().equals("stats")) {
                throw new ConfigException("unknown key 'bn." + e.getKey() + "' (known: bn.stats)");
            }
            out.put("bn_stats", e.getValue());
        }
        return out;
    }

    private static String styleDoc(String key) {
        return switch (key) {
            case "style.beta" -> "low-frequency window half-size b = floor(β·min(H,W)), b ≥ 1";
            case "style.share" -> "what leaves a site: site-mean (one mean window) or per-image (up to M windows)";
            case "style.m" -> "windows per site in per-image mode (M)";
            case "style.sigma" -> "relative Gaussian noise on shared windows (privacy)";
            case "style.lambda" -> "interpolation λ toward the foreign amplitude in the Fisher estimate";
            case "style.augment" -> "FedDG-style augmentation: re-render training images in a random other site's style";
            case "style.p" -> "probability of style augmentation per training image";
            default -> key;
        };
    }

    private final String spec;
    private final StyleConfig style;
    private final PartitionConfig partition;
    private final int warmup;
    private final int every;
    private final int samples;
    private final boolean localStats;

    public PflResFim(String spec, Map<String, Object> params) {
        this.spec = spec;
        Map<String, Object> own = new LinkedHashMap<>();
        Map<String, Object> styleMap = new LinkedHashMap<>();
        Map<String, Object> resfimMap = new LinkedHashMap<>();
        List<String> known = new ArrayList<>();
        OWN_KEYS.forEach(k -> known.add(k.name()));
        STYLE_KEYS.forEach(k -> known.add("style." + k));
        RESFIM_KEYS.forEach(k -> known.add("resfim." + k));
        for (Map.Entry<String, Object> e : params.entrySet()) {
            String k = e.getKey();
            String bare = k.startsWith("style.") ? k.substring(6) : k.startsWith("resfim.") ? k.substring(7) : k;
            if (k.startsWith("style.") || (!k.contains(".") && STYLE_KEYS.contains(k))) {
                styleMap.put(bare, e.getValue());
            } else if (k.startsWith("resfim.") || (!k.contains(".") && RESFIM_KEYS.contains(k))) {
                resfimMap.put(bare, e.getValue());
            } else if (OWN_KEYS.stream().anyMatch(c -> c.name().equals(k))) {
                own.put(k, e.getValue());
            } else {
                String near = Section.nearest(k, known);
                if (near == null) {
                    List<String> shortNames = known.stream().map(x -> x.substring(x.indexOf('.') + 1)).toList();
                    String b = Section.nearest(k, shortNames);
                    near = b == null ? null : known.get(shortNames.indexOf(b));
                }
                throw new ConfigException("unknown key '" + NAME + "." + k + "'" + (near == null ? "" : " (did you mean '" + near + "'?)"));
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
        this.localStats = s.getChoice("bn_stats", List.of("local", "shared")).equals("local");
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
        if (!partition.variant().needsForeignFisher() && !style.augment()) {
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
            if (!partition.variant().needsForeignFisher() && !style.augment()) {
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
            ClientContext.SampleTransform t = null;
            if (style.augment() && !bank.isEmpty()) {
                List<String> others = bank.sites().stream().filter(s -> !s.equals(site)).toList();
                if (!others.isEmpty()) {
                    t = (s, rng) -> {
                        if (rng.nextDouble() >= style.p()) {
                            return s;
                        }
                        List<float[][][]> w = bank.windows(others.get(rng.nextInt(others.size())));
                        float[] img = AmplitudeTransfer.transfer(s.image(), s.channels(), s.height(), s.width(),
                                w.get(rng.nextInt(w.size())), rng.nextDouble());
                        return new Sample(s.id(), s.patientId(), img, s.channels(), s.height(), s.width(), s.mask(), s.fov(), s.sourcePath());
                    };
                }
            }
            ClientContext.Trained tr = ctx.train(model, optimizer, round, ctx.training().localEpochs(), "fit", null, t);
            model = tr.model();
            optimizer = tr.optimizer();
            stats.put("train_loss", tr.result().meanLoss());
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
            if (partition.variant().needsFisher()) {
                List<Sample> chosen = draw(ctx.trainSamples(), samples, rng);
                try (UNet net = ctx.open(model)) {
                    ModelState own = FisherEstimator.estimate(net, batches(ctx, chosen, null, null));
                    if (partition.variant().needsForeignFisher()) {
                        List<ModelState> foreign = new ArrayList<>();
                        Random pick = new Random(rng.nextLong());
                        for (String other : bank.sites()) {
                            if (other.equals(site)) {
                                continue;
                            }
                            foreign.add(FisherEstimator.estimate(net, batches(ctx, chosen, bank.windows(other), pick)));
                        }
                        if (foreign.isEmpty()) {
                            throw new IllegalStateException("site '" + site + "': the style bank holds no other site; "
                                    + "resfim.variant = resfim needs at least two sites with valid style windows");
                        }
                        score = ResidualFisher.compute(own, foreign, partition.residual(), partition.eps());
                    } else {
                        score = own;
                    }
                }
            }
            Mask trainable = SensitivityPartition.partition(score, model, partition, partitionSeed);
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
            List<Batch> out = new ArrayList<>();
            int bs = Math.max(1, ctx.training().batchSize());
            for (int i = 0; i < xs.size(); i += bs) {
                out.add(Batches.of(xs.subList(i, Math.min(xs.size(), i + bs)), ctx.modelConfig().inChannels(), null, null));
            }
            return out;
        }

        @Override
        protected void saveExtra(Map<String, ModelState> states, Map<String, String> meta) {
            states.put("style-bank", bank.toState());
        }

        @Override
        protected void restoreExtra(ClientState s) {
            ModelState b = s.states().get("style-bank");
            bank = b == null || b.size() == 0 ? new StyleBank() : StyleBank.fromState(b);
        }
    }

    /** N samples without replacement (all of them when N ≥ the training set). */
    static List<Sample> draw(List<Sample> train, int n, SplittableRandom rng) {
        List<Sample> pool = new ArrayList<>(train);
        for (int i = pool.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            Sample t = pool.get(i);
            pool.set(i, pool.get(j));
            pool.set(j, t);
        }
        return pool.subList(0, Math.min(n, pool.size()));
    }

    /** The server side: the shared masked-aggregation path plus forwarding the validated style bank. */
    final class Server extends SharedModelServer {
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
