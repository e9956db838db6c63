package org.resfim.transport;

import org.junit.jupiter.api.Test;
import org.resfim.federation.ImageScore;
import org.resfim.federation.Message;
import org.resfim.metrics.MetricSummary;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Every upload is checked where it enters the server: a bad or hostile one is refused with the reason. */
class UploadCheckTest {
    private static final ModelState MODEL = model(1f);
    private static final UploadCheck CHECK = new UploadCheck(MODEL, 1000);
    private static final Frame.Call FIT = new Frame.Call(7, "FIT", 2, "fedavg", 0, null, 0, 0, "float32");

    static ModelState model(float v) {
        ModelState s = new ModelState();
        s.put(new Tensor("conv.weight", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {2, 3}, new float[] {v, v, v, v, v, v}));
        s.put(new Tensor("conv.bias", TensorRole.CONV_BIAS, NetworkPart.ENCODER, new int[] {2}, new float[] {v, v}));
        return s;
    }

    static Frame.Answer answer(String site, String phase, int round, Payload p, String dtype) {
        return new Frame.Answer(7, phase, round, site, 10, Map.of("train_loss", 0.3), List.of(), Map.of(), p.state().length,
                p.mask().length, dtype, "", false);
    }

    static String refusal(String site, Frame.Call call, Frame.Answer a, Payload p) {
        TransportException e = assertThrows(TransportException.class, () -> CHECK.check(site, call, a, p));
        return e.getMessage();
    }

    @Test
    void aValidUploadPasses() throws Exception {
        Payload p = Payload.of(Message.of(model(0.5f)));
        Message m = CHECK.check("a", FIT, answer("a", "FIT", 2, p, "float32"), p);
        assertEquals(MODEL.names(), m.tensors().names());
    }

    @Test
    void hostileOrBrokenUploadsAreRefusedWithTheReason() {
        Payload good = Payload.of(Message.of(model(0.5f)));
        assertTrue(refusal("a", FIT, answer("b", "FIT", 2, good, "float32"), good).contains("names site 'b'"));
        assertTrue(refusal("a", FIT, answer("a", "FIT", 3, good, "float32"), good).contains("round 3"));
        assertTrue(refusal("a", FIT, answer("a", "FIT", 2, good, "float64"), good).contains("float64"));

        ModelState nan = model(0.5f);
        nan.get("conv.bias").data()[1] = Float.NaN;
        Payload pn = Payload.of(Message.of(nan));
        assertTrue(refusal("a", FIT, answer("a", "FIT", 2, pn, "float32"), pn).contains("finite"));

        ModelState foreign = new ModelState(); // as many tensors as the model, one of them not the model's
        foreign.put(model(0.5f).get("conv.weight"));
        foreign.put(new Tensor("exfiltrated", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {1}, new float[] {1}));
        Payload pf = Payload.of(Message.of(foreign));
        assertTrue(refusal("a", FIT, answer("a", "FIT", 2, pf, "float32"), pf).contains("not part of the model"));

        ModelState shape = new ModelState();
        shape.put(new Tensor("conv.weight", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {3, 2}, new float[6]));
        Payload ps = Payload.of(Message.of(shape));
        assertTrue(refusal("a", FIT, answer("a", "FIT", 2, ps, "float32"), ps).contains("shape"));

        Mask wrong = new Mask();
        wrong.addTensor("conv.weight", 5);
        Payload pm = Payload.of(new Message(model(0.5f), wrong, null));
        assertNotNull(refusal("a", FIT, answer("a", "FIT", 2, pm, "float32"), pm));

        UploadCheck tiny = new UploadCheck(MODEL, 4);
        assertThrows(TransportException.class, () -> tiny.check("a", FIT, answer("a", "FIT", 2, good, "float32"), good));

        Frame.Answer badScore = new Frame.Answer(7, "FIT", 2, "a", 10, Map.of(), List.of(new ImageScore("train", "x",
                new MetricSummary(0, 0, 0, 0, 0))), Map.of(), good.state().length, 0, "float32", "", false);
        assertTrue(refusal("a", FIT, badScore, good).contains("split"));

        Frame.Answer badStat = new Frame.Answer(7, "FIT", 2, "a", 10, Map.of("evil\u0000name", 1.0), List.of(), Map.of(),
                good.state().length, 0, "float32", "", false);
        assertTrue(refusal("a", FIT, badStat, good).contains("control character"));

        Frame.Call eval = new Frame.Call(7, "EVALUATE", 2, "fedavg", 0, null, 0, 0, "float32");
        // an EVALUATE answer may decode to nothing: refused at its tensor count, before a tensor is built
        assertTrue(refusal("a", eval, answer("a", "EVALUATE", 2, good, "float32"), good).contains("2 tensors, more than the 0 allowed"));
    }

