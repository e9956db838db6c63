package org.resfim.transport;

import com.google.protobuf.ByteString;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import org.junit.jupiter.api.Test;
import org.resfim.federation.ImageScore;
import org.resfim.metrics.MetricSummary;
import org.resfim.transport.proto.ResfimFederation;
import org.resfim.transport.proto.ResfimFederation.DoubleEntry;
import org.resfim.transport.proto.ResfimFederation.Score;
import org.resfim.transport.proto.ResfimFederation.StringEntry;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * FrameCodec against the message classes protoc generates from resfim_federation.proto: frames written by the generated
 * builders decode into the expected records, field by field, and every record the codec writes parses with the generated
 * parser to the expected values, for every branch of {@code Frame.body}. Every field carries a value of its own, so two
 * fields swapped in the mapping fail.
 */
class GeneratedWireTest {

    private static Frame decodeBoth(ResfimFederation.Frame m) {
        byte[] wire = m.toByteArray();
        Frame viaBytes = FrameCodec.decode(wire);
        Frame viaGrpc = FrameCodec.INSTANCE.parse(new ByteArrayInputStream(wire));
        if (!(viaBytes instanceof Frame.Chunk)) {
            assertEquals(viaBytes, viaGrpc, "decode(byte[]) and the gRPC marshaller's parse agree");
        }
        return viaBytes;
    }

    /** What the codec writes, through encode(Frame) and through the stream gRPC drains, parsed by the generated parser. */
    private static ResfimFederation.Frame parseBoth(Frame f) throws Exception {
        byte[] encoded = FrameCodec.encode(f);
        InputStream s = FrameCodec.INSTANCE.stream(f);
        assertTrue(s instanceof Drainable && s instanceof KnownLength, "gRPC can drain the frame and knows its length");
        assertEquals(encoded.length, s.available());
        ByteArrayOutputStream drained = new ByteArrayOutputStream();
        assertEquals(encoded.length, ((Drainable) s).drainTo(drained));
        assertArrayEquals(encoded, drained.toByteArray(), "drained bytes are encode()'s bytes");
        assertArrayEquals(encoded, FrameCodec.INSTANCE.stream(f).readAllBytes(), "read as a plain stream: the same bytes");
        return ResfimFederation.Frame.parseFrom(encoded);
    }

    @Test
    void helloWelcomeRefusalFromTheGeneratedBuilders() throws Exception {
        Frame.Hello h = (Frame.Hello) decodeBoth(ResfimFederation.Frame.newBuilder().setHello(ResfimFederation.Hello.newBuilder()
                .setProtocolVersion(3).setSite("site-a").setSoftware("0.1.0").setPlanSha256("ab12")).build());
        assertEquals(3, h.protocolVersion());
        assertEquals("site-a", h.site());
        assertEquals("0.1.0", h.software());
        assertEquals("ab12", h.planSha256());

        Frame.Welcome w = (Frame.Welcome) decodeBoth(ResfimFederation.Frame.newBuilder().setWelcome(ResfimFederation.Welcome.newBuilder()
                .setProtocolVersion(4).setSite("site-b").setSoftware("0.2.0").setPlanSha256("cd34").setProgressMillis(2_500)).build());
        assertEquals(new Frame.Welcome(4, "site-b", "0.2.0", "cd34", 2_500), w);
        assertEquals(2_500, w.progressMillis());

        Frame.Refusal r = (Frame.Refusal) decodeBoth(ResfimFederation.Frame.newBuilder().setRefusal(ResfimFederation.Refusal.newBuilder()
                .setReason("wrong plan").setProtocolVersion(2).setPermanent(true)).build());
        assertEquals("wrong plan", r.reason());
        assertEquals(2, r.protocolVersion());
        assertTrue(r.permanent());
    }

