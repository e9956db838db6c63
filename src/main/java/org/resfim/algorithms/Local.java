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

/** Local: every site trains alone; nothing is uploaded (the lower bound of federation). */
public final class Local implements Algorithm {
    public static final String NAME = "local";
    public static final List<ConfigKey> KEYS = List.of();
    private final String spec;

    public Local(String spec, Map<String, Object> params) {
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
                return Mask.allPersonal(layout);
            }
        };
    }

    @Override
    public ServerProcedure newServer(ModelState initial) {
        return new SharedModelServer(initial);
    }
}
