package org.resfim.algorithms;

import org.resfim.config.ConfigException;
import org.resfim.config.ConfigKey;
import org.resfim.config.Section;
import org.resfim.data.Sample;
import org.resfim.engine.Batch;
import org.resfim.engine.Gradients;
import org.resfim.engine.Inference;
import org.resfim.engine.UNet;
import org.resfim.federation.Algorithm;
import org.resfim.federation.Batches;
import org.resfim.federation.ClientContext;
import org.resfim.federation.ClientProcedure;
import org.resfim.federation.ProcedureState;
import org.resfim.federation.Message;
import org.resfim.federation.ServerProcedure;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * FedALA (Zhang et al. 2023): adaptive local aggregation. When a site receives the global model θ_g it
 * builds its starting model from θ_g and its own model θ_k (the model it trained last):
 * <pre>
 *   θ̂ = θ_k + (θ_g − θ_k) ⊙ W     on the top trainable tensors (computed as W·θ_g + (1−W)·θ_k, so W = 1 gives θ_g exactly)
 *   θ̂ = θ_g                       on every other tensor (lower layers, all BatchNorm running statistics)
 * </pre>
 * The element-wise weights W ∈ [0,1] (initially 1, kept across rounds) are learned on a random fraction
 * {@code sample_fraction} of the site's training images (no augmentation, training batch size), per batch:
 * <pre>
 *   W ← clip(W − eta · ∂ℓ(θ̂)/∂θ̂ ⊙ (θ_g − θ_k), 0, 1);   θ̂ recomputed from W
 * </pre>
 * (gradient with BatchNorm in training mode). The first time ALA runs, passes over the sample repeat until the
 * mean loss of a pass changes by less than {@code threshold} from the previous pass, at most {@code max_steps}
 * passes; later rounds make one pass. ALA is skipped (θ̂ = θ_g) while θ_g equals θ_k on the top tensors, as
 * the reference implementation does at the start. θ̂ is the evaluated model; the next round trains it E
 * epochs through the one training loop and uploads everything to a FedAvg server.
 *
 * <p>Top tensors ({@code layers}): {@code auto} = the decoder's last stage and the head (14 trainable tensors
 * of the BatchNorm U-Net of depth ≥ 3), or a count p = the last p trainable tensors in network order.
 * Cost: each ALA batch is one forward and a full backward pass (the engine has no partial backward), plus one
 * evaluation-mode forward per batch during the first, converging ALA for its stopping test.
 */
public final class FedAla implements Algorithm {
    public static final String NAME = "fedala";
    public static final List<ConfigKey> KEYS = List.of(
            new ConfigKey(NAME, "layers", "auto", "tensors with learned weights: 'auto' (decoder's last stage + head) or a count p of top trainable tensors"),
            new ConfigKey(NAME, "sample_fraction", 0.8, "fraction s of the site's training images used to learn the weights"),
            new ConfigKey(NAME, "eta", 1.0, "step size η of the weight learning"),
            new ConfigKey(NAME, "threshold", 0.01, "first ALA: stop when the mean loss of a pass changes by less than this"),
            new ConfigKey(NAME, "max_steps", 20, "first ALA: at most this many passes over the sample"));
    private final String spec;
    private final int layers; // 0 = auto
    private final double sampleFraction;
    private final double eta;
    private final double threshold;
    private final int maxSteps;

    public FedAla(String spec, Map<String, Object> params) {
        this.spec = spec;
        Section s = new Section(NAME, params, KEYS);
        String l = s.getString("layers").trim().toLowerCase(Locale.ROOT);
        if (l.equals("auto")) {
            this.layers = 0;
        } else {
            int p;
            try {
                p = Integer.parseInt(l);
            } catch (NumberFormatException e) {
                throw new ConfigException(NAME + ".layers must be 'auto' or a positive number of tensors, got '" + l + "'");
            }
            if (p < 1) {
                throw new ConfigException(NAME + ".layers must be 'auto' or a positive number of tensors, got " + p);
            }
            this.layers = p;
        }
        this.sampleFraction = s.getDouble("sample_fraction", 0, 1, false, true);
        this.eta = s.getDouble("eta", 0, 1e9, true, true);
        this.threshold = s.getDouble("threshold", 0, 1e9, true, true);
        this.maxSteps = s.getInt("max_steps", 1, 100000);
    }

