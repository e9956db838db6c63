package org.resfim.algorithms;

import org.junit.jupiter.api.Test;
import org.resfim.federation.ClientProcedure;
import org.resfim.federation.Message;
import org.resfim.federation.SiteParticipant;
import org.resfim.state.ModelState;
import org.resfim.state.StateOps;
import org.resfim.state.Tensor;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;
import static org.resfim.algorithms.AlgoFixtures.*;

class DittoTest {

    @Test
    void theUploadIsTheFedAvgLineNotThePersonalModel() {
        Recording ctx = new Recording(context());
        ModelState initial = initial(3);
        Ditto.Client ditto = (Ditto.Client) AlgorithmRegistry.create("ditto").newClient("s");
        ditto.setup(ctx, initial);
        Message up = ditto.fit(ctx, 1, Message.empty());
        assertEquals(List.of("fit", "personal"), ctx.calls.stream().map(Recording.Call::purpose).collect(Collectors.toList()));

        ClientProcedure fedavg = AlgorithmRegistry.create("fedavg").newClient("s");
        fedavg.setup(ctx, initial);
        Message avgUp = fedavg.fit(ctx, 1, Message.empty());
        assertSameMessage(avgUp, up);
        assertBitIdentical(ditto.global(), up.tensors());
        assertTrue(StateOps.l2Distance(ditto.model(), up.tensors()) > 0, "v is not what is uploaded");
        assertTrue(StateOps.l2Distance(ditto.model(), initial) > 0, "v was trained");

        // receive replaces the global line and leaves the personal model alone
        ModelState v = ditto.model().copy();
        ModelState global = shifted(up.tensors(), 0.01f);
        ditto.receive(ctx, 1, Message.of(global));
        assertBitIdentical(global, ditto.global());
        assertBitIdentical(v, ditto.model());
    }

    @Test
    void thePersonalModelEndsCloserToTheGlobalModelAsLambdaGrows() {
        SiteParticipant ctx = context(4, training(1e-2, 2));
        ModelState initial = initial(3);
        ModelState global = shifted(initial, 0.05f);
        double[] lambdas = {0, 0.1, 10};
        double[] distance = new double[lambdas.length];
        for (int i = 0; i < lambdas.length; i++) {
            Ditto.Client c = (Ditto.Client) AlgorithmRegistry.create("ditto:lambda=" + lambdas[i]).newClient("s");
            c.setup(ctx, initial);
            c.receive(ctx, 0, Message.of(global)); // the global model now differs from v = initial
            c.fit(ctx, 1, Message.empty());
            distance[i] = StateOps.l2Distance(c.model().filter(t -> t.role().trainable()), global.filter(t -> t.role().trainable()));
        }
        assertTrue(distance[2] < distance[1] && distance[1] < distance[0],
                "‖v − w_g‖ for λ = 0, 0.1, 10: " + java.util.Arrays.toString(distance));
    }
}
