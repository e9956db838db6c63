package org.resfim.algorithms;

import org.resfim.config.ConfigKey;
import org.resfim.config.Section;
import org.resfim.engine.TrainingHooks;
import org.resfim.engine.UNet;
import org.resfim.federation.Algorithm;
import org.resfim.federation.ClientContext;
import org.resfim.federation.ClientProcedure;
import org.resfim.federation.ServerProcedure;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The algorithms that keep whole tensors personal by a fixed rule (Local, FedAvg, FedProx, FedBN, SioBN,
 * FedPer, LG-FedAvg): each is its rule plus, where it has one, a training hook.
 */
abstract class WholeTensorAlgorithm implements Algorithm {
    private final String spec;
    private final Predicate<Tensor> personal;
    /** The method's validated parameters. */
    protected final Section params;

    WholeTensorAlgorithm(String spec, String name, Map<String, Object> params, List<ConfigKey> keys, Predicate<Tensor> personal) {
        this.spec = spec;
        this.personal = personal;
        this.params = new Section(name, params, keys);
    }

    @Override
    public String spec() {
        return spec;
    }

    /** A training hook for local training from {@code received} (the model at the start of the round). */
    protected TrainingHooks hooks(UNet net, ModelState received) {
        return TrainingHooks.NONE;
    }

    @Override
    public ClientProcedure newClient(String site) {
        return new PartitionedClient() {
            @Override
            protected Mask initialMask(ModelState layout) {
                return Mask.wholeTensors(layout, personal);
            }

            @Override
            protected TrainingHooks hooks(ClientContext ctx, int round, UNet net) {
                return WholeTensorAlgorithm.this.hooks(net, model);
            }
        };
    }

    @Override
    public ServerProcedure newServer(ModelState initial) {
        return new MaskedAverageServer(initial);
    }
}