    @Override
    public String spec() {
        return spec;
    }

    @Override
    public ClientProcedure newClient(String site) {
        return new Client();
    }

    @Override
    public ServerProcedure newServer(ModelState initial) {
        return new MaskedAverageServer(initial);
    }

    /** Names of the tensors that get weights: trainable, from the top of the network. */
    static List<String> topTensors(ModelState layout, int count) {
        List<Tensor> trainable = new ArrayList<>();
        for (Tensor t : layout.tensors()) {
            if (t.role().trainable()) {
                trainable.add(t);
            }
        }
        List<String> out = new ArrayList<>();
        if (count > 0) {
            if (count > trainable.size()) {
                throw new ConfigException(NAME + ".layers = " + count + " but the model has only " + trainable.size()
                        + " trainable tensors");
            }
            for (Tensor t : trainable.subList(trainable.size() - count, trainable.size())) {
                out.add(t.name());
            }
            return out;
        }
        int last = -1;
        for (Tensor t : trainable) {
            if (t.name().startsWith("u.")) {
                int dot = t.name().indexOf('.', 2);
                last = Math.max(last, Integer.parseInt(t.name().substring(2, dot)));
            }
        }
        String stage = "u." + last + ".";
        for (Tensor t : trainable) {
            if (t.part() == NetworkPart.HEAD || (last >= 0 && t.name().startsWith(stage))) {
                out.add(t.name());
            }
        }
        return out;
    }

    /**
     * θ̂: W·θ_g + (1−W)·θ_k (in double, rounded once) on the tensors of {@code weights}, θ_g on every other tensor.
     * Tensors of θ_g are shared with the result, not copied.
     */
    static ModelState combine(ModelState local, ModelState global, ModelState weights) {
        ModelState out = new ModelState();
        for (Tensor g : global.tensors()) {
            out.put(weights.contains(g.name()) ? mix(local.get(g.name()), g, weights.get(g.name())) : g);
        }
        return out;
    }

    /** Only the weighted tensors of {@link #combine}. */
    static ModelState combineTop(ModelState local, ModelState global, ModelState weights) {
        ModelState out = new ModelState();
        for (Tensor w : weights.tensors()) {
            out.put(mix(local.get(w.name()), global.get(w.name()), w));
        }
        return out;
    }

