package org.resfim.state;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A plain exchange format any language can read: a directory holding
 * <ul>
 *   <li>{@code weights.bin}: the raw little-endian float32 values of every tensor, concatenated in order,
 *       each tensor row-major (C order), no header;</li>
 *   <li>{@code index.json}: {@code {"format":"resfim-raw","version":1,"dtype":"float32","byte_order":"little",
 *       "offset_unit":"bytes","data_file":"weights.bin","tensors":[{"name":…,"shape":[…],"offset":…,
 *       "length":…,"role":…,"part":…}, …]}}, with {@code offset} and {@code length} in <em>bytes</em>
 *       within {@code weights.bin}.</li>
 * </ul>
 * In NumPy: {@code np.frombuffer(raw, '<f4', count=length // 4, offset=offset).reshape(shape)}.
 */
public final class RawExport {
    /** Name of the data file inside the export directory. */
    public static final String WEIGHTS_FILE = "weights.bin";
    /** Name of the index file inside the export directory. */
    public static final String INDEX_FILE = "index.json";

    private RawExport() {
    }

    /**
     * One tensor of the index.
     *
     * @param offset byte offset of the tensor's first value in {@code weights.bin}
     * @param length number of bytes (4 × number of elements)
     * @param role   the {@link TensorRole} name
     * @param part   the {@link NetworkPart} name
     */
    public record IndexEntry(String name, int[] shape, long offset, long length, String role, String part) {
        /** Number of float32 values. */
        public long count() {
            return length / 4;
        }
    }

    /**
     * Writes {@code weights.bin} and then {@code index.json} for {@code state} into {@code dir} (created if needed),
     * each atomically ({@link AtomicFiles}).
     */
    public static void write(ModelState state, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Object> tensors = new ArrayList<>();
        long offset = 0;
        for (Tensor t : state.tensors()) {
            long length = 4L * t.size();
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", t.name());
            e.put("shape", t.shape());
            e.put("offset", offset);
            e.put("length", length);
            e.put("role", t.role().name());
            e.put("part", t.part().name());
            tensors.add(e);
            offset += length;
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("format", "resfim-raw");
        index.put("version", 1);
        index.put("dtype", "float32");
        index.put("byte_order", "little");
        index.put("offset_unit", "bytes");
        index.put("data_file", WEIGHTS_FILE);
        index.put("tensors", tensors);
        AtomicFiles.write(dir.resolve(WEIGHTS_FILE), ch -> {
            for (Tensor t : state.tensors()) {
                ByteBuffer buf = ByteBuffer.allocate(4 * t.size()).order(ByteOrder.LITTLE_ENDIAN);
                buf.asFloatBuffer().put(t.data());
                AtomicFiles.writeFully(ch, buf);
            }
        });
        AtomicFiles.writeString(dir.resolve(INDEX_FILE), Jackson.writeLines(index));
    }

    /**
     * Parses {@code index.json} of an export directory.
     *
     * @throws StateFormatException when the index is not valid JSON or lacks a required field
     */
    public static List<IndexEntry> readIndex(Path dir) throws IOException {
        Path indexFile = dir.resolve(INDEX_FILE);
        String src = indexFile.toString();
        JsonNode top;
        try {
            top = Jackson.read(Files.readString(indexFile, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new StateFormatException(src, e.getMessage());
        }
        JsonNode tensors = top.get("tensors");
        if (!top.isObject() || tensors == null || !tensors.isArray()) {
            throw new StateFormatException(src, "expected an object with a \"tensors\" array");
        }
        if (!"float32".equals(top.path("dtype").textValue()) || !"little".equals(top.path("byte_order").textValue())) {
            throw new StateFormatException(src, "only little-endian float32 exports are supported, found dtype "
                    + top.get("dtype") + ", byte_order " + top.get("byte_order"));
        }
        List<IndexEntry> entries = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            String where = "tensor #" + i;
            JsonNode m = tensors.get(i);
            if (!m.isObject() || !m.path("name").isTextual()) {
                throw new StateFormatException(src, where, -1, -1, "expected an object with a string \"name\"");
            }
            String name = m.get("name").textValue();
            where = "tensor '" + name + "'";
            JsonNode dims = m.get("shape");
            if (dims == null || !dims.isArray()) {
                throw new StateFormatException(src, where, -1, -1, "missing \"shape\" array");
            }
            int[] shape = new int[dims.size()];
            for (int d = 0; d < shape.length; d++) {
                shape[d] = (int) integer(dims.get(d), src, where, "shape[" + d + "]", Integer.MAX_VALUE);
            }
            long offset = integer(m.get("offset"), src, where, "offset", Long.MAX_VALUE);
            long length = integer(m.get("length"), src, where, "length", Long.MAX_VALUE);
            String role = m.path("role").textValue();
            String part = m.path("part").textValue();
            entries.add(new IndexEntry(name, shape, offset, length, role, part));
        }
        return entries;
    }

    /**
     * Reads an export and checks it holds exactly the tensors of {@code layout} with the same shapes; the
     * result takes order, roles and parts from {@code layout}.
     *
     * @throws StateFormatException naming the first tensor missing, unexpected, of another shape, or whose
     *         byte range does not fit {@code weights.bin}
     */
    public static ModelState read(Path dir, ModelState layout) throws IOException {
        List<IndexEntry> index = readIndex(dir);
        String src = dir.resolve(INDEX_FILE).toString();
        ModelState found = new ModelState();
        ModelState out = new ModelState();
        Map<String, float[]> data = readData(dir, index);
        for (IndexEntry e : index) {
            found.put(new Tensor(e.name(), TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, e.shape(), data.get(e.name())));
        }
        StateFile.requireLayout(found, layout, src);
        for (Tensor t : layout.tensors()) {
            out.put(t.withData(data.get(t.name())));
        }
        return out;
    }

    /** Reads an export using the roles and parts recorded in its index. */
    public static ModelState read(Path dir) throws IOException {
        List<IndexEntry> index = readIndex(dir);
        String src = dir.resolve(INDEX_FILE).toString();
        Map<String, float[]> data = readData(dir, index);
        ModelState out = new ModelState();
        for (IndexEntry e : index) {
            TensorRole role;
            NetworkPart part;
            try {
                role = TensorRole.valueOf(String.valueOf(e.role()));
                part = NetworkPart.valueOf(String.valueOf(e.part()));
            } catch (IllegalArgumentException ex) {
                throw new StateFormatException(src, "tensor '" + e.name() + "'", -1, -1,
                        "unknown role '" + e.role() + "' or part '" + e.part() + "'");
            }
            out.put(new Tensor(e.name(), role, part, e.shape(), data.get(e.name())));
        }
        return out;
    }

    private static Map<String, float[]> readData(Path dir, List<IndexEntry> index) throws IOException {
        Path weights = dir.resolve(WEIGHTS_FILE);
        String src = weights.toString();
        long size = Files.size(weights);
        Map<String, float[]> data = new java.util.LinkedHashMap<>();
        long expectedTotal = 0;
        try (FileChannel ch = FileChannel.open(weights, StandardOpenOption.READ)) {
            for (IndexEntry e : index) {
                String what = "tensor '" + e.name() + "'";
                long n = Tensor.numElements(e.shape());
                if (e.length() != 4 * n) {
                    throw new StateFormatException(src, what, e.offset(), e.offset() + e.length(),
                            "length " + e.length() + " bytes does not hold shape " + Arrays.toString(e.shape())
                                    + " (" + 4 * n + " bytes)");
                }
                if (e.offset() < 0 || e.offset() + e.length() > size) {
                    throw new StateFormatException(src, what, e.offset(), e.offset() + e.length(),
                            "outside the data file (" + size + " bytes)");
                }
                if (data.containsKey(e.name())) {
                    throw new StateFormatException(src, what, e.offset(), e.offset() + e.length(), "appears twice in the index");
                }
                ByteBuffer buf = ByteBuffer.allocate((int) e.length()).order(ByteOrder.LITTLE_ENDIAN);
                long p = e.offset();
                while (buf.hasRemaining()) {
                    int r = ch.read(buf, p);
                    if (r < 0) {
                        throw new StateFormatException(src, what, e.offset(), e.offset() + e.length(), "truncated");
                    }
                    p += r;
                }
                buf.flip();
                float[] f = new float[(int) n];
                buf.asFloatBuffer().get(f);
                data.put(e.name(), f);
                expectedTotal += e.length();
            }
        }
        if (expectedTotal != size) {
            throw new StateFormatException(src, "data file has " + size + " bytes, the index describes " + expectedTotal);
        }
        return data;
    }

    private static long integer(JsonNode v, String src, String where, String field, long max) throws StateFormatException {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0 || v.longValue() > max) {
            throw new StateFormatException(src, where, -1, -1, "\"" + field + "\" must be a non-negative integer, found " + v);
        }
        return v.longValue();
    }
}
