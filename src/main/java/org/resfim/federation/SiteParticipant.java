package org.resfim.federation;

import org.resfim.data.Augmentation;
import org.resfim.data.Sample;
import org.resfim.data.SiteDataset;
import org.resfim.engine.Adam;
import org.resfim.engine.AdamState;
import org.resfim.engine.Batch;
import org.resfim.engine.Inference;
import org.resfim.engine.LocalTrainer;
import org.resfim.engine.NonFiniteLossException;
import org.resfim.engine.TrainingHooks;
import org.resfim.engine.UNet;
import org.resfim.metrics.MetricSummary;
import org.resfim.metrics.SegmentationMetrics;
import org.resfim.model.UNetConfig;
import org.resfim.state.ModelState;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A site: its data, its algorithm's {@link ClientProcedure}, and the services the procedure uses.
 * Answers SETUP, FIT and EVALUATE; after each EVALUATE it hands its state to the {@link SiteStore}
 * (if any) so a crash loses nothing.
 */
public final class SiteParticipant implements Participant, ClientContext {
    private final SiteDataset data;
    private ClientProcedure procedure;
    private java.util.function.Supplier<ClientProcedure> offloadFactory;
    private int savedRound = -1;
    private final UNetConfig modelConfig;
    private final TrainingSettings training;
    private final int rounds;
    private final long seed;
    private final SiteStore store;
    private final Augmentation augmentation;
    private final int firstSelectableRound;
    private double bestValDice = Double.NEGATIVE_INFINITY;
    private int bestRound;
    /** What the coordinator's SETUP asked this site to apply to its uploads ({@code privacy.dp}). */
    private org.resfim.privacy.PrivacySettings privacy = org.resfim.privacy.PrivacySettings.OFF;
    /** Under privacy.dp: the values this site last received (the initial model, then every aggregate overlaid). */
    private ModelState received;
    private static final String RECEIVED = "dp.reference";
    /** Under privacy.secagg: this site's part in the round's secure aggregation. */
    private org.resfim.federation.secagg.SecAggSite secagg;

    public SiteParticipant(SiteDataset data, ClientProcedure procedure, UNetConfig modelConfig, TrainingSettings training,
                           int rounds, long seed, SiteStore store, int firstSelectableRound, Augmentation augmentation) {
        this.augmentation = augmentation;
        this.firstSelectableRound = firstSelectableRound;
        this.data = data;
        this.procedure = procedure;
        this.modelConfig = modelConfig;
        this.training = training;
        this.rounds = rounds;
        this.seed = seed;
        this.store = store;
    }

    @Override
    public String name() {
        return data.name();
    }

    /**
     * Keep this site's algorithm state on disk between rounds instead of in memory: after each EVALUATE the
     * procedure is dropped (its state was just saved to the store) and rebuilt from {@code factory} and the
     * store at the next request. Exact (the state files are bit-exact), so results do not change; a
     * simulation of many sites then needs memory for one site's state at a time.
     */
    public SiteParticipant offloadWith(java.util.function.Supplier<ClientProcedure> factory) {
        if (store == null) {
            throw new IllegalStateException("offloading site state needs a state store");
        }
        this.offloadFactory = factory;
        return this;
    }

    private void reload() {
        if (procedure == null) {
            ClientProcedure p = offloadFactory.get();
            p.restore(store.load(name(), savedRound));
            procedure = p;
        }
    }

    public ClientProcedure procedure() {
        if (procedure == null) {
            reload();
        }
        return procedure;
    }

