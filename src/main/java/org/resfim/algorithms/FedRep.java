package org.resfim.algorithms;

import org.resfim.config.ConfigKey;
import org.resfim.config.Section;
import org.resfim.engine.TrainingHooks;
import org.resfim.federation.Algorithm;
import org.resfim.federation.ClientContext;
import org.resfim.federation.ClientProcedure;
import org.resfim.federation.ServerProcedure;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;

import java.util.List;
import java.util.Map;

/**
 * FedRep (Collins et al. 2021): the head stays local; each round first trains the head with the body
 * frozen ({@code head_epochs}), then the body with the head frozen (E epochs); only the body is averaged.
 */
public final class FedRep implements Algorithm {
    public static final String NAME = "fedrep";
    public static final List<ConfigKey> KEYS = List.of(
            new ConfigKey(NAME, "head_epochs", 1, "epochs of head-only training before the body epochs"));
    private final String spec;
    private final int headEpochs;

    public FedRep(String spec, Map<String, Object> params) {
        this.spec = spec;
        this.headEpochs = new Section(NAME, params, KEYS).getInt("head_epochs", 0, 1000);
    }

    @Override
    public String spec() {
        return spec;
    }

    @Override
    public ClientProcedure newClient(String site) {
        return new PartitionedClient() {
            @Override
            protected Mask initialMask(ModelState layout) {
                return Mask.wholeTensors(layout, t -> t.part() == NetworkPart.HEAD);
            }

            @Override
            protected void train(ClientContext ctx, int round) {
                double loss = 0;
                if (headEpochs > 0) {
                    ClientContext.Trained head = ctx.train(model, optimizer, round, headEpochs, "head",
                            net -> TrainingHooks.freeze(n -> net.param(n).part() != NetworkPart.HEAD));
                    model = head.model();
                    optimizer = head.optimizer();
                }
                ClientContext.Trained body = ctx.train(model, optimizer, round, ctx.training().localEpochs(), "body",
                        net -> TrainingHooks.freeze(n -> net.param(n).part() == NetworkPart.HEAD));
                model = body.model();
                optimizer = body.optimizer();
                stats.put("train_loss", body.result().meanLoss());
            }
        };
    }

    @Override
    public ServerProcedure newServer(ModelState initial) {
        return new MaskedAverageServer(initial);
    }
}
