package org.resfim.algorithms;

import org.junit.jupiter.api.Test;
import org.resfim.config.ConfigException;
import org.resfim.data.Augmentation;
import org.resfim.data.SiteDataset;
import org.resfim.data.SyntheticSites;
import org.resfim.engine.UNet;
import org.resfim.federation.ProcedureState;
import org.resfim.federation.Coordinator;
import org.resfim.federation.FederationSettings;
import org.resfim.federation.InProcessTransport;
import org.resfim.federation.Message;
import org.resfim.federation.ParticipantException;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.Request;
import org.resfim.federation.RoundListener;
import org.resfim.federation.SiteParticipant;
import org.resfim.federation.TrainingSettings;
import org.resfim.federation.Transport;
import org.resfim.fisher.PartitionConfig;
import org.resfim.model.NormType;
import org.resfim.model.UNetConfig;
import org.resfim.spectral.AmplitudeTransfer;
import org.resfim.spectral.StyleBank;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class PflResFimTest {
    static final UNetConfig TINY = new UNetConfig(3, 1, 4, 3, NormType.BATCH, 2);
    static final int SIZE = 32;

    /** Records every request and reply that crosses the transport. */
    static final class RecordingTransport implements Transport {
        final Transport inner;
        final List<Request> requests = new ArrayList<>();
        final List<Reply> replies = new ArrayList<>();

        RecordingTransport(Transport inner) {
            this.inner = inner;
        }

        @Override
        public List<String> sites() {
            return inner.sites();
        }

        @Override
        public Reply call(String site, Request request) throws ParticipantException {
            requests.add(request);
            Reply r = inner.call(site, request);
            replies.add(r);
            return r;
        }
    }

    static List<SiteParticipant> sites(PflResFim algo, int rounds) {
        List<SiteDataset> data = SyntheticSites.generate(3, 8, SIZE, 5);
        TrainingSettings t = TrainingSettings.from(Map.of("batch_size", 4, "lr", 0.003));
        List<SiteParticipant> out = new ArrayList<>();
        for (SiteDataset d : data) {
            out.add(new SiteParticipant(d, algo.newClient(d.name()), TINY, t, rounds, 0, null, 1, Augmentation.NONE));
        }
        return out;
    }

    static ModelState init() {
        try (UNet net = new UNet(TINY, 0)) {
            return net.toState();
        }
    }

    @Test
    void onlyWindowSizedAmplitudesTravelForStyleAndSensitiveValuesNeverLeave() {
        PflResFim algo = new PflResFim("pfl-resfim", Map.of("warmup", 1, "every", 2, "samples", 4, "variant", "resfim"));
        RecordingTransport t = new RecordingTransport(new InProcessTransport(sites(algo, 4)));
        new Coordinator(t, algo.newServer(init()), new FederationSettings(4, 1.0, 1), new RoundListener() {
        }, 0).run(init());
        int b = AmplitudeTransfer.halfSize(SIZE, SIZE, 0.03);
        int side = AmplitudeTransfer.windowSide(b);
        int styleTensors = 0;
        for (Reply r : t.replies) {
            if (r.phase() == Phase.SETUP) {
                for (Tensor x : r.upload().tensors().tensors()) {
                    assertEquals(TensorRole.STYLE_AMPLITUDE, x.role(), x.name());
                    assertArrayEquals(new int[] {3, side, side}, x.shape(), x.name());
                    for (float v : x.data()) {
                        assertTrue(v >= 0 && Float.isFinite(v), "amplitudes only");
                    }
                    styleTensors++;
                }
            }
        }
        assertEquals(3, styleTensors, "site-mean: one window per site");
        for (Request q : t.requests) {
            if (q.phase() == Phase.FIT) {
                for (Tensor x : q.message().tensors().tensors()) {
                    assertEquals(TensorRole.STYLE_AMPLITUDE, x.role(), "FIT requests forward the style bank only");
                    assertArrayEquals(new int[] {3, side, side}, x.shape());
                }
                assertEquals(3, q.message().tensors().size());
            }
        }
        // After the first estimate (round 2), uploads carry a mask; every personal value is zero; BN statistics stay home.
        boolean sawMask = false;
        for (Reply r : t.replies) {
            if (r.phase() != Phase.FIT) {
                continue;
            }
            Message up = r.upload();
            assertTrue(up.tensors().tensors().stream().noneMatch(x -> x.role().isNormStatistic()), "bn_stats = local");
            if (r.round() >= 2) {
                assertNotNull(up.mask(), "round " + r.round());
                sawMask = true;
                for (Tensor x : up.tensors().tensors()) {
                    long personal = up.mask().count(x.name());
                    assertEquals(Math.round(0.2 * x.size()), personal, 1.0, x.name());
                    for (int i = 0; i < x.size(); i++) {
                        if (up.mask().get(x.name(), i)) {
                            assertEquals(0f, x.data()[i], "sensitive value " + x.name() + "[" + i + "] left the site");
                        }
                    }
                }
                assertTrue(up.payloadBytes() < 0.85 * 4 * up.tensors().numElements());
            } else {
                assertNull(up.mask(), "before the first estimate every element is shared (FedAvg)");
            }
        }
        assertTrue(sawMask);
    }

    @Test
    void theComposedModelKeepsSensitiveElementsAndTakesTheAggregateElsewhere() {
        PflResFim algo = new PflResFim("pfl-resfim", Map.of("warmup", 0, "every", 1, "samples", 4, "variant", "resfim"));
        List<SiteParticipant> ps = sites(algo, 3);
        SiteParticipant p = ps.get(0);
        ModelState init = init();
        PflResFim.Client c = (PflResFim.Client) p.procedure();
        StyleBank bank = new StyleBank();
        for (SiteParticipant q : ps) {
            Message m = q.procedure().setup(q, init);
            bank = StyleBank.merge(List.of(bank, StyleBank.fromState(m.tensors())));
        }
        c.fit(p, 1, Message.of(bank.toState()));
        ModelState personal = c.model().copy();
        Mask m = c.mask().copy();
        ModelState global = org.resfim.state.StateOps.scale(personal, 0.0);
        c.receive(p, 1, Message.of(global.filter(x -> x.role().trainable())));
        for (Tensor x : c.model().tensors()) {
            for (int i = 0; i < x.size(); i++) {
                float expect = m.get(x.name(), i) ? personal.get(x.name()).data()[i] : global.get(x.name()).data()[i];
                assertEquals(expect, x.data()[i], x.name() + "[" + i + "]");
            }
        }
        // save/restore keeps mask, model and style bank
        ProcedureState s = c.save();
        PflResFim.Client d = (PflResFim.Client) algo.newClient("x");
        d.restore(s);
        assertEquals(c.mask(), d.mask());
        assertArrayEquals(c.model().get("head.weight").data(), d.model().get("head.weight").data());
    }

    /** Site 0 of three tiny synthetic sites after one fit with an estimate (round 1, W = 0, R = 1, N = 4). */
    private static PflResFim.Client fitOnce(Map<String, Object> params) {
        Map<String, Object> all = new java.util.LinkedHashMap<>(Map.of("warmup", 0, "every", 1, "samples", 4, "variant", "resfim"));
        all.putAll(params);
        PflResFim algo = new PflResFim("pfl-resfim", all);
        List<SiteParticipant> ps = sites(algo, 3);
        ModelState init = init();
        StyleBank bank = new StyleBank();
        for (SiteParticipant q : ps) {
            Message m = q.procedure().setup(q, init);
            if (m != null) { // variant = fim shares no style
                bank = StyleBank.merge(List.of(bank, StyleBank.fromState(m.tensors())));
            }
        }
        PflResFim.Client c = (PflResFim.Client) ps.get(0).procedure();
        c.fit(ps.get(0), 1, Message.of(bank.toState()));
        return c;
    }

    private static List<String> trainable(ModelState m) {
        return m.tensors().stream().filter(t -> t.role().trainable()).map(Tensor::name).toList();
    }

    @Test
    void everyEstimateWritesTheDiagnosticsAndTheNullControls() {
        PflResFim.Client c = fitOnce(Map.of("null_controls", "both"));
        Map<String, Double> st = c.stats();
        for (String t : trainable(c.model())) {
            double j = st.get("jaccard_fim." + t);
            assertTrue(j >= 0 && j <= 1, t + " " + j);
            assertTrue(st.containsKey("gain." + t), t);
            assertTrue(st.containsKey("null_style_gain." + t), t);
            assertTrue(st.containsKey("null_split_gain." + t), t);
        }
        assertTrue(st.get("gain") > 0);
        assertTrue(st.get("spearman_fim") >= -1 && st.get("spearman_fim") <= 1);
        assertEquals(2.0, st.get("foreign_sites"));
        int train = sites(new PflResFim("pfl-resfim", Map.of()), 3).get(0).trainSamples().size();
        assertEquals(Math.min(4, train - 4), st.get("null_split_samples"), "the next samples of the same shuffle");
        assertTrue(st.containsKey("null_style_gain") && st.containsKey("null_split_gain") && st.containsKey("diagnostics_seconds"));
        for (String k : List.of("null_style_jaccard_fim", "null_split_jaccard_fim")) {
            assertTrue(st.get(k) >= 0 && st.get(k) <= 1, k + " " + st.get(k));
        }
        // the null mask by hand: the same partition with the null Fisher in place of the foreign ones
        // fim computes no foreign Fisher, so there is no null residual to compare: asking for one is refused, not ignored
        ConfigException noResidual = assertThrows(ConfigException.class, () -> fitOnce(Map.of("null_controls", "both", "variant", "fim")));
        assertTrue(noResidual.getMessage().startsWith("pfl-resfim.null_controls = both needs the foreign Fishers"), noResidual.getMessage());

        // gate = 1 makes the fim mask: the diagnostics must say Jaccard 1 everywhere
        PflResFim.Client gated = fitOnce(Map.of("gate", 1));
        for (String t : trainable(gated.model())) {
            assertEquals(1.0, gated.stats().get("jaccard_fim." + t), t);
        }
        // diagnostics do not change the partition; off writes none; fim computes no foreign Fisher, so has none
        PflResFim.Client off = fitOnce(Map.of("diagnostics", "off"));
        assertEquals(c.mask(), off.mask());
        assertFalse(off.stats().containsKey("jaccard_fim"));
        assertFalse(fitOnce(Map.of("variant", "fim")).stats().containsKey("gain"));
    }

    @Test
    void residualDesignsAndMaxForeignRun() {
        PflResFim.Client one = fitOnce(Map.of("max_foreign", 1));
        assertEquals(1.0, one.stats().get("foreign_sites"));
        for (Map<String, Object> p : List.<Map<String, Object>>of(Map.of("residual", "direction"), Map.of("residual", "log-ratio", "gate", 2),
                Map.of("residual", "relative", "eps", "tau", "ties", "random"), Map.of("budget", "gain"), Map.of("budget", "gain", "variant", "fim"))) {
            PflResFim.Client c = fitOnce(p);
            long personal = 0;
            long total = 0;
            for (Tensor t : c.model().tensors()) {
                if (t.role().trainable()) {
                    personal += c.mask().count(t.name());
                    total += t.size();
                }
            }
            assertEquals(org.resfim.fisher.SensitivityPartition.count((int) total, 0.2), personal,
                    p.containsKey("budget") ? 0 : 0.01 * total, p + ": ρ of the trainable elements");
            assertTrue(c.stats().containsKey("jaccard_fim"), p.toString());
        }
    }

    @Test
    void newOptionsAreCheckedNamingTheKey() {
        PflResFim a = (PflResFim) AlgorithmRegistry.create("pfl-resfim:variant=resfim,ties=random,budget=gain,gate=2,eps=tau,residual=log-ratio,max_foreign=3,null_controls=split");
        assertEquals(PartitionConfig.Ties.RANDOM, a.partition().ties());
        assertEquals(PartitionConfig.Budget.GAIN, a.partition().budget());
        assertEquals(2.0, a.partition().gate());
        assertTrue(a.partition().epsTau());
        assertEquals(org.resfim.fisher.Residual.LOG_RATIO, a.partition().residual());
        assertTrue(message("pfl-resfim:null_controls=sometimes").startsWith("pfl-resfim.null_controls must be one of"));
        assertTrue(message("pfl-resfim:null_controls=both,diagnostics=off").contains("pfl-resfim.diagnostics = on"));
        assertTrue(message("pfl-resfim:diagnostics=maybe").startsWith("pfl-resfim.diagnostics"));
        assertTrue(message("pfl-resfim:max_foreign=-1").startsWith("pfl-resfim.max_foreign"));
        assertTrue(message("pfl-resfim:gate=0.5").contains("resfim.gate"));
        assertTrue(message("pfl-resfim:budget=gain,scope=global").contains("resfim.budget"));
        // the default variant is fim: options that only a residual reads are refused with the variant named, not silently ignored
        assertEquals("pfl-resfim: resfim.residual = direction needs a residual: resfim.variant = resfim (or layerwise); resfim.variant = fim "
                + "(the default is fim) ranks no residual, so the option would be ignored", message("pfl-resfim:residual=direction"));
        assertTrue(message("pfl-resfim:gate=2").contains("resfim.gate needs resfim.scope = per-tensor and resfim.variant = resfim"));
        assertTrue(message("pfl-resfim:variant=random,residual=log-ratio").contains("resfim.variant = random"));
        assertEquals(org.resfim.fisher.Residual.DIRECTION, ((PflResFim) AlgorithmRegistry.create("pfl-resfim:variant=resfim,residual=direction"))
                .partition().residual());
        assertEquals(PartitionConfig.Variant.FIM, ((PflResFim) AlgorithmRegistry.create("pfl-resfim")).partition().variant(), "the default");
        for (String m : List.of(message("pfl-resfim:null_controls=sometimes"), message("pfl-resfim:gate=0.5"))) {
            assertFalse(m.contains("\n"), "one line: " + m);
        }
    }

    /** A setting the configuration would never read is named with why (a run refuses it; Plans checks it). */
    @Test
    void settingsThisConfigurationNeverReadsAreNamed() {
        String windows = " shapes the style windows, and with resfim.variant = fim (the default) none is shared";
        assertTrue(unread("pfl-resfim:beta=0.1").startsWith("style.beta = 0.1" + windows), unread("pfl-resfim:beta=0.1"));
        assertTrue(unread("pfl-resfim:share=per-image").startsWith("style.share = per-image" + windows));
        assertTrue(unread("pfl-resfim:m=4").startsWith("style.m = 4" + windows));
        assertTrue(unread("pfl-resfim:variant=random,sigma=0.1").startsWith("style.sigma = 0.1 shapes the style windows, and with resfim.variant = random none"));
        assertTrue(unread("pfl-resfim:lambda=0.5,augment=on").startsWith("style.lambda = 0.5 is read by the estimate on foreign styles, which "
                + "resfim.variant = fim (the default) does not make"), "augmentation draws its own λ");
        assertTrue(unread("pfl-resfim:max_foreign=3").startsWith("pfl-resfim.max_foreign = 3 is read by the estimate on foreign styles"));
        assertEquals("style.p = 0.9 is read by style.augment = on only (it is off)", unread("pfl-resfim:variant=resfim,p=0.9"));
        assertEquals("resfim.eps = tau is read by resfim.residual = relative only (it is log-ratio)",
                unread("pfl-resfim:variant=resfim,residual=log-ratio,eps=tau"));
        assertEquals("resfim.eps = 1.0E-6 is read by resfim.residual = relative only (it is absolute)", unread("pfl-resfim:variant=resfim,eps=1e-6"));
        // each read where it counts, and the defaults written out (as a report rebuilds a run) are never "unread"
        for (String read : List.of("pfl-resfim", "pfl-resfim:variant=resfim,beta=0.1,share=per-image,m=4,sigma=0.1,lambda=0.5,max_foreign=3",
                "pfl-resfim:budget=gain,lambda=0.5,beta=0.1", "pfl-resfim:augment=on,p=0.9,beta=0.1", "pfl-resfim:variant=layerwise,max_foreign=2",
                "pfl-resfim:variant=resfim,residual=relative,eps=tau", "pfl-resfim:beta=0.03,lambda=1,p=0.5,eps=1e-12,max_foreign=0")) {
            assertNull(AlgorithmRegistry.create(read).unreadSetting(), read);
        }
        assertNull(AlgorithmRegistry.create("fedavg").unreadSetting());
    }

    private static String unread(String spec) {
        String u = AlgorithmRegistry.create(spec).unreadSetting();
        assertNotNull(u, spec);
        return u;
    }

    private static String message(String spec) {
        return assertThrows(ConfigException.class, () -> AlgorithmRegistry.create(spec)).getMessage();
    }

    /** style.augment (METHOD.md step 2) as its own arm: the transform by hand, its rate, and that it trains on it. */
    @Test
    void styleAugmentationReRendersInAnotherSitesStyle() {
        org.resfim.data.Sample x = SyntheticSites.generate(1, 8, SIZE, 5).get(0).train().get(0);
        int side = AmplitudeTransfer.windowSide(AmplitudeTransfer.halfSize(SIZE, SIZE, 0.03));
        float[][][] mine = new float[3][side][side];
        float[][][] theirs = new float[3][side][side];
        for (int c = 0; c < 3; c++) {
            for (float[] row : theirs[c]) {
                java.util.Arrays.fill(row, 5f + c);
            }
        }
        StyleBank bank = new StyleBank();
        bank.put("me", java.util.Collections.singletonList(mine));
        bank.put("other", java.util.Collections.singletonList(theirs));

        PflResFim.Client off = (PflResFim.Client) new PflResFim("pfl-resfim", Map.of()).newClient("me");
        off.useBank(bank);
        assertNull(off.styleAugmentation(), "style.augment = off: no transform");
        PflResFim.Client alone = (PflResFim.Client) new PflResFim("pfl-resfim", Map.of("style.augment", "on")).newClient("me");
        StyleBank onlyMe = new StyleBank();
        onlyMe.put("me", java.util.Collections.singletonList(mine));
        alone.useBank(onlyMe);
        assertNull(alone.styleAugmentation(), "no other site: nothing to re-render in");
        PflResFim.Client never = (PflResFim.Client) new PflResFim("pfl-resfim", Map.of("style.augment", "on", "style.p", 0.0)).newClient("me");
        never.useBank(bank);
        assertNull(never.styleAugmentation(), "p = 0: no transform and no draws, so the run equals augment = off");

        PflResFim.Client always = (PflResFim.Client) new PflResFim("pfl-resfim", Map.of("style.augment", "on", "style.p", 1.0)).newClient("me");
        always.useBank(bank);
        org.resfim.data.Sample y = always.styleAugmentation().apply(x, new java.util.Random(9));
        // by hand: the stream gives the p test, the site (1 other), the window (1), then λ
        java.util.Random r = new java.util.Random(9);
        r.nextDouble();
        r.nextInt(1);
        r.nextInt(1);
        double lambda = r.nextDouble();
        assertArrayEquals(AmplitudeTransfer.transfer(x.image(), 3, SIZE, SIZE, theirs, lambda), y.image(), "re-rendered in 'other' with λ");
        assertFalse(java.util.Arrays.equals(x.image(), y.image()));
        assertSame(x.mask(), y.mask(), "labels unchanged");

        PflResFim.Client half = (PflResFim.Client) new PflResFim("pfl-resfim", Map.of("style.augment", "on")).newClient("me");
        half.useBank(bank);
        java.util.Random draws = new java.util.Random(1);
        int changed = 0;
        for (int i = 0; i < 1000; i++) {
            if (half.styleAugmentation().apply(x, draws) != x) {
                changed++;
            }
        }
        assertEquals(500, changed, 80, "p = 0.5: binomial(1000, 0.5), sd 16");

        // in a federation the arm trains on the re-rendered images: another model than without augmentation
        PflResFim.Client plain = fitOnce(Map.of("variant", "fim"));
        PflResFim.Client augmented = fitOnce(Map.of("variant", "fim", "style.augment", "on", "style.p", 1.0));
        assertFalse(java.util.Arrays.equals(plain.model().get("d.0.c1.weight").data(), augmented.model().get("d.0.c1.weight").data()));
        PflResFim.Client zero = fitOnce(Map.of("variant", "fim", "style.augment", "on", "style.p", 0.0));
        assertArrayEquals(plain.model().get("d.0.c1.weight").data(), zero.model().get("d.0.c1.weight").data(), "p = 0 trains as off");
    }

    @Test
    void scheduleFollowsWarmupAndEvery() {
        // T = 20: W = ceil(20/10) = 2; the default R = 20 → one estimate, after round 3; R = 5 → 3, 8, 13, 18
        assertEquals(List.of(3), estimateRounds(new PflResFim("pfl-resfim", Map.of()), 20));
        // T = 100: W = 10 → 11, 31, 51, 71, 91
        assertEquals(List.of(11, 31, 51, 71, 91), estimateRounds(new PflResFim("pfl-resfim", Map.of()), 100));
        assertEquals(List.of(3, 8, 13, 18), estimateRounds(new PflResFim("pfl-resfim", Map.of("every", 5)), 20));
    }

    private static List<Integer> estimateRounds(PflResFim a, int total) {
        List<Integer> rounds = new ArrayList<>();
        for (int r = 1; r <= total; r++) {
            if (a.estimates(r, total)) {
                rounds.add(r);
            }
        }
        return rounds;
    }

    @Test
    void ablationSpecsConfigureTheVariant() {
        PflResFim a = (PflResFim) AlgorithmRegistry.create("pfl-resfim:variant=fim,rho=0.1");
        assertEquals(PartitionConfig.Variant.FIM, a.partition().variant());
        assertEquals(0.1, a.partition().rho());
        assertEquals("pfl-resfim:variant=fim,rho=0.1", a.spec());
        PflResFim b = (PflResFim) AlgorithmRegistry.create("pfl-resfim:variant=resfim,style.beta=0.05,residual=relative,scope=global");
        assertEquals(0.05, b.style().beta());
        ConfigException e = assertThrows(ConfigException.class, () -> AlgorithmRegistry.create("pfl-resfim:rho=0"));
        assertTrue(e.getMessage().contains("resfim.rho"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> AlgorithmRegistry.create("pfl-resfm"));
        assertTrue(e.getMessage().contains("did you mean 'pfl-resfim'"), e.getMessage());
    }

    @Test
    void badStyleWindowsAndMasksAreRefusedNamingTheSiteAndTheRoundGoesOn() {
        PflResFim algo = new PflResFim("pfl-resfim", Map.of("resfim.variant", "resfim"));
        MaskedAverageServer server = (MaskedAverageServer) algo.newServer(init());
        int side = AmplitudeTransfer.windowSide(1);
        List<Reply> setup = new ArrayList<>();
        setup.add(new Reply("good", Phase.SETUP, 0, Message.of(bank("good", 3, side, 1f)), 5, null, null));
        setup.add(new Reply("nan", Phase.SETUP, 0, Message.of(bank("nan", 3, side, Float.NaN)), 5, null, null));
        setup.add(new Reply("shape", Phase.SETUP, 0, Message.of(bank("shape", 3, side + 2, 1f)), 5, null, null));
        setup.add(new Reply("other", Phase.SETUP, 0, Message.of(bank("good2", 3, side, 1f)), 5, null, null));
        Message fwd = server.setup(setup);
        assertEquals(List.of("good"), StyleBank.fromState(fwd.tensors()).sites());
        Map<String, String> rej = server.lastRejections();
        assertEquals(3, rej.size(), rej.toString());
        assertTrue(rej.get("nan").toLowerCase().contains("nan"), rej.get("nan"));
        assertTrue(rej.containsKey("shape") && rej.containsKey("other"), rej.toString());

        // a mask of the wrong length: that upload is dropped, the other site's is aggregated
        ModelState g = init();
        ModelState head = g.filter(x -> x.name().startsWith("head"));
        Mask wrong = new Mask();
        wrong.addTensor("head.weight", 3);
        wrong.addTensor("head.bias", 1);
        Reply badMask = new Reply("a", Phase.FIT, 1, new Message(head.copy(), wrong, null), 4, null, null);
        ModelState moved = org.resfim.state.StateOps.scale(head, 2.0);
        Reply fine = new Reply("b", Phase.FIT, 1, Message.of(moved), 4, null, null);
        Map<String, Message> down = server.aggregate(1, List.of(badMask, fine), List.of("a", "b"));
        assertTrue(server.lastRejections().get("a").contains("head.weight"), server.lastRejections().toString());
        assertArrayEquals(moved.get("head.weight").data(), down.get("a").tensors().get("head.weight").data());
        Reply nonFinite = new Reply("c", Phase.FIT, 2, Message.of(org.resfim.state.StateOps.scale(head, Double.NaN)), 4, null, null);
        server.aggregate(2, List.of(nonFinite, fine), List.of("b", "c"));
        assertTrue(server.lastRejections().containsKey("c"));
    }

    /** #17 item 7: the style bank's shape and window count come from the configuration, not from the first answer. */
    @Test
    void theStyleBankShapeAndWindowCountAreFixedByTheConfiguration() {
        PflResFim algo = new PflResFim("pfl-resfim", Map.of("resfim.variant", "resfim"));
        MaskedAverageServer server = (MaskedAverageServer) algo.newServer(init());
        org.resfim.federation.SetupBound bound = algo.setupBound(3, 32, 32);
        assertEquals(3, bound.channels());
        server.expectSetup(bound);
        int side = bound.side();
        List<Reply> setup = new ArrayList<>();
        // the first to answer sends another shape: it does not set the rule for the others
        setup.add(new Reply("first", Phase.SETUP, 0, Message.of(bank("first", 3, side + 2, 1f)), 5, null, null));
        setup.add(new Reply("good", Phase.SETUP, 0, Message.of(bank("good", 3, side, 1f)), 5, null, null));
        ModelState two = bank("many", 3, side, 1f);
        Tensor w0 = two.get("style.many.0");
        two.put(new Tensor("style.many.1", w0.role(), w0.part(), w0.shape(), w0.data().clone()));
        setup.add(new Reply("many", Phase.SETUP, 0, Message.of(two), 5, null, null));
        Message fwd = server.setup(setup);
        assertEquals(List.of("good"), StyleBank.fromState(fwd.tensors()).sites());
        Map<String, String> rej = server.lastRejections();
        assertTrue(rej.get("first").contains("style bank rejected"), rej.toString());
        assertTrue(rej.get("many").contains("it sent 2 style windows; the configuration allows 1 (style.share = site-mean"), rej.toString());

        // roles are the model's: a tensor uploaded under another role (or part) is refused
        ModelState g = init();
        Tensor h = g.get("head.weight");
        ModelState relabelled = new ModelState();
        relabelled.put(new Tensor(h.name(), TensorRole.NORM_RUNNING_MEAN, h.part(), h.shape(), h.data().clone()));
        server.aggregate(1, List.of(new Reply("good", Phase.FIT, 1, Message.of(relabelled), 5, null, null)), List.of("good"));
        assertTrue(server.lastRejections().get("good").contains("has role NORM_RUNNING_MEAN"), server.lastRejections().toString());
    }

    static ModelState bank(String site, int c, int side, float value) {
        ModelState s = new ModelState();
        float[] d = new float[c * side * side];
        java.util.Arrays.fill(d, value);
        s.put(new Tensor("style." + site + ".0", TensorRole.STYLE_AMPLITUDE, org.resfim.state.NetworkPart.ENCODER, new int[] {c, side, side}, d));
        return s;
    }
}