    @Override
    public Reply handle(Request request) throws ParticipantException {
        try {
            if (procedure == null && request.phase() != Phase.SETUP) {
                reload();
            }
            switch (request.phase()) {
                case SETUP: {
                    if (procedure == null) {
                        procedure = offloadFactory.get();
                    }
                    if (request.round() > 0) {
                        if (store == null) {
                            throw new ParticipantException(name(), "cannot resume: no state store", true, null);
                        }
                        ProcedureState saved = store.load(name(), request.round());
                        procedure.restore(saved);
                        privacy = org.resfim.privacy.PrivacySettings.fromMeta(request.message().meta());
                        if (!privacy.active() && !privacy.secagg() && !privacy.styleActive()) {
                            // a restore that does not repeat them keeps the settings this site's saved state was made under
                            privacy = org.resfim.privacy.PrivacySettings.fromMeta(saved.meta());
                        }
                        received = saved.states().get(RECEIVED);
                        if (privacy.active() && received == null) {
                            throw new ParticipantException(name(), "cannot resume with privacy.dp: the saved state of round "
                                    + request.round() + " has no received reference (was the run started without privacy?)", true, null);
                        }
                        savedRound = request.round();
                        bestValDice = Double.parseDouble(saved.meta().getOrDefault("site.best_val_dice", "-Infinity"));
                        bestRound = Integer.parseInt(saved.meta().getOrDefault("site.best_round", "0"));
                        return new Reply(name(), Phase.SETUP, request.round(), null, data.train().size(), null, null);
                    }
                    privacy = org.resfim.privacy.PrivacySettings.fromMeta(request.message().meta());
                    received = privacy.active() || privacy.secagg() ? request.message().tensors().copy() : null;
                    Message up = procedure.setup(this, request.message().tensors());
                    if (privacy.styleActive() && up != null) { // shared style windows through the Gaussian mechanism before they leave
                        ModelState style = org.resfim.privacy.StyleDp.apply(up.tensors(), privacy,
                                privacy.secureNoise() ? new java.security.SecureRandom() : random(0, "style-dp"));
                        if (style != up.tensors()) {
                            up = new Message(style, up.mask(), up.meta());
                        }
                    }
                    return new Reply(name(), Phase.SETUP, 0, up, data.train().size(), null, null);
                }
                case FIT: {
                    double startedAt = System.currentTimeMillis() / 1e3;
                    long t = System.nanoTime();
                    Message up = procedure.fit(this, request.round(), request.message());
                    Map<String, Double> stats = new java.util.LinkedHashMap<>(procedure.stats());
                    stats.put("started_at", startedAt); // wall clock (epoch seconds): when the sites' training overlapped
                    if (privacy.active() && up != null && up.tensors().size() > 0) {
                        // the one client-side upload path: clip the update, and in local mode noise it, before it leaves
                        org.resfim.privacy.SiteDp.Result dp = org.resfim.privacy.SiteDp.apply(up.tensors(), up.mask(), received, privacy,
                                privacy.secureNoise() ? new java.security.SecureRandom() : random(request.round(), "dp-noise"));
                        if (dp.upload() != up.tensors()) {
                            up = new Message(dp.upload(), up.mask(), up.meta());
                        }
                        stats.put("dp_update_norm", dp.norm());
                        stats.put("dp_clipped", dp.clipped() ? 1.0 : 0.0);
                    }
                    if (privacy.secagg() && up != null && up.tensors().size() > 0) {
                        // the values stay here; the mask (metadata) and fresh public keys go; the values follow masked (SECAGG)
                        secagg = new org.resfim.federation.secagg.SecAggSite(name());
                        up = secagg.fit(request.round(), up, received != null ? received : procedure.model());
                        stats.put("fit_seconds", (System.nanoTime() - t) / 1e9);
                        stats.put("upload_bytes", (double) secagg.maskedBytes());
                        return new Reply(name(), Phase.FIT, request.round(), up, data.train().size(), null, stats);
                    }
                    stats.put("fit_seconds", (System.nanoTime() - t) / 1e9);
                    stats.put("upload_bytes", (double) (up == null ? 0 : up.payloadBytes()));
                    return new Reply(name(), Phase.FIT, request.round(), up, data.train().size(), null, stats);
                }
                case EVALUATE: {
                    if (received != null && request.message().tensors().size() > 0) {
                        received = received.overlay(request.message().tensors());
                    }
                    procedure.receive(this, request.round(), request.message());
                    List<ImageScore> scores = evaluate(procedure.model());
                    double val = meanDice(scores, "val");
                    if (EvaluationSettings.replacesSelected(request.round(), val, firstSelectableRound, bestRound, bestValDice)) {
                        bestValDice = val;
                        bestRound = request.round();
                        if (store != null) {
                            store.saveBest(name(), request.round(), val, procedure.model());
                        }
                    }
                    if (store != null) {
                        ProcedureState s = procedure.save();
                        s.meta().put("site.best_val_dice", Double.toString(bestValDice));
                        s.meta().put("site.best_round", Integer.toString(bestRound));
                        if (received != null) {
                            s.states().put(RECEIVED, received);
                        }
                        s.meta().putAll(privacy.toMeta());
                        store.save(name(), request.round(), s);
                        savedRound = request.round();
                        if (offloadFactory != null) {
                            procedure = null;
                        }
                    }
                    return new Reply(name(), Phase.EVALUATE, request.round(), null, data.train().size(), scores, null);
                }
                case SECAGG: {
                    if (secagg == null) {
                        throw new ParticipantException(name(), "no upload of round " + request.round() + " to aggregate securely", false, null);
                    }
                    Message m = secagg.exchange(request.round(), request.message(), privacy, privacy.secureNoise()
                            ? new java.security.SecureRandom() : random(request.round(), "dp-distributed-noise"));
                    return new Reply(name(), Phase.SECAGG, request.round(), m, data.train().size(), null, null);
                }
                default:
                    throw new IllegalStateException("unknown phase " + request.phase());
            }
        } catch (NonFiniteLossException e) {
            throw new ParticipantException(name(), e.getMessage(), true, e);
        }
    }

