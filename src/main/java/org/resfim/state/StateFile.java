package org.resfim.state;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * The RFIM binary format for a {@link ModelState} with a small provenance map (config hash, seed,
 * commit, ...). All integers and floats are little-endian.
 *
 * <pre>
 * offset        content
 * 0             magic "RFIM"
 * 4             format version, int32 (= 1)
 * 8             header length H, int32 (bytes of the header body that follows)
 * 12            header body:
 *                 metadata count, int32; per entry: key (int32 length + UTF-8), value (int32 length + UTF-8)
 *                 tensor count, int32; per tensor: name (int32 length + UTF-8), role ordinal (u8),
 *                 part ordinal (u8), rank (u8), dims (int32 × rank)
 * 12+H          header CRC32 (uint32 in an int32) over bytes 0 .. 12+H
 * then, per tensor in header order: its data (float32 × n), then CRC32 of those data bytes
 * last 4 bytes  file CRC32 over every preceding byte
 * </pre>
 *
 * Role and part are stored as the ordinals of {@link TensorRole} and {@link NetworkPart}; those enums may only
 * grow at the end. The metadata is free-form text: model files written by site stores carry there what applying
 * the model needs (the {@code org.resfim.federation.ModelCard} entries, versioned by their own key), which did not
 * change this layout, so version 1 files with and without it are read alike, by this build and by older ones. Readers refuse truncated or corrupted files, a wrong magic and an unknown version with a
 * {@link StateFormatException} naming the source, the tensor or section and its byte range.
 */
public final class StateFile {
    /** Format version written by this build. */
    public static final int VERSION = 1;
    /** Conventional file extension. */
    public static final String EXTENSION = ".rfim";

    private static final byte[] MAGIC = {'R', 'F', 'I', 'M'};
    private static final int PREAMBLE = 12;
    private static final int MAX_RANK = 255;

    private StateFile() {
    }

    /** A state read back with its metadata (insertion-ordered, unmodifiable). */
    public record Contents(ModelState state, Map<String, String> metadata) {
        public Contents {
            Objects.requireNonNull(state, "state");
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    // ---------------------------------------------------------------- writing

    /** Writes {@code state} without metadata to {@code file}, atomically. */
    public static void write(ModelState state, Path file) throws IOException {
        write(state, Map.of(), file);
    }

    /**
     * Writes {@code state} and {@code metadata} to {@code file} atomically: the bytes go to a temporary
     * file in the same directory, are flushed to disk, and the temporary file is then moved over
     * {@code file}. A reader never sees a half-written file.
     */
    public static void write(ModelState state, Map<String, String> metadata, Path file) throws IOException {
        AtomicFiles.write(file, toBytes(state, metadata));
    }

    /** Writes the encoding of {@code state} and {@code metadata} to {@code out} (not closed). */
    public static void write(ModelState state, Map<String, String> metadata, OutputStream out) throws IOException {
        out.write(toBytes(state, metadata));
        out.flush();
    }

    /** The encoding of {@code state} without metadata. */
    public static byte[] toBytes(ModelState state) {
        return toBytes(state, Map.of());
    }

    /** The encoding of {@code state} and {@code metadata}. */
    public static byte[] toBytes(ModelState state, Map<String, String> metadata) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(metadata, "metadata");
        List<byte[]> strings = new ArrayList<>();
        long headerLen = 4;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            byte[] k = utf8(Objects.requireNonNull(e.getKey(), "metadata key"));
            byte[] v = utf8(Objects.requireNonNull(e.getValue(), "metadata value for '" + e.getKey() + "'"));
            strings.add(k);
            strings.add(v);
            headerLen += 8L + k.length + v.length;
        }
        headerLen += 4;
        long dataLen = 0;
        for (Tensor t : state.tensors()) {
            byte[] n = utf8(t.name());
            strings.add(n);
            int rank = t.shape().length;
            if (rank > MAX_RANK) {
                throw new IllegalArgumentException("tensor '" + t.name() + "': rank " + rank + " exceeds " + MAX_RANK);
            }
            headerLen += 4L + n.length + 3 + 4L * rank;
            dataLen += 4L * t.size() + 4;
        }
        long total = PREAMBLE + headerLen + 4 + dataLen + 4;
        if (total > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("state too large for one RFIM file: " + total + " bytes");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).putInt(VERSION).putInt((int) headerLen);
        int s = 0;
        buf.putInt(metadata.size());
        for (int i = 0; i < metadata.size(); i++) {
            putString(buf, strings.get(s++));
            putString(buf, strings.get(s++));
        }
        buf.putInt(state.size());
        for (Tensor t : state.tensors()) {
            putString(buf, strings.get(s++));
            int[] shape = t.shape();
            buf.put((byte) t.role().ordinal()).put((byte) t.part().ordinal()).put((byte) shape.length);
            for (int d : shape) {
                buf.putInt(d);
            }
        }
        buf.putInt((int) crc(buf.array(), 0, buf.position()));
        for (Tensor t : state.tensors()) {
            int start = buf.position();
            for (float v : t.data()) {
                buf.putFloat(v);
            }
            buf.putInt((int) crc(buf.array(), start, buf.position() - start));
        }
        buf.putInt((int) crc(buf.array(), 0, buf.position()));
        return buf.array();
    }

