package org.resfim.algorithms;

import org.resfim.config.ConfigKey;
import org.resfim.engine.ProximalTerm;
import org.resfim.engine.TrainingHooks;
import org.resfim.engine.UNet;
import org.resfim.state.ModelState;

import java.util.List;
import java.util.Map;

/** FedProx (Li et al. 2020): FedAvg with the proximal pull (μ/2)‖θ − θ_g‖² toward the received global model during local training. */
public final class FedProx extends WholeTensorAlgorithm {
    public static final String NAME = "fedprox";
    public static final List<ConfigKey> KEYS = List.of(new ConfigKey(NAME, "mu", 0.01, "proximal coefficient μ"));
    private final double mu;

    public FedProx(String spec, Map<String, Object> params) {
        super(spec, NAME, params, KEYS, t -> false);
        this.mu = this.params.getDouble("mu", 0, 1e6, true, true);
    }

    @Override
    protected TrainingHooks hooks(UNet net, ModelState received) {
        return new ProximalTerm(net, received, mu);
    }
}
