package org.resfim.algorithms;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.resfim.federation.Algorithm;
import org.resfim.federation.ClientProcedure;
import org.resfim.federation.Message;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.ServerProcedure;
import org.resfim.federation.SiteParticipant;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.StateOps;
import org.resfim.state.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;
import static org.resfim.algorithms.AlgoFixtures.*;

/** The defining behaviour of every baseline's upload, aggregation and composition. */
class BaselinesTest {

    /** The tensors that must never leave a site under each baseline. */
    static Predicate<Tensor> personal(String name) {
        switch (name) {
            case "local":
                return t -> true;
            case "fedbn":
                return t -> t.role().isNorm();
            case "siobn":
                return t -> t.role().isNormStatistic();
            case "fedper":
            case "fedrep":
                return t -> t.part() == NetworkPart.HEAD;
            case "lg-fedavg":
                return t -> t.part() == NetworkPart.ENCODER;
            default: // fedavg, fedprox, ditto, apfl, fedala upload the whole (global-line) model
                return t -> false;
        }
    }

    static List<String> baselines() {
        return BASELINES;
    }

    static List<String> partitioned() {
        return List.of("local", "fedavg", "fedprox", "fedbn", "siobn", "fedper", "lg-fedavg", "fedrep");
    }

    static Reply reply(String site, Message up, long n) {
        return new Reply(site, Phase.FIT, 1, up, n, null, null);
    }

    // ------------------------------------------------------------------ server

    @ParameterizedTest
    @MethodSource("baselines")
    void averagingIdenticalStatesIsTheIdentityBitForBit(String name) {
        ModelState state = handMade(1);
        ServerProcedure server = AlgorithmRegistry.create(name).newServer(handMade(2));
        List<Reply> ups = List.of(reply("a", Message.of(state.copy()), 1), reply("b", Message.of(state.copy()), 3),
                reply("c", Message.of(state.copy()), 7));
        Map<String, Message> down = server.aggregate(1, ups, List.of("a", "b", "c"));
        assertEquals(List.of("a", "b", "c"), new ArrayList<>(down.keySet()));
        for (Message m : down.values()) {
            assertBitIdentical(state, m.tensors());
        }
    }

    @Test
    void serverWeightsFollowSampleCounts() {
        ModelState layout = handMade(1);
        // two sites, 1 and 3 samples: (1·1 + 3·5) / 4 = 4
        ServerProcedure two = new FedAvg("fedavg", Map.of()).newServer(layout);
        Map<String, Message> d2 = two.aggregate(1, List.of(reply("a", Message.of(constant(layout, 1f)), 1),
                reply("b", Message.of(constant(layout, 5f)), 3)), List.of("a", "b"));
        assertBitIdentical(constant(layout, 4f), d2.get("a").tensors());
        // three sites, 1, 3 and 4 samples: (0 + 3·4 + 4·8) / 8 = 5.5
        ServerProcedure three = new FedAvg("fedavg", Map.of()).newServer(layout);
        Map<String, Message> d3 = three.aggregate(1, List.of(reply("a", Message.of(constant(layout, 0f)), 1),
                reply("b", Message.of(constant(layout, 4f)), 3), reply("c", Message.of(constant(layout, 8f)), 4)),
                List.of("a", "b", "c"));
        assertBitIdentical(constant(layout, 5.5f), d3.get("c").tensors());
        // awkward values: the double formula rounded once
        ModelState x = handMade(3);
        ModelState y = handMade(4);
        ServerProcedure s = new FedAvg("fedavg", Map.of()).newServer(layout);
        Map<String, Message> d = s.aggregate(1, List.of(reply("a", Message.of(x), 1), reply("b", Message.of(y), 3)), List.of("a"));
        for (Tensor t : x.tensors()) {
            float[] got = d.get("a").tensors().get(t.name()).data();
            for (int i = 0; i < got.length; i++) {
                assertEquals((float) (0.25 * t.data()[i] + 0.75 * y.get(t.name()).data()[i]), got[i], 0.0, t.name());
            }
        }
    }

    @Test
    void fedBnUploadsAreAveragedWithoutNormTensorsWhichKeepTheirGlobalValue() {
        ModelState layout = handMade(1);
        ServerProcedure server = new FedBN("fedbn", Map.of()).newServer(layout);
        List<Reply> ups = new ArrayList<>();
        long[] n = {1, 3};
        float[] v = {1f, 5f};
        for (int k = 0; k < 2; k++) {
            ClientProcedure c = new FedBN("fedbn", Map.of()).newClient("s" + k);
            c.setup(null, constant(layout, v[k]));
            ups.add(reply("s" + k, ((PartitionedClient) c).upload(), n[k]));
        }
        Message down = server.aggregate(1, ups, List.of("s0", "s1")).get("s0");
        for (Tensor t : layout.tensors()) {
            assertEquals(!t.role().isNorm(), down.tensors().contains(t.name()), t.name());
        }
        assertBitIdentical(constant(layout.filter(t -> !t.role().isNorm()), 4f), down.tensors());
        // nobody shared the norm tensors: the server keeps their previous global values
        assertBitIdentical(layout.filter(t -> t.role().isNorm()), ((MaskedAverageServer) server).global().filter(t -> t.role().isNorm()));
    }

    // ------------------------------------------------------------------ site: upload and composition on hand-made states

