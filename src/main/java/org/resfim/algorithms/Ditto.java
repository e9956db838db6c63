package org.resfim.algorithms;

import org.resfim.config.ConfigKey;
import org.resfim.config.Section;
import org.resfim.engine.AdamState;
import org.resfim.engine.ProximalTerm;
import org.resfim.engine.TrainingHooks;
import org.resfim.federation.Algorithm;
import org.resfim.federation.ClientContext;
import org.resfim.federation.ClientProcedure;
import org.resfim.federation.ProcedureState;
import org.resfim.federation.ServerProcedure;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;

import java.util.List;
import java.util.Map;

/**
 * Ditto (Li et al. 2021). Each site runs two lines, both trained E epochs per round through the one
 * training loop, each with its own Adam state:
 * <ul>
 *   <li>the global line w: FedAvg exactly — trained from the received global model w_g and uploaded in
 *       full to the {@link MaskedAverageServer} (purpose {@code fit}, the same batches FedAvg would use);</li>
 *   <li>the personal model v: trained on min_v ℓ(v) + (λ/2)‖v − w_g‖² ({@link ProximalTerm}, trainable
 *       tensors) toward the global model w_g received this round (purpose {@code personal}); never uploaded.</li>
 * </ul>
 * {@link #model()} is v (what is evaluated); {@code receive} replaces w by the aggregate and leaves v alone.
 */
public final class Ditto implements Algorithm {
    public static final String NAME = "ditto";
    public static final List<ConfigKey> KEYS = List.of(
            new ConfigKey(NAME, "lambda", 0.1, "proximal coefficient λ pulling the personal model toward the received global model"));
    private final String spec;
    private final double lambda;

    public Ditto(String spec, Map<String, Object> params) {
        this.spec = spec;
        this.lambda = new Section(NAME, params, KEYS).getDouble("lambda", 0, 1e6, true, true);
    }

    @Override
    public String spec() {
        return spec;
    }

    @Override
    public ClientProcedure newClient(String site) {
        return new Client(lambda);
    }

    @Override
    public ServerProcedure newServer(ModelState initial) {
        return new MaskedAverageServer(initial);
    }

    /** The site side: {@code model}/{@code optimizer} of {@link PartitionedClient} are the global line w. */
    static final class Client extends PartitionedClient {
        private final double lambda;
        private ModelState personal;
        private AdamState personalOptimizer;

        Client(double lambda) {
            this.lambda = lambda;
        }

        @Override
        protected Mask initialMask(ModelState layout) {
            return Mask.allInvariant(layout);
        }

        @Override
        public org.resfim.federation.Message setup(ClientContext ctx, ModelState initial) {
            personal = initial.copy();
            return super.setup(ctx, initial);
        }

        @Override
        protected void train(ClientContext ctx, int round) {
            ModelState received = model; // w after receive(): the global model of this round
            int epochs = ctx.training().localEpochs();
            ClientContext.Trained g = ctx.train(received, optimizer, round, epochs, "fit", net -> TrainingHooks.NONE);
            ClientContext.Trained p = ctx.train(personal, personalOptimizer, round, epochs, "personal",
                    net -> new ProximalTerm(net, received, lambda));
            model = g.model();
            optimizer = g.optimizer();
            personal = p.model();
            personalOptimizer = p.optimizer();
            stats.put("train_loss", p.result().meanLoss());
            stats.put("global_train_loss", g.result().meanLoss());
        }

        /** The personal model v. */
        @Override
        public ModelState model() {
            return personal;
        }

        /** The global line w (what is uploaded and replaced on receive). */
        ModelState global() {
            return model;
        }

        @Override
        protected void saveExtra(Map<String, ModelState> states, Map<String, String> meta) {
            states.put("personal", personal);
            saveOptimizer("personal.adam", personalOptimizer, states, meta);
        }

        @Override
        protected void restoreExtra(ProcedureState s) {
            personal = s.states().get("personal");
            personalOptimizer = restoreOptimizer("personal.adam", s);
        }
    }
}
