package org.resfim.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawExportTest {
    @TempDir
    Path dir;

    @Test
    void roundTripIsBitExact() throws IOException {
        ModelState s = Fixtures.random(11);
        RawExport.write(s, dir);
        Fixtures.assertBitIdentical(s, RawExport.read(dir, s));
        Fixtures.assertBitIdentical(s, RawExport.read(dir));
        assertEquals(4 * s.numElements(), Files.size(dir.resolve("weights.bin")));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count());   // no temporary files left
        }
    }

    @Test
    void indexIsValidJsonDescribingEachTensor() throws IOException {
        ModelState s = new ModelState();
        s.put(new Tensor("enc1.conv1.weight", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {2, 1, 1, 2},
                new float[] {1, 2, 3, 4}));
        s.put(new Tensor("odd \"name\"\\x", TensorRole.HEAD_BIAS, NetworkPart.HEAD, new int[] {1}, new float[] {-0.5f}));
        RawExport.write(s, dir);

        JsonNode top = Jackson.read(Files.readString(dir.resolve("index.json"), StandardCharsets.UTF_8));
        assertEquals("float32", top.get("dtype").textValue());
        assertEquals("little", top.get("byte_order").textValue());
        assertEquals("weights.bin", top.get("data_file").textValue());
        JsonNode tensors = top.get("tensors");
        assertEquals(2, tensors.size());
        JsonNode first = tensors.get(0);
        assertEquals("enc1.conv1.weight", first.get("name").textValue());
        assertEquals("[2,1,1,2]", first.get("shape").toString());
        assertEquals(0L, first.get("offset").longValue());
        assertEquals(16L, first.get("length").longValue());
        assertEquals("CONV_WEIGHT", first.get("role").textValue());
        JsonNode second = tensors.get(1);
        assertEquals("odd \"name\"\\x", second.get("name").textValue());
        assertEquals(16L, second.get("offset").longValue());
        assertEquals(4L, second.get("length").longValue());

        List<RawExport.IndexEntry> index = RawExport.readIndex(dir);
        assertEquals("odd \"name\"\\x", index.get(1).name());
        assertArrayEquals(new int[] {1}, index.get(1).shape());
        assertEquals(1, index.get(1).count());

        // weights.bin is plain little-endian float32, concatenated
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("weights.bin"))).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(20, raw.capacity());
        assertEquals(3f, raw.getFloat(8), 0f);
        assertEquals(-0.5f, raw.getFloat(16), 0f);
    }

    @Test
    void wrongLayoutIsRefusedNamingTheTensor() throws IOException {
        ModelState s = Fixtures.wb(new float[] {1, 2, 3, 4}, new float[] {5, 6, 7});
        RawExport.write(s, dir);
        ModelState other = new ModelState();
        other.put(Fixtures.tensor("w", new int[] {4}, new float[4]));
        other.put(Fixtures.tensor("b", new int[] {3}, new float[3]));
        StateFormatException e = assertThrows(StateFormatException.class, () -> RawExport.read(dir, other));
        assertTrue(e.getMessage().contains("tensor 'w'") && e.getMessage().contains("[2, 2]") && e.getMessage().contains("[4]"),
                e.getMessage());
    }

    @Test
    void truncatedWeightsAreRefusedNamingTheTensor() throws IOException {
        ModelState s = Fixtures.wb(new float[] {1, 2, 3, 4}, new float[] {5, 6, 7});
        RawExport.write(s, dir);
        Path w = dir.resolve("weights.bin");
        Files.write(w, Arrays.copyOf(Files.readAllBytes(w), 20));
        StateFormatException e = assertThrows(StateFormatException.class, () -> RawExport.read(dir, s));
        assertEquals(w + ": tensor 'b' bytes 16..28: outside the data file (20 bytes)", e.getMessage());
    }

    @Test
    void emptyStateExportsAValidIndex() throws IOException {
        RawExport.write(new ModelState(), dir);
        JsonNode tensors = Jackson.read(Files.readString(dir.resolve("index.json"))).get("tensors");
        assertTrue(tensors.isArray() && tensors.isEmpty(), tensors.toString());
        assertEquals(0, RawExport.read(dir, new ModelState()).size());
    }
}
