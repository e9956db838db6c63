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

/** FedBN (Li et al. 2021): BatchNorm affine parameters and running statistics stay local; everything else is averaged. */
public final class FedBN implements Algorithm {
    public static final String NAME = "fedbn";
    public static final List<ConfigKey> KEYS = List.of();
    private final String spec;

    public FedBN(String spec, Map<String, Object> params) {
        this.spec = spec;
        Section s = new Section(NAME, params, KEYS);
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
                return Mask.wholeTensors(layout, t -> t.role().isNorm());
            }
        };
    }

    @Override
    public ServerProcedure newServer(ModelState initial) {
        return new SharedModelServer(initial);
    }
}
