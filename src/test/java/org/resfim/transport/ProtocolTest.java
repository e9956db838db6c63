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

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Frames survive the protobuf encoding; payloads of any size travel in chunks of at most 1 MiB and reassemble exactly. */
class ProtocolTest {

    static ModelState state(long parameters, long seed) {
        ModelState s = new ModelState();
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int per = 1 << 20;
        int k = 0;
        for (long left = parameters; left > 0; left -= per, k++) {
            int n = (int) Math.min(per, left);
            float[] d = new float[n];
            for (int i = 0; i < n; i++) {
                d[i] = (float) r.nextGaussian();
            }
            s.put(new Tensor("enc." + k + ".weight", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {n}, d));
        }
        return s;
    }

    @Test
    void everyFrameKindRoundTrips() {
        List<Frame> frames = List.of(
                new Frame.Hello(Protocol.VERSION, "site-a", "1.2.3", "abc"),
                new Frame.Welcome(Protocol.VERSION, "site-a", "1.2.3", "abc"),
                new Frame.Welcome(Protocol.VERSION, "site-a", "1.2.3", "abc", 2_500),
                new Frame.Progress(42, 1234),
                new Frame.Refusal("no", 7, true),
                new Frame.Call(42, "FIT", 3, "fedprox:mu=0.1", -5, Map.of("k", "v"), 100, 7, "float32"),
                new Frame.Call(45, "SECAGG", 3, "fedavg", 0, Map.of("secagg.step", "mask"), 0, 0, "float32", 1234),
                new Frame.Answer(46, "SECAGG", 3, "site-a", 12, null, null, null, 0, 0, "float32", "", false, 80_021),
                new Frame.Answer(43, "EVALUATE", 3, "site-a", 12, Map.of("loss", 0.5, "nan", Double.NaN),
                        List.of(new ImageScore("val", "img-1", new MetricSummary(0.5, 0.25, 1, 0, Double.POSITIVE_INFINITY))),
                        Map.of("m", "x"), 0, 0, "float32", "", false),
                new Frame.Answer(44, "FIT", 1, "site-a", 0, null, null, null, 0, 0, "float32", "diverged", true),
                new Frame.Chunk(43, 1, 1 << 20, new byte[] {1, 2, 3}),
                new Frame.Notice(2, "rejected"),
                new Frame.Bye("done"));
        for (Frame f : frames) {
            Frame back = FrameCodec.decode(FrameCodec.encode(f));
            if (f instanceof Frame.Chunk c) {
                Frame.Chunk b = (Frame.Chunk) back;
                assertEquals(c.id(), b.id());
                assertEquals(c.offset(), b.offset());
                assertArrayEquals(c.data(), b.data());
            } else if (f instanceof Frame.Answer a && a.stats().containsKey("nan")) {
                Frame.Answer b = (Frame.Answer) back;
                assertTrue(Double.isNaN(b.stats().get("nan")));
                assertEquals(a.scores(), b.scores());
                assertEquals(0.5, b.stats().get("loss"));
            } else {
                assertEquals(f, back, f.getClass().getSimpleName());
            }
        }
    }

    @Test
    void aProgressFrameIsTheOneofBranchNineOfTheProto() {
        // by hand from the .proto: Frame field 9 (length-delimited: tag 9 << 3 | 2 = 0x4A), 5 bytes: Progress.id = 42
        // (tag 0x08, varint 0x2A), Progress.cpu_millis = 1234 (tag 0x10, varint 0xD2 0x09)
        byte[] wire = {0x4A, 0x05, 0x08, 0x2A, 0x10, (byte) 0xD2, 0x09};
        assertArrayEquals(wire, FrameCodec.encode(new Frame.Progress(42, 1234)));
        assertEquals(new Frame.Progress(42, 1234), FrameCodec.decode(wire));
        // Welcome.progress_millis is field 5 (varint, tag 0x28); a Hello carrying field 5 is read without it
        byte[] welcome = FrameCodec.encode(new Frame.Welcome(3, "a", "", "", 500));
        assertArrayEquals(new byte[] {0x12, 0x08, 0x08, 0x03, 0x12, 0x01, 'a', 0x28, (byte) 0xF4, 0x03}, welcome);
        byte[] hello = welcome.clone();
        hello[0] = 0x0A; // the same body as a Hello (field 1)
        assertEquals(new Frame.Hello(3, "a", "", ""), FrameCodec.decode(hello));
    }