    @Test
    void helloWelcomeRefusalParseWithTheGeneratedParser() throws Exception {
        ResfimFederation.Frame m = parseBoth(new Frame.Hello(3, "site-a", "0.1.0", "ab12"));
        assertEquals(ResfimFederation.Frame.BodyCase.HELLO, m.getBodyCase());
        assertEquals(3, m.getHello().getProtocolVersion());
        assertEquals("site-a", m.getHello().getSite());
        assertEquals("0.1.0", m.getHello().getSoftware());
        assertEquals("ab12", m.getHello().getPlanSha256());
        assertTrue(m.getHello().getUnknownFields().asMap().isEmpty());

        m = parseBoth(new Frame.Welcome(4, "site-b", "0.2.0", "cd34", 2_500));
        assertEquals(ResfimFederation.Frame.BodyCase.WELCOME, m.getBodyCase());
        ResfimFederation.Welcome w = m.getWelcome();
        assertEquals(List.of(4, "site-b", "0.2.0", "cd34", 2_500L),
                List.of(w.getProtocolVersion(), w.getSite(), w.getSoftware(), w.getPlanSha256(), w.getProgressMillis()));
        assertEquals(0, parseBoth(new Frame.Welcome(4, "site-b", "0.2.0", "cd34")).getWelcome().getProgressMillis());

        m = parseBoth(new Frame.Refusal("wrong plan", 2, true));
        assertEquals(ResfimFederation.Frame.BodyCase.REFUSAL, m.getBodyCase());
        assertEquals("wrong plan", m.getRefusal().getReason());
        assertEquals(2, m.getRefusal().getProtocolVersion());
        assertTrue(m.getRefusal().getPermanent());
    }

    @Test
    void callBothWays() throws Exception {
        ResfimFederation.Call.Builder c = ResfimFederation.Call.newBuilder().setId(42).setPhase("SECAGG").setRound(7).setRun("fedprox:mu=0.1")
                .setSeed(-5).setStateBytes(100).setMaskBytes(9).setDtype("float32").setSectionBytes(1234)
                .addMeta(StringEntry.newBuilder().setKey("secagg.step").setValue("mask"))
                .addMeta(StringEntry.newBuilder().setKey("k").setValue("v"));
        Frame.Call call = (Frame.Call) decodeBoth(ResfimFederation.Frame.newBuilder().setCall(c).build());
        assertEquals(42, call.id());
        assertEquals("SECAGG", call.phase());
        assertEquals(7, call.round());
        assertEquals("fedprox:mu=0.1", call.run());
        assertEquals(-5, call.seed());
        assertEquals(Map.of("secagg.step", "mask", "k", "v"), call.meta());
        assertEquals(100, call.stateBytes());
        assertEquals(9, call.maskBytes());
        assertEquals("float32", call.dtype());
        assertEquals(1234, call.sectionBytes());

        ResfimFederation.Call back = parseBoth(call).getCall();
        assertEquals(List.of(42L, "SECAGG", 7, "fedprox:mu=0.1", -5L, 100L, 9L, "float32", 1234L),
                List.of(back.getId(), back.getPhase(), back.getRound(), back.getRun(), back.getSeed(), back.getStateBytes(),
                        back.getMaskBytes(), back.getDtype(), back.getSectionBytes()));
        Map<String, String> meta = new LinkedHashMap<>();
        back.getMetaList().forEach(e -> meta.put(e.getKey(), e.getValue()));
        assertEquals(call.meta(), meta);
        assertEquals(2, back.getMetaCount());
    }

    @Test
    void answerBothWaysWithNonFiniteDoubles() throws Exception {
        ResfimFederation.Answer.Builder a = ResfimFederation.Answer.newBuilder().setId(43).setPhase("EVALUATE").setRound(3).setSite("site-a")
                .setNumSamples(12).setStateBytes(11).setMaskBytes(13).setDtype("float32").setError("diverged").setPermanent(true)
                .setSectionBytes(80_021)
                .addStats(DoubleEntry.newBuilder().setKey("loss").setValue(0.5))
                .addStats(DoubleEntry.newBuilder().setKey("nan").setValue(Double.NaN))
                .addStats(DoubleEntry.newBuilder().setKey("neg-zero").setValue(-0.0))
                .addScores(Score.newBuilder().setSplit("val").setImageId("img-1").setDice(0.5).setIou(0.25).setSensitivity(1)
                        .setSpecificity(0.75).setHd95(Double.POSITIVE_INFINITY))
                .addScores(Score.newBuilder().setSplit("test").setImageId("img-2").setDice(0.125).setHd95(Double.NEGATIVE_INFINITY))
                .addMeta(StringEntry.newBuilder().setKey("m").setValue("x"));
        Frame.Answer ans = (Frame.Answer) decodeBoth(ResfimFederation.Frame.newBuilder().setAnswer(a).build());
        assertEquals(43, ans.id());
        assertEquals("EVALUATE", ans.phase());
        assertEquals(3, ans.round());
        assertEquals("site-a", ans.site());
        assertEquals(12, ans.numSamples());
        assertEquals(0.5, ans.stats().get("loss"));
        assertTrue(Double.isNaN(ans.stats().get("nan")));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(ans.stats().get("neg-zero")), "-0.0 is not 0.0");
        assertEquals(List.of(new ImageScore("val", "img-1", new MetricSummary(0.5, 0.25, 1, 0.75, Double.POSITIVE_INFINITY)),
                new ImageScore("test", "img-2", new MetricSummary(0.125, 0, 0, 0, Double.NEGATIVE_INFINITY))), ans.scores());
        assertEquals(Map.of("m", "x"), ans.meta());
        assertEquals(11, ans.stateBytes());
        assertEquals(13, ans.maskBytes());
        assertEquals("float32", ans.dtype());
        assertEquals("diverged", ans.error());
        assertTrue(ans.permanent());
        assertEquals(80_021, ans.sectionBytes());