    // ---------------------------------------------------------------- reading

    /** Reads the state stored in {@code file} (metadata dropped). */
    public static ModelState read(Path file) throws IOException {
        return readContents(file).state();
    }

    /** Reads the state and metadata stored in {@code file}. */
    public static Contents readContents(Path file) throws IOException {
        return fromBytes(Files.readAllBytes(file), file.toString());
    }

    /** Reads an encoding from {@code in} to its end; {@code source} names the stream in error messages. */
    public static Contents read(InputStream in, String source) throws IOException {
        return fromBytes(in.readAllBytes(), source);
    }

    /**
     * Reads {@code file} and checks it holds exactly the tensors of {@code layout} with the same shapes.
     *
     * @throws StateFormatException naming the first tensor missing, unexpected or of another shape
     */
    public static ModelState readExpecting(Path file, ModelState layout) throws IOException {
        ModelState s = read(file);
        requireLayout(s, layout, file.toString());
        return s;
    }

    /**
     * Checks that {@code state}, read from {@code source}, has exactly the names and shapes of {@code layout}.
     *
     * @throws StateFormatException naming the first mismatch
     */
    public static void requireLayout(ModelState state, ModelState layout, String source) throws StateFormatException {
        for (Tensor e : layout.tensors()) {
            if (!state.contains(e.name())) {
                throw new StateFormatException(source, "tensor '" + e.name() + "'", -1, -1,
                        "expected by the model " + Arrays.toString(e.shape()) + " but missing from the file");
            }
            Tensor t = state.get(e.name());
            if (!Arrays.equals(t.shape(), e.shape())) {
                throw new StateFormatException(source, "tensor '" + e.name() + "'", -1, -1,
                        "shape " + Arrays.toString(t.shape()) + " in the file, model expects " + Arrays.toString(e.shape()));
            }
        }
        for (Tensor t : state.tensors()) {
            if (!layout.contains(t.name())) {
                throw new StateFormatException(source, "tensor '" + t.name() + "'", -1, -1,
                        "in the file " + Arrays.toString(t.shape()) + " but not part of the model");
            }
        }
    }

