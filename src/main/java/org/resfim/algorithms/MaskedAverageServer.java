package org.resfim.algorithms;

import org.resfim.federation.Aggregation;
import org.resfim.federation.ProcedureState;
import org.resfim.federation.Message;
import org.resfim.federation.Reply;
import org.resfim.federation.ServerProcedure;
import org.resfim.federation.UploadSummary;
import org.resfim.privacy.CentralNoise;
import org.resfim.privacy.PrivacyLedger;
import org.resfim.privacy.PrivacySettings;
import org.resfim.state.Mask;
import org.resfim.state.MaskedAverage;
import org.resfim.state.ModelState;
import org.resfim.state.StateOps;
import org.resfim.state.StateValidator;
import org.resfim.state.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * THE aggregation path: for every element p, θ_g[p] = Σ_k w_k (1 − m_k[p]) θ_k[p] / Σ_k w_k (1 − m_k[p]),
 * w_k ∝ training samples (METHOD.md step 6). A tensor a site did not upload counts as personal for that
 * site; an element no site shares keeps its previous global value. FedAvg is the case of no masks.
 * Every site receives the tensors shared in the round.
 *
 * <p>Bounded influence ({@link Aggregation}, {@code federation.*}): a site's sample count is the one it declared at
 * SETUP (or with its first accepted upload, if it missed SETUP) and stays fixed for the run, an upload with another
 * count is refused; the weight may be capped or equal for all; an update (shared values minus the global model)
 * larger than {@code clip_norm} is scaled down to it; and the mean may be replaced per element by the median or
 * the trimmed mean of the sharing sites ({@link StateOps#maskedAverage(List, List, double[], ModelState,
 * org.resfim.state.Aggregator)}). Every accepted upload's count, weight and update norm is reported
 * ({@link #lastUploads()}).
 *
 * <p>Differential privacy ({@code privacy.dp}, {@link org.resfim.privacy}): the sites clip (and in local mode noise)
 * their updates before upload; in central mode this server re-checks every update against the clip norm and adds the
 * Gaussian noise σ·C to the weighted sums ({@link CentralNoise}); a noisy aggregate's BatchNorm running variances are
 * kept non-negative; every accepted upload reports its site's ε after the round ({@link PrivacyLedger}).
 */
public class MaskedAverageServer implements ServerProcedure {
    private static final String SAMPLES_META = "samples.";
    protected ModelState global;
    private Mask lastUnshared;
    private Aggregation aggregation = Aggregation.DEFAULT;
    private final Map<String, Long> declaredSamples = new LinkedHashMap<>();
    private final Map<String, String> rejections = new LinkedHashMap<>();
    private final List<UploadSummary> summaries = new ArrayList<>();
    private final PrivacyLedger ledger = new PrivacyLedger();
    /** The seeded central-noise streams derive from the initial model (itself from the run's seed) and the round. */
    private final long noiseSeed;

    public MaskedAverageServer(ModelState initial) {
        this.global = initial.copy();
        long h = 1125899906842597L;
        for (Tensor t : initial.tensors()) {
            h = 31 * h + t.name().hashCode();
            for (float v : t.data()) {
                h = 31 * h + Float.floatToIntBits(v);
            }
        }
        this.noiseSeed = h;
    }

    @Override
    public void configure(Aggregation aggregation) {
        this.aggregation = aggregation;
    }

    public Aggregation aggregation() {
        return aggregation;
    }

    /** Records every site's declared training-sample count; it stays fixed for the run. */
    @Override
    public Message setup(List<Reply> replies) {
        for (Reply r : replies) {
            if (r.numSamples() > 0) {
                declaredSamples.put(r.site(), r.numSamples());
            }
        }
        return Message.empty();
    }

    private Exchange exchange;

    @Override
    public void connect(Exchange exchange) {
        this.exchange = exchange;
    }

    @Override
    public Map<String, Message> aggregate(int round, List<Reply> uploads, List<String> sites) {
        if (aggregation.privacy().secagg()) {
            return secureAggregate(round, uploads, sites);
        }
        List<ModelState> states = new ArrayList<>();
        List<Mask> masks = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        List<Reply> accepted = new ArrayList<>();
        Set<String> shared = new LinkedHashSet<>();
        rejections.clear();
        summaries.clear();
        // Validation reads every value of every upload: do the uploads in parallel.
        Map<Reply, String> verdicts = new java.util.concurrent.ConcurrentHashMap<>();
        uploads.parallelStream().filter(r -> r.upload().tensors().size() > 0).forEach(r -> {
            String v = validate(r);
            if (v != null) {
                verdicts.put(r, v);
            }
        });
        for (Reply r : uploads) {
            Message up = r.upload();
            if (up.tensors().size() == 0) {
                continue;
            }
            String bad = verdicts.get(r);
            if (bad != null) {
                rejections.put(r.site(), bad);
                ledger.recordRefused(r.site(), aggregation.privacy());
                continue;
            }
            Long declared = declaredSamples.get(r.site());
            if (declared != null && declared != r.numSamples()) {
                rejections.put(r.site(), "it reports " + r.numSamples() + " training samples but declared " + declared
                        + " at SETUP; a site's sample count is fixed for the run");
                ledger.recordRefused(r.site(), aggregation.privacy());
                continue;
            }
            declaredSamples.putIfAbsent(r.site(), r.numSamples());
            // The upload's own tensors where it sent them, the current global (shared, not copied) elsewhere:
            // those tensors are marked personal below, so their values never enter the average.
            ModelState full = new ModelState();
            for (Tensor t : global.tensors()) {
                full.put(up.tensors().contains(t.name()) ? up.tensors().get(t.name()) : t);
            }
            Mask m = Mask.wholeTensors(global, t -> !up.tensors().contains(t.name()));
            if (up.mask() != null) {
                for (String name : up.mask().names()) {
                    m.setBits(name, up.mask().bits(name));
                }
            }
            states.add(full);
            masks.add(m);
            weights.add(aggregation.weight(r.numSamples()));
            accepted.add(r);
            shared.addAll(up.tensors().names());
        }
        Map<String, Message> out = new LinkedHashMap<>();
        if (states.isEmpty()) {
            return out;
        }
        // Each upload's update norm over the elements it shares (for the record, and for clipping).
        double[] norms = new double[states.size()];
        java.util.stream.IntStream.range(0, states.size()).parallel()
                .forEach(k -> norms[k] = StateOps.maskedDistance(states.get(k), global, masks.get(k)));
        double clip = aggregation.clipNorm();
        PrivacySettings dp = aggregation.privacy();
        // central DP: the sites clipped to C against what they received; an update beyond C (beyond float rounding) is
        // scaled down here, so the sensitivity the noise is calibrated to holds whatever a site sent
        double dpClip = dp.mode() == PrivacySettings.Mode.CENTRAL && dp.clip() > 0 ? dp.clip() : 0;
        double maxWeight = 0;
        for (long n : declaredSamples.values()) {
            maxWeight = Math.max(maxWeight, aggregation.weight(n));
        }
        for (double x : weights) {
            maxWeight = Math.max(maxWeight, x);
        }
        for (int k = 0; k < states.size(); k++) {
            double limit = clip > 0 && norms[k] > clip ? clip : Double.POSITIVE_INFINITY;
            if (dpClip > 0 && norms[k] > dpClip * (1 + 1e-5)) {
                limit = Math.min(limit, dpClip);
            }
            boolean clipped = limit < norms[k];
            if (clipped) {
                states.set(k, StateOps.scaleUpdate(states.get(k), global, masks.get(k), limit / norms[k]));
            }
            Reply r = accepted.get(k);
            double eps = dp.active() ? ledger.record(r.site(), round, dp, weights.get(k), maxWeight) : Double.NaN;
            summaries.add(new UploadSummary(r.site(), r.numSamples(), weights.get(k), norms[k], clipped, eps));
        }
        double[] w = weights.stream().mapToDouble(Double::doubleValue).toArray();
        MaskedAverage avg = StateOps.maskedAverage(states, masks, w, global, aggregation.aggregator());
        global = avg.global();
        if (dp.active() && dp.noiseStd() > 0) {
            if (dp.mode() == PrivacySettings.Mode.CENTRAL) {
                java.util.random.RandomGenerator rng = dp.secureNoise() ? new java.security.SecureRandom()
                        : new java.util.SplittableRandom(noiseSeed * 0x9E3779B97F4A7C15L + round);
                global = CentralNoise.add(global, masks, w, maxWeight, dp.noiseStd(), rng);
            }
            global = CentralNoise.clampVariances(global);
        }
        lastUnshared = avg.unshared();
        ModelState down = global.filter((Tensor t) -> shared.contains(t.name()));
        for (String s : sites) {
            out.put(s, Message.of(down));
        }
        return out;
    }

    /**
     * The same masked average under secure aggregation ({@link org.resfim.privacy.secagg}): every site's FIT answer
     * carries its mask (in the clear) and public keys but no values; the values arrive masked through the exchange
     * steps, each already multiplied by the site's weight w_k / w_max, and this server learns per element only
     * Σ_k w̃_k θ_k over the sites sharing it, divides by Σ_k w̃_k (from the masks) and adds central noise if configured.
     * Sites that vanish during the steps are recovered from Shamir shares; a round with fewer than t sites is refused and
     * leaves the global model as it was.
     */
    private Map<String, Message> secureAggregate(int round, List<Reply> uploads, List<String> sites) {
        rejections.clear();
        summaries.clear();
        PrivacySettings dp = aggregation.privacy();
        org.resfim.privacy.secagg.FixedPoint fp = new org.resfim.privacy.secagg.FixedPoint(dp.ringBits(), dp.ringRange());
        List<String> names = new ArrayList<>(global.names());
        List<Integer> sizes = new ArrayList<>();
        global.tensors().forEach(t -> sizes.add(t.size()));
        org.resfim.federation.secagg.SecAggWire.Layout layout = new org.resfim.federation.secagg.SecAggWire.Layout(names, sizes);
        double maxWeight = 0;
        for (long n : declaredSamples.values()) {
            maxWeight = Math.max(maxWeight, aggregation.weight(n));
        }
        List<org.resfim.privacy.secagg.SecAgg.Keys> keys = new ArrayList<>();
        Map<String, Reply> bySite = new LinkedHashMap<>();
        for (Reply r : uploads) {
            Message up = r.upload();
            if (up.mask() == null && up.tensors().size() == 0) {
                continue; // nothing shared (Local)
            }
            String bad = null;
            try {
                if (!org.resfim.federation.secagg.SecAggWire.hasKeys(up.meta())) {
                    bad = "under privacy.secagg its FIT answer must carry its public keys and mask, not values";
                } else if (up.tensors().size() > 0) {
                    bad = "under privacy.secagg it sent values in the clear";
                } else {
                    up.mask().requireMatches(global);
                    if (up.mask().tensorCount() != global.size()) {
                        bad = "its mask covers " + up.mask().tensorCount() + " tensors, the model has " + global.size();
                    }
                }
                if (r.numSamples() <= 0) {
                    bad = "it reports " + r.numSamples() + " training samples";
                }
            } catch (IllegalArgumentException e) {
                bad = "upload rejected: " + e.getMessage();
            }
            Long declared = declaredSamples.get(r.site());
            if (bad == null && declared != null && declared != r.numSamples()) {
                bad = "it reports " + r.numSamples() + " training samples but declared " + declared + " at SETUP; a site's sample count is fixed for the run";
            }
            if (bad != null) {
                rejections.put(r.site(), bad);
                continue;
            }
            declaredSamples.putIfAbsent(r.site(), r.numSamples());
            maxWeight = Math.max(maxWeight, aggregation.weight(r.numSamples()));
            bySite.put(r.site(), r);
        }
        for (Reply r : bySite.values()) {
            java.util.BitSet shared = new java.util.BitSet(layout.length());
            int off = 0;
            for (Tensor t : global.tensors()) {
                java.util.BitSet personal = r.upload().mask().bits(t.name());
                for (int i = 0; i < t.size(); i++) {
                    if (!personal.get(i)) {
                        shared.set(off + i);
                    }
                }
                off += t.size();
            }
            byte[][] k = org.resfim.federation.secagg.SecAggWire.readKeys(r.upload().meta());
            keys.add(new org.resfim.privacy.secagg.SecAgg.Keys(r.site(), k[0], k[1], shared, aggregation.weight(r.numSamples()) / maxWeight));
        }
        Map<String, Message> out = new LinkedHashMap<>();
        if (keys.isEmpty()) {
            return out;
        }
        if (exchange == null) {
            throw new IllegalStateException("privacy.secagg: the server has no way to reach the sites (connect was not called)");
        }
        org.resfim.federation.secagg.SecureRound.Result res;
        try {
            res = org.resfim.federation.secagg.SecureRound.run(round, layout, keys, dp.threshold(keys.size()),
                    new org.resfim.federation.secagg.SecureRound.Channel() {
                        @Override
                        public Message call(String site, Message request) throws org.resfim.federation.ParticipantException {
                            return exchange.call(site, round, request);
                        }

                        @Override
                        public List<org.resfim.federation.Transport.Outcome> callAll(Map<String, Message> requests) {
                            return exchange.callAll(round, requests);
                        }
                    });
        } catch (org.resfim.privacy.secagg.SecAggException e) {
            rejections.put("*", e.getMessage());
            return out; // nothing aggregated: every site keeps what it has
        }
        rejections.putAll(res.dropped());
        org.resfim.privacy.secagg.SecAgg.Sum sum = res.sum();
        ModelState next = new ModelState();
        java.util.Set<String> shared = new LinkedHashSet<>();
        java.util.random.RandomGenerator rng = dp.mode() == PrivacySettings.Mode.CENTRAL && dp.noiseStd() > 0
                ? (dp.secureNoise() ? new java.security.SecureRandom() : new java.util.SplittableRandom(noiseSeed * 0x9E3779B97F4A7C15L + round)) : null;
        int off = 0;
        for (Tensor t : global.tensors()) {
            float[] v = t.data().clone();
            for (int i = 0; i < v.length; i++) {
                int e = off + i;
                if (sum.covered().get(e)) {
                    double numerator = fp.decode(sum.ring()[e]);
                    if (rng != null) {
                        numerator += dp.noiseStd() * rng.nextGaussian();
                    }
                    v[i] = (float) (numerator / sum.weights()[e]);
                    shared.add(t.name());
                }
            }
            next.put(t.withData(v));
            off += t.size();
        }
        global = dp.noiseStd() > 0 && dp.active() ? CentralNoise.clampVariances(next) : next;
        for (String s : sum.survivors()) {
            Reply r = bySite.get(s);
            double w = aggregation.weight(r.numSamples());
            double eps = dp.active() ? ledger.record(s, round, dp, w, maxWeight) : Double.NaN;
            summaries.add(new UploadSummary(s, r.numSamples(), w, Double.NaN, false, eps));
        }
        ModelState down = global.filter((Tensor t) -> shared.contains(t.name()));
        for (String s : sites) {
            out.put(s, Message.of(down));
        }
        return out;
    }

    /**
     * Why an upload cannot be used, or null: unknown tensors, wrong shapes, non-finite values, a mask of the
     * wrong length, a non-positive sample count. A hostile or broken upload is dropped, not aggregated.
     */
    protected String validate(Reply r) {
        try {
            StateValidator.validate(global, r.upload().tensors(), global.numElements());
            if (r.upload().mask() != null) {
                r.upload().mask().requireMatches(r.upload().tensors());
            }
            if (r.numSamples() <= 0) {
                return "it reports " + r.numSamples() + " training samples";
            }
            return null;
        } catch (IllegalArgumentException e) {
            return "upload rejected: " + e.getMessage();
        }
    }

    @Override
    public Map<String, String> lastRejections() {
        return Map.copyOf(rejections);
    }

    @Override
    public List<UploadSummary> lastUploads() {
        return List.copyOf(summaries);
    }

    /** The training-sample count each site declared (fixed for the run). */
    public Map<String, Long> declaredSamples() {
        return Map.copyOf(declaredSamples);
    }

    public ModelState global() {
        return global;
    }

    /** Elements no site shared in the last aggregation. */
    public Mask lastUnshared() {
        return lastUnshared;
    }

    @Override
    public ProcedureState save() {
        Map<String, String> meta = new LinkedHashMap<>();
        declaredSamples.forEach((site, n) -> meta.put(SAMPLES_META + site, Long.toString(n)));
        ledger.save(meta);
        return new ProcedureState(Map.of("global", global), meta);
    }

    @Override
    public void restore(ProcedureState state) {
        global = state.states().get("global");
        declaredSamples.clear();
        state.meta().forEach((k, v) -> {
            if (k.startsWith(SAMPLES_META)) {
                declaredSamples.put(k.substring(SAMPLES_META.length()), Long.parseLong(v));
            }
        });
        ledger.restore(state.meta());
    }
}
