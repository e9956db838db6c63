package org.resfim.algorithms;

import org.resfim.config.ConfigKey;
import org.resfim.config.Section;
import org.resfim.engine.Adam;
import org.resfim.engine.AdamState;
import org.resfim.engine.Batch;
import org.resfim.engine.Gradients;
import org.resfim.engine.NonFiniteLossException;
import org.resfim.engine.TrainingHooks;
import org.resfim.engine.UNet;
import org.resfim.federation.Algorithm;
import org.resfim.federation.ClientContext;
import org.resfim.federation.ClientProcedure;
import org.resfim.federation.ProcedureState;
import org.resfim.federation.Message;
import org.resfim.federation.ServerProcedure;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.StateOps;
import org.resfim.state.Tensor;

import java.util.List;
import java.util.Map;

/**
 * APFL (Deng et al. 2020), parameter mixture. A site keeps w, its copy of the global model (trained E
 * epochs through the one training loop exactly as FedAvg, purpose {@code fit}, and uploaded in full), a
 * personal model v and a mixing weight α; the evaluated model is m = α·v + (1−α)·w (every tensor, BatchNorm
 * running statistics included).
 *
 * <p>After each optimizer step of w (a hook on that same training, so on the same batch), with the w just
 * stepped (the order of the reference implementations, which step w first):
 * <pre>
 *   m   = α·v + (1−α)·w
 *   g_m = ∇ℓ(m; batch)                 (Gradients.batch, BatchNorm in training mode)
 *   v  ← Adam step on α·g_m            (v's own Adam state, training lr and weight decay)
 *   α  ← clip(α − alpha_lr·⟨v − w, g_m⟩, 0, 1)   (trainable tensors; v before its step: ∂ℓ(m)/∂α exactly)
 * </pre>
 * α·g_m is the exact gradient of ℓ(m) with respect to v. v's BatchNorm running statistics are set to those of
 * the mixture network after its training-mode forward on the batch.
 *
 * <p>Cost per step over FedAvg: one more forward and backward pass (on m), one Adam update of v, and host
 * copies of w, v and m (three model-sized transfers); two extra networks (v and m) live in native memory
 * during local training.
 */
public final class Apfl implements Algorithm {
    public static final String NAME = "apfl";
    public static final List<ConfigKey> KEYS = List.of(
            new ConfigKey(NAME, "alpha", 0.5, "initial mixing weight α of the personal model in α·v + (1−α)·w"),
            new ConfigKey(NAME, "alpha_lr", 0.1, "plain gradient-descent step size of α (0 keeps α fixed)"));
    private final String spec;
    private final double alpha;
    private final double alphaLr;

    public Apfl(String spec, Map<String, Object> params) {
        this.spec = spec;
        Section s = new Section(NAME, params, KEYS);
        this.alpha = s.getDouble("alpha", 0, 1, true, true);
        this.alphaLr = s.getDouble("alpha_lr", 0, 1e6, true, true);
    }

    @Override
    public String spec() {
        return spec;
    }

    @Override
    public ClientProcedure newClient(String site) {
        return new Client(alpha, alphaLr);
    }

    @Override
    public ServerProcedure newServer(ModelState initial) {
        return new MaskedAverageServer(initial);
    }

    /** The site side: {@code model}/{@code optimizer} of {@link PartitionedClient} are the global copy w. */
    static final class Client extends PartitionedClient {
        private final double alphaLr;
        private double alpha;
        private ModelState personal;
        private AdamState personalOptimizer;

        Client(double alpha, double alphaLr) {
            this.alpha = alpha;
            this.alphaLr = alphaLr;
        }

        @Override
        protected Mask initialMask(ModelState layout) {
            return Mask.allInvariant(layout);
        }

        @Override
        public Message setup(ClientContext ctx, ModelState initial) {
            personal = initial.copy();
            return super.setup(ctx, initial);
        }

        @Override
        protected void train(ClientContext ctx, int round) {
            ClientContext.Trained t = ctx.train(model, optimizer, round, ctx.training().localEpochs(), "fit",
                    net -> new MixtureSteps(ctx, round, net));
            model = t.model();
            optimizer = t.optimizer();
            stats.put("train_loss", t.result().meanLoss());
            stats.put("alpha", alpha);
        }

        /** The evaluated model α·v + (1−α)·w. */
        @Override
        public ModelState model() {
            return StateOps.linear(alpha, personal, 1 - alpha, model);
        }

        double alpha() {
            return alpha;
        }

        ModelState personal() {
            return personal;
        }

        ModelState global() {
            return model;
        }

        @Override
        protected void saveExtra(Map<String, ModelState> states, Map<String, String> meta) {
            states.put("personal", personal);
            saveOptimizer("personal.adam", personalOptimizer, states, meta);
            meta.put("apfl.alpha", Double.toString(alpha));
        }

        @Override
        protected void restoreExtra(ProcedureState s) {
            personal = s.states().get("personal");
            personalOptimizer = restoreOptimizer("personal.adam", s);
            alpha = Double.parseDouble(s.meta().get("apfl.alpha"));
        }

        /** The v and α updates, run after every optimizer step of w on the batch that step used. */
        private final class MixtureSteps implements TrainingHooks, AutoCloseable {
            private final ClientContext ctx;
            private final int round;
            private final UNet wNet;
            private final UNet vNet;
            private final UNet mixNet;
            private final Adam adam;
            private final double lr;
            private int epoch;
            private int calls;
            private List<Batch> batches;

            MixtureSteps(ClientContext ctx, int round, UNet wNet) {
                this.ctx = ctx;
                this.round = round;
                this.wNet = wNet;
                this.lr = ctx.training().learningRate(round, ctx.rounds());
                this.vNet = ctx.open(personal);
                this.mixNet = ctx.open(personal);
                this.adam = Adam.standard(vNet, ctx.training().weightDecay(), personalOptimizer);
            }

            @Override
            public void afterStep(int step, double loss) {
                if (step == 0) {
                    batches = ctx.epochBatches(round, calls == 0 ? 0 : ++epoch, "fit"); // the batches w trains on
                }
                calls++;
                Batch batch = batches.get(step);
                ModelState w = wNet.toState();
                ModelState v = vNet.toState();
                mixNet.load(StateOps.linear(alpha, v, 1 - alpha, w));
                ModelState g = Gradients.batch(mixNet, batch, true);
                double gAlpha = 0;
                for (Tensor gt : g.tensors()) {
                    float[] gd = gt.data();
                    float[] vd = v.get(gt.name()).data();
                    float[] wd = w.get(gt.name()).data();
                    for (int i = 0; i < gd.length; i++) {
                        gAlpha += ((double) vd[i] - wd[i]) * gd[i];
                    }
                }
                if (!Double.isFinite(gAlpha)) {
                    // a non-finite mixture gradient: stop like the training loop does, before any update
                    throw new NonFiniteLossException(step, gAlpha);
                }
                adam.step(StateOps.scale(g, alpha), lr); // α·g_m: the gradient of ℓ(m) with respect to v
                vNet.load(mixNet.toState().filter(t -> t.role().isNormStatistic()));
                alpha = Math.min(1, Math.max(0, alpha - alphaLr * gAlpha));
            }

            @Override
            public void close() {
                try {
                    personal = vNet.toState();
                    personalOptimizer = adam.export(vNet);
                } finally {
                    adam.close();
                    vNet.close();
                    mixNet.close();
                }
            }
        }
    }
}