    @ParameterizedTest
    @MethodSource("baselines")
    void uploadCarriesExactlyTheSharedTensors(String name) {
        ModelState state = handMade(5);
        ClientProcedure c = AlgorithmRegistry.create(name).newClient("s");
        assertNull(c.setup(null, state));
        Message up = ((PartitionedClient) c).upload();
        Predicate<Tensor> personal = personal(name);
        List<String> shared = state.tensors().stream().filter(personal.negate()).map(Tensor::name).collect(Collectors.toList());
        assertEquals(shared, up.tensors().names());
        assertNull(up.mask(), "whole-tensor partitions send no element mask");
        assertBitIdentical(state.filter(personal.negate()), up.tensors());
        if (name.equals("local")) {
            assertTrue(up.isEmpty());
        }
    }

    @ParameterizedTest
    @MethodSource("partitioned")
    void receiveOverwritesOnlySharedTensors(String name) {
        ModelState state = handMade(5);
        ClientProcedure c = AlgorithmRegistry.create(name).newClient("s");
        c.setup(null, state);
        ModelState before = c.model().copy();
        ModelState incoming = shifted(state, 0.25f); // a downlink carrying every tensor, personal ones included
        c.receive(null, 1, Message.of(incoming));
        Predicate<Tensor> personal = personal(name);
        for (Tensor t : state.tensors()) {
            Tensor expected = personal.test(t) ? before.get(t.name()) : incoming.get(t.name());
            AlgoFixtures.assertBitIdentical(expected, c.model().get(t.name()));
        }
    }

    @Test
    void localReceivesNothingWhateverArrives() {
        ModelState state = handMade(5);
        ClientProcedure c = new Local("local", Map.of()).newClient("s");
        c.setup(null, state);
        c.receive(null, 1, Message.of(shifted(state, 1f)));
        c.receive(null, 2, Message.of(shifted(state, 1f).filter(t -> t.part() == NetworkPart.HEAD)));
        c.receive(null, 3, Message.empty());
        assertBitIdentical(state, c.model());
    }

    // ------------------------------------------------------------------ tiny network

    @ParameterizedTest
    @MethodSource("baselines")
    void aRealFitUploadsOnlySharedTensorsAndReceiveKeepsPersonalOnes(String name) {
        SiteParticipant ctx = context();
        ModelState initial = initial(3);
        ClientProcedure c = AlgorithmRegistry.create(name).newClient("s");
        c.setup(ctx, initial);
        Message up = c.fit(ctx, 1, Message.empty());
        Predicate<Tensor> personal = personal(name);
        List<String> shared = initial.tensors().stream().filter(personal.negate()).map(Tensor::name).collect(Collectors.toList());
        assertEquals(shared, up.tensors().names(), name);
        if (partitioned().contains(name)) {
            assertBitIdentical(c.model().filter(personal.negate()), up.tensors());
            ModelState before = c.model().copy();
            ModelState incoming = shifted(before, 0.5f);
            c.receive(ctx, 1, Message.of(incoming));
            for (Tensor t : before.tensors()) {
                AlgoFixtures.assertBitIdentical(personal.test(t) ? t : incoming.get(t.name()), c.model().get(t.name()));
            }
        }
    }

    @Test
    void fedRepTrainsTheHeadFirstThenTheBody() {
        Recording ctx = new Recording(context());
        ClientProcedure c = new FedRep("fedrep", Map.of()).newClient("s");
        c.setup(ctx, initial(3));
        c.fit(ctx, 1, Message.empty());
        assertEquals(List.of("head", "body"), ctx.calls.stream().map(Recording.Call::purpose).collect(Collectors.toList()));
        Recording.Call head = ctx.calls.get(0);
        Recording.Call body = ctx.calls.get(1);
        boolean headMoved = false;
        boolean bodyMoved = false;
        for (Tensor t : head.start().tensors()) {
            if (!t.role().trainable()) {
                continue; // BatchNorm running statistics follow every training-mode forward pass
            }
            boolean isHead = t.part() == NetworkPart.HEAD;
            boolean movedInHeadPhase = !bitIdentical(t, head.result().get(t.name()));
            boolean movedInBodyPhase = !bitIdentical(body.start().get(t.name()), body.result().get(t.name()));
            if (isHead) {
                headMoved |= movedInHeadPhase;
                assertFalse(movedInBodyPhase, t.name() + " moved in the body phase");
            } else {
                bodyMoved |= movedInBodyPhase;
                assertFalse(movedInHeadPhase, t.name() + " moved in the head phase");
            }
        }
        assertTrue(headMoved, "the head phase trains the head");
        assertTrue(bodyMoved, "the body phase trains the body");
        assertBitIdentical(head.result(), body.start());
    }

    @Test
    void fedProxWithZeroMuIsFedAvgAndALargeMuStaysNearTheGlobalModel() {
        SiteParticipant ctx = context();
        ModelState initial = initial(3);
        ModelState[] results = new ModelState[3];
        String[] specs = {"fedavg", "fedprox:mu=0", "fedprox:mu=100"};
        for (int i = 0; i < specs.length; i++) {
            ClientProcedure c = AlgorithmRegistry.create(specs[i]).newClient("s");
            c.setup(ctx, initial);
            results[i] = c.fit(ctx, 1, Message.empty()).tensors();
        }
        assertBitIdentical(results[0], results[1]);
        assertTrue(StateOps.l2Distance(results[2], initial) < StateOps.l2Distance(results[0], initial));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ditto", "apfl", "fedala"})
    void theNewBaselinesAreRegisteredAndRefuseUnknownKeys(String name) {
        Algorithm a = AlgorithmRegistry.create(name);
        assertEquals(name, a.spec());
        assertTrue(AlgorithmRegistry.names().contains(name));
        assertThrows(org.resfim.config.ConfigException.class, () -> AlgorithmRegistry.create(name + ":no_such_key=1"));
    }
}
