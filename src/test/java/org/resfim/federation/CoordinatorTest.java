package org.resfim.federation;

import org.junit.jupiter.api.Test;
import org.resfim.config.ConfigException;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The round loop with scripted sites: no engine, no data. */
class CoordinatorTest {

    static ModelState scalar(float v) {
        ModelState s = new ModelState();
        s.put(new Tensor("w", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {1}, new float[] {v}));
        return s;
    }

    /** A site that uploads its fixed value and records every call. */
    static final class ScriptedSite implements Participant {
        final String name;
        final float value;
        final List<String> calls = new ArrayList<>();
        String failIn;          // "FIT@2" → transient failure in FIT of round 2
        boolean diverge;        // permanent failure in FIT
        Message lastReceived;

        ScriptedSite(String name, float value) {
            this.name = name;
            this.value = value;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Reply handle(Request r) throws ParticipantException {
            calls.add(r.phase() + "@" + r.round());
            if ((r.phase() + "@" + r.round()).equals(failIn)) {
                throw new ParticipantException(name, "connection lost", false, null);
            }
            if (diverge && r.phase() == Phase.FIT) {
                throw new ParticipantException(name, "training loss became NaN", true, null);
            }
            if (r.phase() == Phase.EVALUATE) {
                lastReceived = r.message();
            }
            Message up = r.phase() == Phase.FIT ? Message.of(scalar(value)) : null;
            return new Reply(name, r.phase(), r.round(), up, (long) value, null, null);
        }
    }

    /** Weighted average of the uploaded scalar, sent back to every site. */
    static final class AverageServer implements ServerProcedure {
        final List<Integer> rounds = new ArrayList<>();

        @Override
        public Map<String, Message> aggregate(int round, List<Reply> uploads, List<String> sites) {
            rounds.add(round);
            double num = 0;
            double den = 0;
            for (Reply r : uploads) {
                num += r.numSamples() * r.upload().tensors().get("w").data()[0];
                den += r.numSamples();
            }
            Map<String, Message> out = new LinkedHashMap<>();
            for (String s : sites) {
                out.put(s, Message.of(scalar((float) (num / den))));
            }
            return out;
        }

        @Override
        public ProcedureState save() {
            return ProcedureState.empty();
        }

        @Override
        public void restore(ProcedureState state) {
        }
    }

    static final class Events implements RoundListener {
        final List<String> failures = new ArrayList<>();
        final List<Integer> ends = new ArrayList<>();

        @Override
        public void onFailure(int round, Phase phase, String site, String message, boolean permanent) {
            failures.add(round + ":" + phase + ":" + site + ":" + permanent);
        }

        @Override
        public void onRoundEnd(int round, ProcedureState serverState) {
            ends.add(round);
        }
    }

    @Test
    void everyRoundFitsAggregatesAndEvaluatesEverySite() {
        ScriptedSite a = new ScriptedSite("a", 1);
        ScriptedSite b = new ScriptedSite("b", 3);
        AverageServer server = new AverageServer();
        Events ev = new Events();
        new Coordinator(new InProcessTransport(List.of(a, b)), server, new FederationSettings(3, 1.0, 1), ev, 0).run(scalar(0));
        assertEquals(List.of("SETUP@0", "FIT@1", "EVALUATE@1", "FIT@2", "EVALUATE@2", "FIT@3", "EVALUATE@3"), a.calls);
        assertEquals(List.of(1, 2, 3), server.rounds);
        assertEquals(List.of(1, 2, 3), ev.ends);
        // weights follow sample counts: (1·1 + 3·3)/4 = 2.5
        assertEquals(2.5f, a.lastReceived.tensors().get("w").data()[0]);
    }

    @Test
    void aSiteThatFailsMidRoundIsSkippedForThatRoundAndRejoins() {
        ScriptedSite a = new ScriptedSite("a", 1);
        ScriptedSite b = new ScriptedSite("b", 3);
        b.failIn = "FIT@2";
        Events ev = new Events();
        AverageServer server = new AverageServer();
        new Coordinator(new InProcessTransport(List.of(a, b)), server, new FederationSettings(3, 1.0, 1), ev, 0).run(scalar(0));
        assertEquals(List.of("2:FIT:b:false"), ev.failures);
        assertTrue(b.calls.contains("EVALUATE@2"), "b still receives the aggregate of round 2");
        assertTrue(b.calls.contains("FIT@3"), "b rejoins in round 3");
        assertEquals(List.of(1, 2, 3), ev.ends);
    }

    @Test
    void aDivergedSiteIsDroppedAndTheRunContinues() {
        ScriptedSite a = new ScriptedSite("a", 1);
        ScriptedSite b = new ScriptedSite("b", 3);
        b.diverge = true;
        Events ev = new Events();
        Coordinator c = new Coordinator(new InProcessTransport(List.of(a, b)), new AverageServer(), new FederationSettings(3, 1.0, 1), ev, 0);
        c.run(scalar(0));
        assertEquals(List.of("1:FIT:b:true"), ev.failures);
        assertEquals(List.of("SETUP@0", "FIT@1"), b.calls);
        assertEquals(List.of(1, 2, 3), ev.ends);
        assertEquals(1f, a.lastReceived.tensors().get("w").data()[0]);
    }

    @Test
    void tooFewAnsweringSitesMeansNoAggregation() {
        ScriptedSite a = new ScriptedSite("a", 1);
        ScriptedSite b = new ScriptedSite("b", 3);
        b.failIn = "FIT@1";
        AverageServer server = new AverageServer();
        Events ev = new Events();
        new Coordinator(new InProcessTransport(List.of(a, b)), server, new FederationSettings(2, 1.0, 2), ev, 0).run(scalar(0));
        assertEquals(List.of(2), server.rounds, "round 1 had one answer, fewer than min_sites = 2");
    }

    @Test
    void samplingIsSeededAndHasTheRequestedSize() {
        List<ScriptedSite> sites = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sites.add(new ScriptedSite("s" + i, 1));
        }
        Coordinator c = new Coordinator(new InProcessTransport(sites), new AverageServer(), new FederationSettings(5, 0.3, 1), new Events(), 7);
        List<String> alive = sites.stream().map(ScriptedSite::name).toList();
        List<String> r1 = c.sample(alive, 1);
        assertEquals(3, r1.size());
        assertEquals(r1, c.sample(alive, 1));
        boolean differs = false;
        for (int r = 2; r <= 6; r++) {
            differs |= !c.sample(alive, r).equals(r1);
        }
        assertTrue(differs, "different rounds sample different sites");
    }

    @Test
    void impossibleSettingsAreRefusedNamingTheKey() {
        ScriptedSite a = new ScriptedSite("a", 1);
        ConfigException e = assertThrows(ConfigException.class, () -> new Coordinator(new InProcessTransport(List.of(a)),
                new AverageServer(), new FederationSettings(3, 1.0, 2), new Events(), 0));
        assertTrue(e.getMessage().contains("federation.min_sites"), e.getMessage());
        assertThrows(ConfigException.class, () -> FederationSettings.from(Map.of("rounds", 3, "sampel_fraction", 0.5)));
        ConfigException t1 = assertThrows(ConfigException.class, () -> new EvaluationSettings(0.5, 1, "", 1000).validate(1));
        assertTrue(t1.getMessage().contains("evaluation.select_after"), t1.getMessage());
        ConfigException unknown = assertThrows(ConfigException.class, () -> FederationSettings.from(Map.of("sampel_fraction", 0.5)));
        assertTrue(unknown.getMessage().contains("did you mean 'federation.sample_fraction'"), unknown.getMessage());
    }
}