        ResfimFederation.Answer back = parseBoth(ans).getAnswer();
        assertEquals(List.of(43L, "EVALUATE", 3, "site-a", 12L, 11L, 13L, "float32", "diverged", true, 80_021L),
                List.of(back.getId(), back.getPhase(), back.getRound(), back.getSite(), back.getNumSamples(), back.getStateBytes(),
                        back.getMaskBytes(), back.getDtype(), back.getError(), back.getPermanent(), back.getSectionBytes()));
        Map<String, Double> stats = new LinkedHashMap<>();
        back.getStatsList().forEach(e -> stats.put(e.getKey(), e.getValue()));
        assertEquals(ans.stats().keySet(), stats.keySet());
        assertTrue(Double.isNaN(stats.get("nan")));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(stats.get("neg-zero")));
        assertEquals(2, back.getScoresCount());
        Score s = back.getScores(0);
        assertEquals(List.of("val", "img-1", 0.5, 0.25, 1.0, 0.75, Double.POSITIVE_INFINITY),
                List.of(s.getSplit(), s.getImageId(), s.getDice(), s.getIou(), s.getSensitivity(), s.getSpecificity(), s.getHd95()));
        assertEquals(Double.NEGATIVE_INFINITY, back.getScores(1).getHd95());
        assertEquals("x", back.getMeta(0).getValue());
    }

    @Test
    void anAnswerWithoutPayloadOrErrorLeavesThoseFieldsOffTheWire() throws Exception {
        Frame.Answer ok = new Frame.Answer(44, "FIT", 1, "site-a", 0, null, null, null, 0, 0, "float32", null, false);
        ResfimFederation.Answer back = parseBoth(ok).getAnswer();
        assertEquals("", back.getError());
        assertEquals(0, back.getStatsCount() + back.getScoresCount() + back.getMetaCount());
        // proto3: only the fields not at their default are written (id, phase, round, site, dtype)
        assertEquals(ResfimFederation.Answer.newBuilder().setId(44).setPhase("FIT").setRound(1).setSite("site-a").setDtype("float32")
                .build().getSerializedSize(), back.getSerializedSize());
        assertEquals(ok, decodeBoth(ResfimFederation.Frame.newBuilder().setAnswer(back).build()));
    }

    @Test
    void chunkBothWays() throws Exception {
        byte[] data = new byte[(1 << 20) + 3];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        ResfimFederation.Frame m = ResfimFederation.Frame.newBuilder().setChunk(ResfimFederation.Chunk.newBuilder().setId(43).setPart(2)
                .setOffset(5L << 20).setData(ByteString.copyFrom(data))).build();
        byte[] wire = m.toByteArray();
        for (Frame f : List.of(FrameCodec.decode(wire), FrameCodec.INSTANCE.parse(new ByteArrayInputStream(wire)))) {
            Frame.Chunk c = (Frame.Chunk) f;
            assertEquals(43, c.id());
            assertEquals(2, c.part());
            assertEquals(5L << 20, c.offset());
            assertArrayEquals(data, c.data());
        }
        // the record's bytes are its own: overwriting the received frame afterwards does not change them
        Frame.Chunk c = (Frame.Chunk) FrameCodec.decode(wire);
        java.util.Arrays.fill(wire, (byte) 0);
        assertArrayEquals(data, c.data());

        ResfimFederation.Chunk back = parseBoth(new Frame.Chunk(43, 2, 5L << 20, data)).getChunk();
        assertEquals(43, back.getId());
        assertEquals(2, back.getPart());
        assertEquals(5L << 20, back.getOffset());
        assertArrayEquals(data, back.getData().toByteArray());

        ResfimFederation.Chunk empty = parseBoth(new Frame.Chunk(1, 0, 0, null)).getChunk();
        assertTrue(empty.getData().isEmpty());
        assertArrayEquals(new byte[0], ((Frame.Chunk) FrameCodec.decode(FrameCodec.encode(new Frame.Chunk(1, 0, 0, null)))).data());
    }

    @Test
    void noticeByeProgressBothWays() throws Exception {
        assertEquals(new Frame.Notice(2, "rejected"), decodeBoth(ResfimFederation.Frame.newBuilder()
                .setNotice(ResfimFederation.Notice.newBuilder().setRound(2).setText("rejected")).build()));
        assertEquals(new Frame.Bye("done"), decodeBoth(ResfimFederation.Frame.newBuilder()
                .setBye(ResfimFederation.Bye.newBuilder().setReason("done")).build()));
        assertEquals(new Frame.Progress(42, 1234), decodeBoth(ResfimFederation.Frame.newBuilder()
                .setProgress(ResfimFederation.Progress.newBuilder().setId(42).setCpuMillis(1234)).build()));

        ResfimFederation.Frame n = parseBoth(new Frame.Notice(2, "rejected"));
        assertEquals(ResfimFederation.Frame.BodyCase.NOTICE, n.getBodyCase());
        assertEquals(2, n.getNotice().getRound());
        assertEquals("rejected", n.getNotice().getText());
        ResfimFederation.Frame b = parseBoth(new Frame.Bye("done"));
        assertEquals(ResfimFederation.Frame.BodyCase.BYE, b.getBodyCase());
        assertEquals("done", b.getBye().getReason());
        ResfimFederation.Frame p = parseBoth(new Frame.Progress(42, 1234));
        assertEquals(ResfimFederation.Frame.BodyCase.PROGRESS, p.getBodyCase());
        assertEquals(9, ResfimFederation.Frame.PROGRESS_FIELD_NUMBER);
        assertEquals(42, p.getProgress().getId());
        assertEquals(1234, p.getProgress().getCpuMillis());
        // a body at all defaults is still a body (an empty Bye is a Bye)
        assertEquals(new Frame.Bye(""), decodeBoth(ResfimFederation.Frame.newBuilder().setBye(ResfimFederation.Bye.getDefaultInstance()).build()));
        assertEquals(ResfimFederation.Frame.BodyCase.BYE, parseBoth(new Frame.Bye(null)).getBodyCase());
    }

    @Test
    void aFrameIsOneBodyNotZeroNorTwoAndItsStringsAreUtf8() {
        byte[] hello = FrameCodec.encode(new Frame.Hello(1, "a", "v", "h"));
        byte[] bye = FrameCodec.encode(new Frame.Bye("x"));
        byte[] two = new byte[hello.length + bye.length];
        System.arraycopy(hello, 0, two, 0, hello.length);
        System.arraycopy(bye, 0, two, hello.length, bye.length);
        assertEquals("frame has more than one body", assertThrows(IllegalArgumentException.class, () -> FrameCodec.decode(two)).getMessage());
        byte[] twice = new byte[2 * hello.length];
        System.arraycopy(hello, 0, twice, 0, hello.length);
        System.arraycopy(hello, 0, twice, hello.length, hello.length);
        assertEquals("frame has more than one body", assertThrows(IllegalArgumentException.class, () -> FrameCodec.decode(twice)).getMessage());
        assertEquals("empty frame", assertThrows(IllegalArgumentException.class, () -> FrameCodec.decode(new byte[0])).getMessage());
        // only an unknown field (a branch a newer peer might add, number 10): no body this end knows
        assertEquals("empty frame", assertThrows(IllegalArgumentException.class,
                () -> FrameCodec.decode(new byte[] {(byte) (10 << 3 | 2), 0})).getMessage());
        // a body field with the wrong wire type is an unknown field, not a body
        assertEquals("empty frame", assertThrows(IllegalArgumentException.class,
                () -> FrameCodec.decode(new byte[] {(byte) (1 << 3), 5})).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FrameCodec.decode(new byte[] {10, 100, 1})).getMessage()
                .startsWith("malformed frame: "));
        // Notice.text = 0xC3 alone (a truncated two-byte sequence): proto3 strings are UTF-8, so the frame is malformed
        byte[] badText = {0x3A, 0x03, 0x12, 0x01, (byte) 0xC3};
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FrameCodec.decode(badText)).getMessage()
                .startsWith("malformed frame: "));
    }
}