    static double meanDice(List<ImageScore> scores, String split) {
        double sum = 0;
        int n = 0;
        for (ImageScore s : scores) {
            if (s.split().equals(split)) {
                sum += s.metrics().dice();
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Per-image metrics of {@code model} on the validation and test images (prediction: sigmoid > 0.5). */
    public List<ImageScore> evaluate(ModelState model) {
        List<ImageScore> out = new ArrayList<>();
        try (UNet net = open(model)) {
            score(net, data.val(), "val", out);
            score(net, data.test(), "test", out);
        }
        return out;
    }

    private void score(UNet net, List<Sample> samples, String split, List<ImageScore> out) {
        int bs = Math.max(1, training.batchSize());
        for (int i = 0; i < samples.size(); i += bs) {
            List<Sample> chunk = samples.subList(i, Math.min(samples.size(), i + bs));
            Batch b = Batches.of(chunk, modelConfig.inChannels(), null, null);
            float[] logits = Inference.logits(net, b);
            int hw = b.height() * b.width();
            for (int j = 0; j < chunk.size(); j++) {
                boolean[] pred = new boolean[hw];
                boolean[] truth = new boolean[hw];
                float[] mask = chunk.get(j).mask();
                for (int p = 0; p < hw; p++) {
                    pred[p] = logits[j * hw + p] > 0f;
                    truth[p] = mask[p] > 0.5f;
                }
                MetricSummary m = SegmentationMetrics.summary(pred, truth, b.width(), b.height());
                out.add(new ImageScore(split, chunk.get(j).id(), m));
            }
        }
    }

    // ------------------------------------------------------------------ ClientContext

    @Override
    public String site() {
        return name();
    }

    @Override
    public long seed() {
        return seed;
    }

    @Override
    public int rounds() {
        return rounds;
    }

    @Override
    public UNetConfig modelConfig() {
        return modelConfig;
    }

    @Override
    public TrainingSettings training() {
        return training;
    }

    @Override
    public List<Sample> trainSamples() {
        return data.train();
    }

    @Override
    public SplittableRandom random(int round, String purpose) {
        long h = seed * 0x9E3779B97F4A7C15L;
        h = 31 * h + name().hashCode();
        h = 31 * h + round;
        h = 31 * h + purpose.hashCode();
        return new SplittableRandom(h);
    }

    @Override
    public List<Batch> epochBatches(int round, int epoch, String purpose, SampleTransform transform) {
        SplittableRandom r = random(round, purpose + "/epoch" + epoch);
        List<Sample> order = Batches.shuffled(data.train(), r);
        Random aug = new Random(r.nextLong());
        Augmentation a = augmentation;
        List<Batch> batches = new ArrayList<>();
        for (List<Sample> chunk : Batches.chunks(order, training.batchSize())) {
            List<Sample> xs = new ArrayList<>();
            for (Sample s : chunk) {
                xs.add(transform == null ? s : transform.apply(s, aug));
            }
            batches.add(Batches.of(xs, modelConfig.inChannels(), a, aug));
        }
        return batches;
    }

    @Override
    public Trained train(ModelState start, AdamState optimizer, int round, int epochs, String purpose,
                         Function<UNet, TrainingHooks> hooks, SampleTransform transform) {
        try (UNet net = open(start); Adam adam = Adam.standard(net, training.weightDecay(), optimizer)) {
            TrainingHooks h = hooks == null ? TrainingHooks.NONE : hooks.apply(net);
            try {
                double lr = training.learningRate(round, rounds);
                int steps = 0;
                double sum = 0;
                double last = Double.NaN;
                for (int e = 0; e < epochs; e++) {
                    LocalTrainer.Result r = LocalTrainer.train(net, adam, epochBatches(round, e, purpose, transform), lr, h);
                    steps += r.steps();
                    sum += r.meanLoss() * r.steps();
                    last = r.lastLoss();
                }
                return new Trained(net.toState(), adam.export(net), new LocalTrainer.Result(steps, steps == 0 ? Double.NaN : sum / steps, last));
            } finally {
                if (h instanceof AutoCloseable c) {
                    try {
                        c.close();
                    } catch (Exception ex) {
                        throw new IllegalStateException(ex);
                    }
                }
            }
        }
    }

    @Override
    public UNet open(ModelState state) {
        return UNet.fromState(modelConfig, state);
    }
}
