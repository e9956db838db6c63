package org.resfim.algorithms;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.resfim.federation.Algorithm;
import org.resfim.federation.ClientProcedure;
import org.resfim.federation.ProcedureState;
import org.resfim.federation.FileSiteStore;
import org.resfim.federation.Message;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.ServerProcedure;
import org.resfim.federation.SiteParticipant;
import org.resfim.state.ModelState;
import org.resfim.state.StateOps;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.resfim.algorithms.AlgoFixtures.*;

/** A site restored from its saved state (through the on-disk store) continues exactly like the original. */
class SaveRestoreTest {

    static List<String> baselines() {
        return BASELINES;
    }

    @ParameterizedTest
    @MethodSource("baselines")
    void aRestoredSiteProducesTheSameNextUploadAndModel(String name, @TempDir Path dir) {
        SiteParticipant ctx = context();
        Algorithm algorithm = AlgorithmRegistry.create(name);
        ModelState initial = initial(3);
        ServerProcedure server = algorithm.newServer(initial);
        ClientProcedure original = algorithm.newClient("s");
        original.setup(ctx, initial);
        Message up = original.fit(ctx, 1, Message.empty());
        // a second site's upload: the same tensors, other values
        Message other = new Message(StateOps.scale(up.tensors(), 0.9), up.mask(), null);
        Map<String, Message> down = server.aggregate(1, List.of(new Reply("s", Phase.FIT, 1, up, 4, null, null),
                new Reply("t", Phase.FIT, 1, other, 2, null, null)), List.of("s", "t"));
        original.receive(ctx, 1, down.getOrDefault("s", Message.empty()));

        FileSiteStore store = new FileSiteStore(dir);
        store.save("s", 1, original.save());
        ProcedureState loaded = store.load("s", 1);
        ClientProcedure restored = algorithm.newClient("s");
        restored.restore(loaded);
        assertBitIdentical(original.model(), restored.model());

        Message a = original.fit(ctx, 2, Message.empty());
        Message b = restored.fit(ctx, 2, Message.empty());
        assertSameMessage(a, b);
        assertBitIdentical(original.model(), restored.model());
        assertEquals(original.stats().keySet(), restored.stats().keySet());

        Message next = up.isEmpty() ? Message.empty() : Message.of(StateOps.scale(a.tensors(), 0.95));
        original.receive(ctx, 2, next);
        restored.receive(ctx, 2, next);
        assertBitIdentical(original.model(), restored.model());
    }
}