    /** #17 item 2: counts are checked as they are read, before anything is built for them. */
    @Test
    void countsAreCheckedBeforeDecodingAgainstTheModelAndTheConfiguredStyleBank() throws Exception {
        ModelState many = model(0.5f);
        many.put(new Tensor("extra", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {1}, new float[] {1}));
        Payload pm = Payload.of(Message.of(many));
        assertTrue(refusal("a", FIT, answer("a", "FIT", 2, pm, "float32"), pm).contains("3 tensors, more than the 2 allowed"));

        Mask big = new Mask();
        for (int i = 0; i < 3; i++) {
            big.addTensor("m" + i, 1);
        }
        Payload pk = new Payload(Payload.of(Message.of(model(0.5f))).state(), big.toBytes());
        assertTrue(refusal("a", FIT, answer("a", "FIT", 2, pk, "float32"), pk).contains("mask encoding: 3 tensors, more than the 2 allowed"));

        // SETUP: the style bank the configuration fixes (here 1 window of [3, 3, 3]); a second window is refused
        UploadCheck withBank = new UploadCheck(MODEL, 1000, new org.resfim.federation.SetupBound(1, 27, 3));
        Frame.Call setup = new Frame.Call(7, "SETUP", 0, "pfl-resfim", 0, null, 0, 0, "float32");
        ModelState bank = new ModelState();
        for (int i = 0; i < 2; i++) {
            bank.put(new Tensor("style.a." + i, TensorRole.STYLE_AMPLITUDE, NetworkPart.ENCODER, new int[] {3, 3, 3}, new float[27]));
        }
        Payload pb = Payload.of(Message.of(bank));
        TransportException e = assertThrows(TransportException.class, () -> withBank.check("a", setup, answer("a", "SETUP", 0, pb, "float32"), pb));
        assertTrue(e.getMessage().contains("2 tensors, more than the 1 allowed"), e.getMessage());
        assertEquals(new Payload.Limits(0, 0, 0), withBank.limits(new Frame.Call(7, "SETUP", 3, "pfl-resfim", 0, null, 0, 0, "float32")),
                "a restore answer carries nothing");

        // the decoders themselves
        byte[] three = org.resfim.state.StateFile.toBytes(many, Map.of("k", "v"));
        org.resfim.state.StateFormatException f = assertThrows(org.resfim.state.StateFormatException.class,
                () -> org.resfim.state.StateFile.fromBytes(three, "x", 0, 10));
        assertTrue(f.getMessage().contains("1 metadata entries, more than the 0 allowed"), f.getMessage());
        assertEquals(3, org.resfim.state.StateFile.fromBytes(three, "x", 1, 3).state().size());
        assertThrows(IllegalArgumentException.class, () -> Mask.fromBytes(big.toBytes(), 2));
    }

    @Test
    void aSetupAnswerLargerThanTheConfiguredStyleBankIsRefusedAtItsDeclaredSize() {
        org.resfim.federation.SetupBound b = new org.resfim.federation.SetupBound(8, 8 * 27, 3);
        assertTrue(b.maxBytes() < 64 << 10, "a style bank is a few KB: " + b.maxBytes());
        assertEquals(0, org.resfim.federation.SetupBound.NONE.maxBytes());
        TransportException e = assertThrows(TransportException.class, () -> new Payload.Assembler(1, 82_000_000, 0, b.maxBytes(),
                "its SETUP answer (round 0)"));
        assertTrue(e.getMessage().startsWith("its SETUP answer (round 0) declares a payload of 82000000 bytes, more than the limit of "),
                e.getMessage());
        // the residual's bound follows style.share, style.m and style.beta
        org.resfim.federation.Algorithm mean = org.resfim.algorithms.AlgorithmRegistry.create("pfl-resfim:variant=resfim");
        assertEquals(new org.resfim.federation.SetupBound(1, 3 * 9, 3), mean.setupBound(3, 32, 32));
        org.resfim.federation.Algorithm perImage = org.resfim.algorithms.AlgorithmRegistry.create("pfl-resfim:variant=resfim,share=per-image,m=4,beta=0.1");
        assertEquals(new org.resfim.federation.SetupBound(4, 4 * 7 * 7, 7), perImage.setupBound(1, 32, 32));
        assertEquals(org.resfim.federation.SetupBound.NONE, org.resfim.algorithms.AlgorithmRegistry.create("fedavg").setupBound(1, 32, 32));
        // own Fisher only (the default) shares no style; a gain budget needs the foreign Fishers, so the windows leave the site even for fim,
        // and the server (and the privacy check of Plans) must expect them; so does training on foreign styles
        assertEquals(org.resfim.federation.SetupBound.NONE, org.resfim.algorithms.AlgorithmRegistry.create("pfl-resfim")
                .setupBound(3, 32, 32));
        assertEquals(new org.resfim.federation.SetupBound(1, 3 * 9, 3), org.resfim.algorithms.AlgorithmRegistry
                .create("pfl-resfim:variant=fim,budget=gain").setupBound(3, 32, 32));
        assertEquals(new org.resfim.federation.SetupBound(1, 3 * 9, 3), org.resfim.algorithms.AlgorithmRegistry
                .create("pfl-resfim:variant=fim,augment=on").setupBound(3, 32, 32));
    }

    @Test
    void aTensorUploadedUnderAnotherRoleOrPartIsRefused() {
        ModelState relabelled = model(0.5f);
        Tensor b = relabelled.get("conv.bias");
        relabelled.put(new Tensor(b.name(), TensorRole.NORM_RUNNING_VAR, b.part(), b.shape(), b.data()));
        Payload p = Payload.of(Message.of(relabelled));
        assertTrue(refusal("a", FIT, answer("a", "FIT", 2, p, "float32"), p).contains("'conv.bias' has role NORM_RUNNING_VAR"));
        ModelState moved = model(0.5f);
        Tensor w = moved.get("conv.weight");
        moved.put(new Tensor(w.name(), w.role(), NetworkPart.HEAD, w.shape(), w.data()));
        Payload q = Payload.of(Message.of(moved));
        assertTrue(refusal("a", FIT, answer("a", "FIT", 2, q, "float32"), q).contains("in HEAD, model has CONV_WEIGHT in ENCODER"));
    }

    @Test
    void aSiteRefusesToSendPersonalValues() {
        ModelState s = model(0.5f);
        Mask m = Mask.wholeTensors(s, t -> false);
        m.set("conv.weight", 2, true);
        assertThrows(IllegalStateException.class, () -> SiteClient.requirePersonalZero(new Message(s, m, null)));
        s.get("conv.weight").data()[2] = 0f;
        SiteClient.requirePersonalZero(new Message(s, m, null));
    }
}