    private static Tensor mix(Tensor local, Tensor global, Tensor weight) {
        float[] k = local.data();
        float[] g = global.data();
        float[] w = weight.data();
        float[] out = new float[g.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) ((double) w[i] * g[i] + (1.0 - w[i]) * k[i]);
        }
        return global.withData(out);
    }

    /** One weight-learning step: W ← clip(W − η·grad ⊙ (θ_g − θ_k), 0, 1); returns new weights. */
    static ModelState updateWeights(ModelState weights, ModelState grad, ModelState local, ModelState global, double eta) {
        ModelState out = new ModelState();
        for (Tensor w : weights.tensors()) {
            float[] wd = w.data();
            float[] gd = grad.get(w.name()).data();
            float[] kd = local.get(w.name()).data();
            float[] gl = global.get(w.name()).data();
            float[] nw = new float[wd.length];
            for (int i = 0; i < wd.length; i++) {
                double v = wd[i] - eta * gd[i] * ((double) gl[i] - kd[i]);
                nw[i] = (float) (v >= 1 ? 1 : v > 0 ? v : 0); // NaN → 0: the site falls back to its own value
            }
            out.put(w.withData(nw));
        }
        return out;
    }

    static ModelState ones(ModelState layout, List<String> names) {
        ModelState out = new ModelState();
        for (String n : names) {
            Tensor t = layout.get(n);
            float[] d = new float[t.size()];
            Arrays.fill(d, 1f);
            out.put(t.withData(d));
        }
        return out;
    }

    /** The site side: {@code model} is θ̂ after receive and θ_k after local training. */
    final class Client extends PartitionedClient {
        private ModelState weights;
        private boolean startPhase = true;
        private final Map<String, Double> alaStats = new LinkedHashMap<>();

        @Override
        protected Mask initialMask(ModelState layout) {
            return Mask.allInvariant(layout);
        }

        @Override
        public Message setup(ClientContext ctx, ModelState initial) {
            Message m = super.setup(ctx, initial);
            weights = ones(initial, topTensors(initial, layers));
            return m;
        }

        @Override
        protected void train(ClientContext ctx, int round) {
            super.train(ctx, round);
            stats.putAll(alaStats);
        }

        @Override
        public void receive(ClientContext ctx, int round, Message aggregate) {
            if (aggregate == null || aggregate.tensors().size() == 0) {
                return;
            }
            ModelState global = model.overlay(aggregate.tensors());
            model = adapt(ctx, round, model, global);
        }

        private ModelState adapt(ClientContext ctx, int round, ModelState local, ModelState global) {
            alaStats.clear();
            boolean same = true;
            for (Tensor w : weights.tensors()) {
                same &= Arrays.equals(local.get(w.name()).data(), global.get(w.name()).data());
            }
            List<Batch> batches = sample(ctx, round);
            if (same || batches.isEmpty()) {
                return combine(local, global, weights);
            }
            int passes = 0;
            double previous = Double.NaN;
            double mean = Double.NaN;
            try (UNet net = ctx.open(combine(local, global, weights))) {
                while (true) {
                    double sum = 0;
                    for (Batch b : batches) {
                        if (startPhase) {
                            sum += Inference.loss(net, b);
                        }
                        ModelState grad = Gradients.batch(net, b, true);
                        weights = updateWeights(weights, grad, local, global, eta);
                        net.load(combineTop(local, global, weights));
                    }
                    passes++;
                    if (!startPhase) {
                        break;
                    }
                    mean = sum / batches.size();
                    if (passes >= maxSteps || (passes >= 2 && Math.abs(mean - previous) < threshold)) {
                        break;
                    }
                    previous = mean;
                }
            }
            if (startPhase) {
                alaStats.put("ala_loss", mean);
            }
            startPhase = false;
            alaStats.put("ala_passes", (double) passes);
            double sum = 0;
            long n = 0;
            for (Tensor w : weights.tensors()) {
                for (float v : w.data()) {
                    sum += v;
                }
                n += w.size();
            }
            alaStats.put("ala_weight_mean", sum / n);
            return combine(local, global, weights);
        }

        /** A random {@code sample_fraction} of the training images, in batches of the training batch size. */
        private List<Batch> sample(ClientContext ctx, int round) {
            List<Sample> train = ctx.trainSamples();
            if (train.isEmpty()) {
                return new ArrayList<>();
            }
            int k = Math.max(1, (int) Math.floor(sampleFraction * train.size()));
            List<Sample> drawn = Batches.shuffled(train, ctx.random(round, "fedala")).subList(0, k);
            return Batches.of(drawn, ctx.training().batchSize(), ctx.modelConfig().inChannels());
        }

        ModelState weights() {
            return weights;
        }

        boolean startPhase() {
            return startPhase;
        }

        /** Test access: replace the weights (same tensors). */
        void setWeights(ModelState w) {
            weights = w;
        }

        @Override
        protected void saveExtra(Map<String, ModelState> states, Map<String, String> meta) {
            states.put("ala.weights", weights.copy());
            meta.put("ala.start_phase", Boolean.toString(startPhase));
            alaStats.forEach((k, v) -> meta.put("ala.stat." + k, Double.toString(v)));
        }

        @Override
        protected void restoreExtra(ProcedureState s) {
            weights = s.states().get("ala.weights").copy();
            startPhase = Boolean.parseBoolean(s.meta().get("ala.start_phase"));
            alaStats.clear();
            s.meta().forEach((k, v) -> {
                if (k.startsWith("ala.stat.")) {
                    alaStats.put(k.substring("ala.stat.".length()), Double.parseDouble(v));
                }
            });
        }
    }
}
