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

import java.util.List;
import java.util.Map;

/** FedProx (Li et al. 2020): FedAvg with the proximal pull (μ/2)‖θ − θ_g‖² toward the received global model during local training. */
public final class FedProx implements Algorithm {
    public static final String NAME = "fedprox";
    public static final List<ConfigKey> KEYS = List.of(new ConfigKey(NAME, "mu", 0.01, "proximal coefficient μ"));
    private final String spec;
    private final double mu;

    public FedProx(String spec, Map<String, Object> params) {
        this.spec = spec;
        Section s = new Section(NAME, params, KEYS);
        this.mu = s.getDouble("mu", 0, 1e6, true, true);
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
                return Mask.allInvariant(layout);
            }

            @Override
            protected TrainingHooks hooks(ClientContext ctx, int round, UNet net) {
                // The model at the start of local training is the received global model.
                return new org.resfim.engine.ProximalTerm(net, model, mu);
            }
        };
    }

    @Override
    public ServerProcedure newServer(ModelState initial) {
        return new SharedModelServer(initial);
    }
}
