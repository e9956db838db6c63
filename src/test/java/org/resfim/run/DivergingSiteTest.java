package org.resfim.run;

import org.junit.jupiter.api.Test;
import org.resfim.algorithms.FedAvg;
import org.resfim.data.Augmentation;
import org.resfim.data.Sample;
import org.resfim.data.SiteDataset;
import org.resfim.data.SyntheticSites;
import org.resfim.engine.UNet;
import org.resfim.federation.ProcedureState;
import org.resfim.federation.Coordinator;
import org.resfim.federation.FederationSettings;
import org.resfim.federation.InProcessTransport;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.RoundListener;
import org.resfim.federation.SiteParticipant;
import org.resfim.federation.TrainingSettings;
import org.resfim.model.NormType;
import org.resfim.model.UNetConfig;
import org.resfim.state.ModelState;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** A site whose loss turns NaN stops with a clear message; the run and everyone's results so far are kept. */
class DivergingSiteTest {

    @Test
    void aSiteWithNaNLossIsDroppedAndTheOthersFinish() {
        UNetConfig tiny = new UNetConfig(3, 1, 4, 3, NormType.BATCH, 2);
        List<SiteDataset> data = new ArrayList<>(SyntheticSites.generate(3, 6, 16, 1));
        SiteDataset bad = data.get(1);
        List<Sample> train = new ArrayList<>();
        for (Sample s : bad.train()) {
            float[] img = s.image().clone();
            img[3] = Float.NaN;
            train.add(new Sample(s.id(), s.patientId(), img, s.channels(), s.height(), s.width(), s.mask(), s.fov(), s.sourcePath()));
        }
        data.set(1, new SiteDataset(bad.name(), train, bad.val(), bad.test(), bad.manifest()));
        FedAvg algo = new FedAvg("fedavg", Map.of());
        List<SiteParticipant> ps = new ArrayList<>();
        for (SiteDataset d : data) {
            ps.add(new SiteParticipant(d, algo.newClient(d.name()), tiny, TrainingSettings.from(Map.of("batch_size", 2)), 3, 0, null, 1,
                    Augmentation.NONE));
        }
        List<String> failures = new ArrayList<>();
        List<String> evaluated = new ArrayList<>();
        ModelState init;
        try (UNet net = new UNet(tiny, 0)) {
            init = net.toState();
        }
        new Coordinator(new InProcessTransport(ps), algo.newServer(init), new FederationSettings(3, 1.0, 1), new RoundListener() {
            @Override
            public void onFailure(int round, Phase phase, String site, String message, boolean permanent) {
                failures.add(round + " " + site + " " + permanent + " " + message);
            }

            @Override
            public void onEvaluate(int round, Reply reply) {
                evaluated.add(round + " " + reply.site());
            }

            @Override
            public void onRoundEnd(int round, ProcedureState s) {
            }
        }, 0).run(init);
        assertEquals(1, failures.size(), failures.toString());
        String f = failures.get(0);
        assertTrue(f.startsWith("1 " + bad.name() + " true"), f);
        assertTrue(f.contains("NaN") && f.contains(bad.name()), f);
        List<String> expected = new ArrayList<>();
        for (int r = 1; r <= 3; r++) {
            expected.add(r + " " + data.get(0).name());
            expected.add(r + " " + data.get(2).name());
        }
        assertEquals(expected, evaluated);
        for (float v : ps.get(0).procedure().model().get("head.weight").data()) {
            assertTrue(Float.isFinite(v), "the NaN site's data never reached the aggregate");
        }
    }
}
