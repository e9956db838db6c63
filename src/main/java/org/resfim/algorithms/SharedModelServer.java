package org.resfim.algorithms;

import org.resfim.federation.Aggregation;
import org.resfim.federation.ClientState;
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
public class SharedModelServer implements ServerProcedure {
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

    public SharedModelServer(ModelState initial) {
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

    @Override
    public Map<String, Message> aggregate(int round, List<Reply> uploads, List<String> sites) {
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
                continue;
            }
            Long declared = declaredSamples.get(r.site());
            if (declared != null && declared != r.numSamples()) {
                rejections.put(r.site(), "it reports " + r.numSamples() + " training samples but declared " + declared
                        + " at SETUP; a site's sample count is fixed for the run");
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
    public ClientState save() {
        Map<String, String> meta = new LinkedHashMap<>();
        declaredSamples.forEach((site, n) -> meta.put(SAMPLES_META + site, Long.toString(n)));
        ledger.save(meta);
        return new ClientState(Map.of("global", global), meta);
    }

    @Override
    public void restore(ClientState state) {
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
