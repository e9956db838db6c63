package org.resfim.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFileTest {
    @TempDir
    Path dir;

    /** "a" [2,3] and "b" [4]: header body 36 bytes, so 'a' data+CRC is bytes 52..80, 'b' 80..100, file CRC 100..104. */
    private static ModelState small() {
        ModelState s = new ModelState();
        s.put(new Tensor("a", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        s.put(new Tensor("b", TensorRole.NORM_BIAS, NetworkPart.HEAD, new int[] {4}, new float[] {-1, -2, -3, -4}));
        return s;
    }

    private static Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("config.sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
        m.put("seed", "2");
        m.put("commit", "6178880");
        m.put("note", "ünïcode \"quoted\"\n");
        return m;
    }

    @Test
    void layoutOfTheFormatMatchesTheDocumentedOffsets() {
        byte[] b = StateFile.toBytes(small());
        assertEquals(104, b.length);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("RFIM", new String(b, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(1, buf.getInt(4));
        assertEquals(36, buf.getInt(8));
        assertEquals(1f, buf.getFloat(52), 0f);   // a[0]
        assertEquals(6f, buf.getFloat(72), 0f);   // a[5]
        assertEquals(-1f, buf.getFloat(80), 0f);  // b[0]
    }

    @Test
    void fileRoundTripIsBitExactWithMetadata() throws IOException {
        ModelState s = Fixtures.random(42);
        Path f = dir.resolve("model.rfim");
        StateFile.write(s, metadata(), f);
        StateFile.Contents c = StateFile.readContents(f);
        Fixtures.assertBitIdentical(s, c.state());
        assertEquals(metadata(), c.metadata());
        assertEquals(List.copyOf(metadata().keySet()), List.copyOf(c.metadata().keySet()));
        Fixtures.assertBitIdentical(s, StateFile.read(f));
        Fixtures.assertBitIdentical(s, StateFile.readExpecting(f, s));
        // no temporary file is left behind
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
        // overwriting an existing file works
        ModelState t = Fixtures.random(43);
        StateFile.write(t, f);
        Fixtures.assertBitIdentical(t, StateFile.read(f));
        assertTrue(StateFile.readContents(f).metadata().isEmpty());
    }

    @Test
    void streamAndByteRoundTrips() throws IOException {
        ModelState s = Fixtures.random(5);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StateFile.write(s, metadata(), out);
        assertArrayEquals(StateFile.toBytes(s, metadata()), out.toByteArray());
        StateFile.Contents c = StateFile.read(new ByteArrayInputStream(out.toByteArray()), "upload");
        Fixtures.assertBitIdentical(s, c.state());
        assertEquals(metadata(), c.metadata());
        Fixtures.assertBitIdentical(new ModelState(), StateFile.fromBytes(StateFile.toBytes(new ModelState()), "x").state());
    }

    @Test
    void truncatedFileIsRefusedNamingTheTensorAndByteRange() throws IOException {
        byte[] full = StateFile.toBytes(small());
        Path f = dir.resolve("model.rfim");
        Files.write(f, Arrays.copyOf(full, 70));
        StateFormatException e = assertThrows(StateFormatException.class, () -> StateFile.read(f));
        assertEquals(f + ": tensor 'a' bytes 52..80: truncated (file ends at byte 70)", e.getMessage());
        assertEquals("tensor 'a'", e.section());
        assertEquals(52, e.start());
        assertEquals(80, e.end());

        Files.write(f, Arrays.copyOf(full, 90));
        e = assertThrows(StateFormatException.class, () -> StateFile.read(f));
        assertEquals(f + ": tensor 'b' bytes 80..100: truncated (file ends at byte 90)", e.getMessage());

        Files.write(f, Arrays.copyOf(full, 102));
        e = assertThrows(StateFormatException.class, () -> StateFile.read(f));
        assertEquals(f + ": file checksum bytes 100..104: truncated (file ends at byte 102)", e.getMessage());

        Files.write(f, Arrays.copyOf(full, 30));
        e = assertThrows(StateFormatException.class, () -> StateFile.read(f));
        assertEquals(f + ": header bytes 12..52: truncated (file has 30 bytes)", e.getMessage());

        // every cut, in every section, is refused
        for (int cut = 0; cut < full.length; cut++) {
            byte[] part = Arrays.copyOf(full, cut);
            assertThrows(StateFormatException.class, () -> StateFile.fromBytes(part, "cut"), "cut at " + cut);
        }
        byte[] longer = Arrays.copyOf(full, full.length + 3);
        e = assertThrows(StateFormatException.class, () -> StateFile.fromBytes(longer, "x"));
        assertTrue(e.getMessage().contains("3 unexpected bytes"), e.getMessage());
    }

    @Test
    void flippedByteIsRefusedNamingTheTensor() throws IOException {
        byte[] full = StateFile.toBytes(small());
        Path f = dir.resolve("model.rfim");
        byte[] bad = full.clone();
        bad[60] ^= 0x01;   // inside a's data
        Files.write(f, bad);
        StateFormatException e = assertThrows(StateFormatException.class, () -> StateFile.read(f));
        assertEquals(f + ": tensor 'a' bytes 52..80: checksum mismatch", e.getMessage());

        byte[] badCrc = full.clone();
        badCrc[98] ^= (byte) 0x80;   // inside b's CRC
        e = assertThrows(StateFormatException.class, () -> StateFile.fromBytes(badCrc, "model.rfim"));
        assertEquals("model.rfim: tensor 'b' bytes 80..100: checksum mismatch", e.getMessage());

        // every single flipped byte anywhere is refused; in a tensor's section the tensor is named
        for (int i = 0; i < full.length; i++) {
            byte[] b = full.clone();
            b[i] ^= 0x10;
            StateFormatException ex = assertThrows(StateFormatException.class, () -> StateFile.fromBytes(b, "m"), "byte " + i);
            if (i >= 52 && i < 80) {
                assertTrue(ex.getMessage().contains("tensor 'a'"), ex.getMessage());
            } else if (i >= 80 && i < 100) {
                assertTrue(ex.getMessage().contains("tensor 'b'"), ex.getMessage());
            }
        }
        // also on a realistic state with metadata
        byte[] big = StateFile.toBytes(Fixtures.random(9), metadata());
        for (int i = 0; i < big.length; i += 7) {
            byte[] b = big.clone();
            b[i] = (byte) ~b[i];
            assertThrows(StateFormatException.class, () -> StateFile.fromBytes(b, "m"), "byte " + i);
        }
    }

    @Test
    void wrongMagicAndUnknownVersionAreRefused() {
        byte[] full = StateFile.toBytes(small());
        byte[] magic = full.clone();
        magic[1] = 'X';
        StateFormatException e = assertThrows(StateFormatException.class, () -> StateFile.fromBytes(magic, "m.rfim"));
        assertTrue(e.getMessage().startsWith("m.rfim: magic bytes 0..4: not a ResFIM state file"), e.getMessage());
        byte[] version = full.clone();
        version[4] = 2;
        e = assertThrows(StateFormatException.class, () -> StateFile.fromBytes(version, "m.rfim"));
        assertEquals("m.rfim: version bytes 4..8: unknown format version 2 (this build reads version 1)", e.getMessage());
    }

    @Test
    void readExpectingRefusesAnotherLayoutNamingTheTensor() throws IOException {
        Path f = dir.resolve("model.rfim");
        StateFile.write(small(), f);

        ModelState otherShape = new ModelState();
        otherShape.put(Fixtures.tensor("a", new int[] {3, 2}, new float[6]));
        otherShape.put(Fixtures.tensor("b", new int[] {4}, new float[4]));
        StateFormatException e = assertThrows(StateFormatException.class, () -> StateFile.readExpecting(f, otherShape));
        assertEquals(f + ": tensor 'a': shape [2, 3] in the file, model expects [3, 2]", e.getMessage());

        ModelState more = small();
        more.put(Fixtures.tensor("c", new int[] {1}, 0f));
        e = assertThrows(StateFormatException.class, () -> StateFile.readExpecting(f, more));
        assertTrue(e.getMessage().contains("tensor 'c'") && e.getMessage().contains("missing from the file"), e.getMessage());

        ModelState fewer = new ModelState(List.of(small().get("a")));
        e = assertThrows(StateFormatException.class, () -> StateFile.readExpecting(f, fewer));
        assertTrue(e.getMessage().contains("tensor 'b'") && e.getMessage().contains("not part of the model"), e.getMessage());
    }
}