    @Test
    void unknownFieldsAreSkippedAndGarbageIsRefused() throws Exception {
        byte[] hello = FrameCodec.encode(new Frame.Hello(1, "a", "v", "h"));
        // a newer peer adds field 15 (varint) at the top level: ignored
        byte[] extended = Arrays.copyOf(hello, hello.length + 2);
        extended[hello.length] = (byte) (15 << 3);
        extended[hello.length + 1] = 1;
        assertEquals(new Frame.Hello(1, "a", "v", "h"), FrameCodec.decode(extended));
        assertThrows(IllegalArgumentException.class, () -> FrameCodec.decode(new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> FrameCodec.decode(new byte[] {10, 100, 1}));
    }

    @Test
    void aLargeStateTravelsInChunksBelowTheMessageLimit() throws Exception {
        ModelState big = state(3_200_000, 1);
        Mask mask = Mask.wholeTensors(big, t -> false);
        mask.set("enc.0.weight", 5, true);
        Message m = new Message(big, mask, Map.of("k", "v"));
        Payload p = Payload.of(m);
        List<Frame.Chunk> chunks = p.chunks(9);
        assertTrue(chunks.size() >= 13, "3.2 M float32 = 12.8 MB in 1 MiB chunks");
        for (Frame.Chunk c : chunks) {
            assertTrue(c.data().length <= Protocol.CHUNK_BYTES);
            assertTrue(FrameCodec.encode(c).length < Protocol.MAX_FRAME_BYTES);
        }
        Payload.Assembler a = new Payload.Assembler(9, p.state().length, p.mask().length, 64L << 20);
        for (Frame.Chunk c : chunks) {
            assertFalse(a.complete());
            a.add((Frame.Chunk) FrameCodec.decode(FrameCodec.encode(c)));
        }
        assertTrue(a.complete());
        Message back = a.payload().toMessage(Map.of("k", "v"), "test");
        assertEquals(big.names(), back.tensors().names());
        for (Tensor t : big.tensors()) {
            assertArrayEquals(t.data(), back.tensors().get(t.name()).data());
        }
        assertEquals(mask, back.mask());
    }

    @Test
    void chunksOutOfOrderOversizedOrBeyondTheDeclaredSizeAreRefused() throws Exception {
        assertThrows(TransportException.class, () -> new Payload.Assembler(1, 100, 0, 50), "declared beyond the limit");
        assertThrows(TransportException.class, () -> new Payload.Assembler(1, -1, 0, 50));
        Payload.Assembler a = new Payload.Assembler(1, 10, 0, 50);
        assertThrows(TransportException.class, () -> a.add(new Frame.Chunk(1, 0, 5, new byte[5])), "gap");
        assertThrows(TransportException.class, () -> a.add(new Frame.Chunk(2, 0, 0, new byte[5])), "other id");
        assertThrows(TransportException.class, () -> a.add(new Frame.Chunk(1, 3, 0, new byte[5])), "unknown part");
        a.add(new Frame.Chunk(1, 0, 0, new byte[6]));
        assertThrows(TransportException.class, () -> a.add(new Frame.Chunk(1, 0, 6, new byte[6])), "overflow");
        a.add(new Frame.Chunk(1, 0, 6, new byte[4]));
        assertTrue(a.complete());
    }

    @Test
    void aCorruptedStateEncodingIsRefusedByItsChecksums() {
        Payload p = Payload.of(Message.of(state(1000, 2)));
        p.state()[p.state().length / 2] ^= 1;
        assertThrows(org.resfim.state.StateFormatException.class, () -> p.toMessage(Map.of(), "test"));
    }

    @Test
    void theVersionMismatchMessageNamesBothVersions() {
        String m = Protocol.versionMismatch("site 'a'", 99);
        assertTrue(m.contains("99") && m.contains("version " + Protocol.VERSION), m);
    }

    /** privacy.secagg's typed binary part: a uint64 ring vector and byte entries cross the wire as part 2, bit for bit. */
    @Test
    void sectionsTravelAsTheThirdPartAndAreDecodedWithinTheirLimits() throws Exception {
        long[] ring = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0x0123456789abcdefL};
        org.resfim.federation.Sections sec = org.resfim.federation.Sections.builder().uint64("masked", ring)
                .bytes("share.site-b", new byte[] {9, 8, 7}).build();
        Payload p = Payload.of(new Message(null, null, Map.of("secagg.step", "mask"), sec));
        assertEquals(0, p.state().length);
        assertEquals(0, p.mask().length);
        assertEquals(sec.encodedSize(), p.sections().length);
        Payload.Assembler a = new Payload.Assembler(5, 0, 0, p.sections().length, p.sections().length, "its SECAGG answer");
        for (Frame.Chunk c : p.chunks(5)) {
            assertEquals(2, c.part());
            a.add((Frame.Chunk) FrameCodec.decode(FrameCodec.encode(c)));
        }
        assertTrue(a.complete());
        Message back = a.payload().toMessage(Map.of(), "test", new Payload.Limits(0, 0, 0, 2));
        assertArrayEquals(ring, back.sections().uint64("masked"));
        assertArrayEquals(new byte[] {9, 8, 7}, back.sections().bytes("share.site-b"));
        assertEquals(org.resfim.federation.Sections.Type.UINT64, back.sections().type("masked"));
        assertThrows(IllegalArgumentException.class, () -> back.sections().bytes("masked"), "a ring vector is not bytes");
        // one byte more than the limit: refused before anything is kept, naming what was declared
        TransportException big = assertThrows(TransportException.class,
                () -> new Payload.Assembler(5, 0, 0, p.sections().length + 1L, p.sections().length, "its SECAGG answer (round 3)"));
        assertTrue(big.getMessage().contains("its SECAGG answer (round 3) declares a payload of " + (p.sections().length + 1)), big.getMessage());
        assertThrows(org.resfim.state.StateFormatException.class, () -> p.toMessage(Map.of(), "test", new Payload.Limits(0, 0, 0, 1)),
                "more sections than the limit");
    }

    @Test
    void aMalformedSectionsEncodingIsRefusedWithTheReason() {
        byte[] good = org.resfim.federation.Sections.builder().uint64("masked", new long[] {1, 2, 3}).build().encode();
        // the count of the entry says 1000 ring elements: 8000 bytes that are not there; nothing is allocated for them
        byte[] lying = good.clone();
        java.nio.ByteBuffer.wrap(lying).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(9 + 2 + 6 + 1, 1000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> org.resfim.federation.Sections.decode(lying, 10));
        assertTrue(e.getMessage().contains("section 'masked' (1000 UINT64 elements) needs 8000 bytes, 24 are left"), e.getMessage());
        byte[] type = good.clone();
        type[9 + 2 + 6] = 7;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> org.resfim.federation.Sections.decode(type, 10)).getMessage()
                .contains("unknown type 7"));
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> org.resfim.federation.Sections.decode(trailing, 10)).getMessage()
                .contains("1 bytes after the last section"));
        assertThrows(IllegalArgumentException.class, () -> org.resfim.federation.Sections.decode(Arrays.copyOf(good, 5), 10));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> org.resfim.federation.Sections.decode(good, 0)).getMessage()
                .contains("1 sections, more than the 0"));
    }
}