    /**
     * Decodes an encoding produced by {@link #toBytes(ModelState, Map)}.
     *
     * @param source names the bytes in error messages (a file name, "upload from client 3", ...)
     * @throws StateFormatException for a wrong magic, unknown version, truncation, checksum mismatch or
     *         malformed header
     */
    public static Contents fromBytes(byte[] bytes, String source) throws StateFormatException {
        return fromBytes(bytes, source, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    /**
     * Decodes an encoding that may hold at most {@code maxMetadata} metadata entries and {@code maxTensors} tensors:
     * each count is checked as soon as it is read, before anything is built for its entries, so bytes from a peer
     * cannot make the reader allocate more than they are worth (a tensor header is ~20 bytes, its Java objects ~10×).
     *
     * @throws StateFormatException as {@link #fromBytes(byte[], String)}, and for a count above its limit
     */
    public static Contents fromBytes(byte[] bytes, String source, int maxMetadata, int maxTensors) throws StateFormatException {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int len = bytes.length;
        if (len < 4 || !Arrays.equals(Arrays.copyOf(bytes, 4), MAGIC)) {
            throw new StateFormatException(source, "magic", 0, 4, "not a ResFIM state file (expected magic 'RFIM')"
                    + (len < 4 ? ", file has only " + len + " bytes" : ""));
        }
        if (len < PREAMBLE) {
            throw new StateFormatException(source, "preamble", 0, PREAMBLE, "truncated (file has " + len + " bytes)");
        }
        int version = buf.getInt(4);
        if (version != VERSION) {
            throw new StateFormatException(source, "version", 4, 8,
                    "unknown format version " + version + " (this build reads version " + VERSION + ")");
        }
        int headerLen = buf.getInt(8);
        long headerEnd = (long) PREAMBLE + headerLen;
        if (headerLen < 8 || headerEnd + 4 > len) {
            throw new StateFormatException(source, "header", PREAMBLE, headerEnd + 4,
                    headerLen < 8 ? "invalid header length " + headerLen : "truncated (file has " + len + " bytes)");
        }
        int storedHeaderCrc = buf.getInt((int) headerEnd);
        if (storedHeaderCrc != (int) crc(bytes, 0, (int) headerEnd)) {
            throw new StateFormatException(source, "header", 0, headerEnd + 4, "checksum mismatch");
        }

        HeaderReader h = new HeaderReader(buf, (int) headerEnd, source);
        buf.position(PREAMBLE);
        Map<String, String> metadata = new LinkedHashMap<>();
        int metaCount = h.count("metadata");
        if (metaCount > maxMetadata) {
            throw new StateFormatException(source, "metadata count", PREAMBLE, PREAMBLE + 4,
                    metaCount + " metadata entries, more than the " + maxMetadata + " allowed");
        }
        for (int i = 0; i < metaCount; i++) {
            String key = h.string("metadata entry #" + i + " key");
            String value = h.string("metadata '" + key + "' value");
            metadata.put(key, value);
        }
        int tensorCount = h.count("tensor");
        if (tensorCount > maxTensors) {
            throw new StateFormatException(source, "tensor count", buf.position() - 4, buf.position(),
                    tensorCount + " tensors, more than the " + maxTensors + " allowed");
        }
        List<Entry> entries = new ArrayList<>(Math.min(tensorCount, 1024));
        long dataPos = headerEnd + 4;
        for (int i = 0; i < tensorCount; i++) {
            String name = h.string("tensor #" + i + " name");
            String what = "tensor '" + name + "'";
            int headerStart = buf.position() - 4 - utf8(name).length;
            h.need(3, what + " header");
            int role = Byte.toUnsignedInt(buf.get());
            int part = Byte.toUnsignedInt(buf.get());
            int rank = Byte.toUnsignedInt(buf.get());
            if (role >= TensorRole.values().length || part >= NetworkPart.values().length) {
                throw new StateFormatException(source, what + " header", headerStart, buf.position(),
                        "unknown role ordinal " + role + " or part ordinal " + part);
            }
            h.need(4L * rank, what + " shape");
            int[] shape = new int[rank];
            long n = 1;
            for (int d = 0; d < rank; d++) {
                shape[d] = buf.getInt();
                if (shape[d] < 0) {
                    throw new StateFormatException(source, what + " header", headerStart, buf.position(),
                            "negative dimension in shape " + Arrays.toString(shape));
                }
                n *= shape[d];
                if (n > Integer.MAX_VALUE) {
                    throw new StateFormatException(source, what + " header", headerStart, buf.position(),
                            "shape too large");
                }
            }
            long start = dataPos;
            long end = start + 4 * n + 4;
            entries.add(new Entry(name, TensorRole.values()[role], NetworkPart.values()[part], shape, (int) n, start, end));
            dataPos = end;
        }
        if (buf.position() != headerEnd) {
            throw new StateFormatException(source, "header", buf.position(), headerEnd,
                    (headerEnd - buf.position()) + " unread bytes after the last tensor header");
        }
        long fileEnd = dataPos + 4;
        for (Entry e : entries) {
            if (e.end > len) {
                throw new StateFormatException(source, "tensor '" + e.name + "'", e.start, e.end,
                        "truncated (file ends at byte " + len + ")");
            }
        }
        if (fileEnd > len) {
            throw new StateFormatException(source, "file checksum", dataPos, fileEnd, "truncated (file ends at byte " + len + ")");
        }
        if (fileEnd < len) {
            throw new StateFormatException(source, "trailing data", fileEnd, len,
                    (len - fileEnd) + " unexpected bytes after the end of the state");
        }
        for (Entry e : entries) {
            int dataEnd = (int) e.end - 4;
            if (buf.getInt(dataEnd) != (int) crc(bytes, (int) e.start, dataEnd - (int) e.start)) {
                throw new StateFormatException(source, "tensor '" + e.name + "'", e.start, e.end, "checksum mismatch");
            }
        }
        if (buf.getInt((int) dataPos) != (int) crc(bytes, 0, (int) dataPos)) {
            throw new StateFormatException(source, "file checksum", 0, fileEnd, "checksum mismatch");
        }
        ModelState state = new ModelState();
        for (Entry e : entries) {
            if (state.contains(e.name)) {
                throw new StateFormatException(source, "tensor '" + e.name + "'", e.start, e.end, "appears twice");
            }
            float[] data = new float[e.n];
            buf.position((int) e.start);
            buf.asFloatBuffer().get(data);
            state.put(new Tensor(e.name, e.role, e.part, e.shape, data));
        }
        return new Contents(state, metadata);
    }

    // ---------------------------------------------------------------- helpers

    private record Entry(String name, TensorRole role, NetworkPart part, int[] shape, int n, long start, long end) {
    }

    /** Bounds-checked reads inside the header body. */
    private static final class HeaderReader {
        private final ByteBuffer buf;
        private final int limit;
        private final String source;

        HeaderReader(ByteBuffer buf, int limit, String source) {
            this.buf = buf;
            this.limit = limit;
            this.source = source;
        }

        void need(long n, String what) throws StateFormatException {
            if (buf.position() + n > limit) {
                throw new StateFormatException(source, what, buf.position(), buf.position() + n,
                        "runs past the end of the header at byte " + limit);
            }
        }

        int count(String what) throws StateFormatException {
            need(4, what + " count");
            int c = buf.getInt();
            if (c < 0 || c > limit) {
                throw new StateFormatException(source, what + " count", buf.position() - 4, buf.position(), "invalid count " + c);
            }
            return c;
        }

        String string(String what) throws StateFormatException {
            need(4, what + " length");
            int n = buf.getInt();
            if (n < 0) {
                throw new StateFormatException(source, what, buf.position() - 4, buf.position(), "negative length " + n);
            }
            need(n, what);
            int start = buf.position();
            byte[] b = new byte[n];
            buf.get(b);
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                throw new StateFormatException(source, what, start, start + n, "invalid UTF-8");
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void putString(ByteBuffer buf, byte[] b) {
        buf.putInt(b.length).put(b);
    }

    private static long crc(byte[] b, int off, int len) {
        CRC32 c = new CRC32();
        c.update(b, off, len);
        return c.getValue();
    }
}
