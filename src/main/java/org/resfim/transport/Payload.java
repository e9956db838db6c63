package org.resfim.transport;

import org.resfim.federation.Message;
import org.resfim.federation.Sections;
import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.StateFile;
import org.resfim.state.StateFormatException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@link Message}'s bytes on the wire: its tensors as an RFIM state encoding (float32, names, shapes, roles,
 * CRC32 per tensor) as part 0, its mask as an RMSK encoding as part 1, and its typed binary {@link Sections}
 * (secure aggregation's masked uint64 ring vector and sealed shares, RSEC) as part 2, each cut into chunks; and the
 * reassembly of received chunks, refusing anything beyond the declared sizes or the receiver's limit.
 */
public record Payload(byte[] state, byte[] mask, byte[] sections) {
    public static final Payload EMPTY = new Payload(new byte[0], new byte[0], new byte[0]);
    /** Payload parts: state, mask, sections. */
    public static final int PARTS = 3;

    public Payload(byte[] state, byte[] mask) {
        this(state, mask, new byte[0]);
    }

    public static Payload of(Message m) {
        if (m == null || m.isEmpty()) {
            return EMPTY;
        }
        byte[] state = m.tensors().size() == 0 ? new byte[0] : StateFile.toBytes(m.tensors());
        byte[] mask = m.mask() == null ? new byte[0] : m.mask().toBytes();
        byte[] sections = m.sections().isEmpty() ? new byte[0] : m.sections().encode();
        return new Payload(state, mask, sections);
    }

    public long size() {
        return (long) state.length + mask.length + sections.length;
    }

    private byte[] part(int i) {
        return i == 0 ? state : i == 1 ? mask : sections;
    }

    /**
     * How many entries a decoded payload may hold; checked as each count is read, before its entries are built.
     *
     * @param tensors     tensors of the state
     * @param maskTensors tensors of the mask
     * @param metadata    metadata entries of the state encoding
     * @param sections    entries of the sections part
     */
    public record Limits(int tensors, int maskTensors, int metadata, int sections) {
        public static final Limits NONE = new Limits(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);

        public Limits(int tensors, int maskTensors, int metadata) {
            this(tensors, maskTensors, metadata, 0);
        }
    }

    /** Decodes the message (with {@code meta}); a corrupted or malformed encoding fails naming {@code source}. */
    public Message toMessage(Map<String, String> meta, String source) throws StateFormatException {
        return toMessage(meta, source, Limits.NONE);
    }

    /** Decodes the message within {@code limits}; a corrupted, malformed or over-long encoding fails naming {@code source}. */
    public Message toMessage(Map<String, String> meta, String source, Limits limits) throws StateFormatException {
        ModelState tensors = state.length == 0 ? new ModelState()
                : StateFile.fromBytes(state, source, limits.metadata(), limits.tensors()).state();
        Mask m = null;
        if (mask.length > 0) {
            try {
                m = Mask.fromBytes(mask, limits.maskTensors());
            } catch (IllegalArgumentException e) {
                throw new StateFormatException(source, "mask", 0, mask.length, e.getMessage());
            }
        }
        Sections sec = Sections.EMPTY;
        if (sections.length > 0) {
            try {
                sec = Sections.decode(sections, limits.sections());
            } catch (IllegalArgumentException e) {
                throw new StateFormatException(source, "sections", 0, sections.length, e.getMessage());
            }
        }
        return new Message(tensors, m, meta, sec);
    }

    /** The chunk frames of this payload for call or answer {@code id}, state first, then the mask, then the sections. */
    public List<Frame.Chunk> chunks(long id) {
        List<Frame.Chunk> out = new ArrayList<>();
        for (int i = 0; i < PARTS; i++) {
            cut(id, i, part(i), out);
        }
        return out;
    }

    /** The same chunks as {@link #chunks}, each made when it is asked for (one chunk's copy in memory at a time). */
    public java.util.Iterator<Frame.Chunk> chunkIterator(long id) {
        return new java.util.Iterator<>() {
            private int part = 0;
            private int off = 0;

            @Override
            public boolean hasNext() {
                while (part < PARTS && off >= part(part).length) {
                    part++;
                    off = 0;
                }
                return part < PARTS;
            }

            @Override
            public Frame.Chunk next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                byte[] bytes = part(part);
                int n = Math.min(Protocol.CHUNK_BYTES, bytes.length - off);
                byte[] c = new byte[n];
                System.arraycopy(bytes, off, c, 0, n);
                Frame.Chunk chunk = new Frame.Chunk(id, part, off, c);
                off += n;
                return chunk;
            }
        };
    }

    private static void cut(long id, int part, byte[] bytes, List<Frame.Chunk> out) {
        for (int off = 0; off < bytes.length; off += Protocol.CHUNK_BYTES) {
            int n = Math.min(Protocol.CHUNK_BYTES, bytes.length - off);
            byte[] c = new byte[n];
            System.arraycopy(bytes, off, c, 0, n);
            out.add(new Frame.Chunk(id, part, off, c));
        }
    }

    /** Collects the chunks of one call or answer whose header declared {@code stateBytes} and {@code maskBytes}. */
    public static final class Assembler {
        private final long id;
        private final long[] declared;
        private final java.io.ByteArrayOutputStream[] parts;

        /**
         * @throws TransportException when the declared sizes are negative or exceed {@code limit} bytes together
         */
        public Assembler(long id, long stateBytes, long maskBytes, long limit) throws TransportException {
            this(id, stateBytes, maskBytes, 0, limit, "");
        }

        /** As above; {@code what} (e.g. "its SETUP answer") names the message in a refusal. */
        public Assembler(long id, long stateBytes, long maskBytes, long limit, String what) throws TransportException {
            this(id, stateBytes, maskBytes, 0, limit, what);
        }

        /** With a sections part of {@code sectionBytes}; the three declared sizes together are checked against {@code limit}. */
        public Assembler(long id, long stateBytes, long maskBytes, long sectionBytes, long limit, String what) throws TransportException {
            this.id = id;
            String subject = what.isEmpty() ? "" : what + " ";
            if (stateBytes < 0 || maskBytes < 0 || sectionBytes < 0) {
                throw new TransportException(subject + "declares a negative payload size (" + stateBytes + ", " + maskBytes + ", " + sectionBytes
                        + " bytes)");
            }
            long total = stateBytes + maskBytes + sectionBytes;
            if (total > limit || stateBytes > Integer.MAX_VALUE - 16 || maskBytes > Integer.MAX_VALUE - 16 || sectionBytes > Integer.MAX_VALUE - 16) {
                throw new TransportException(subject + "declares a payload of " + total + " bytes, more than the limit of " + limit + " bytes");
            }
            declared = new long[] {stateBytes, maskBytes, sectionBytes};
            // grown as chunks arrive: a declared size costs no memory until the bytes are really sent
            parts = new java.io.ByteArrayOutputStream[PARTS];
            for (int i = 0; i < PARTS; i++) {
                parts[i] = new java.io.ByteArrayOutputStream((int) Math.min(declared[i], 1 << 20));
            }
        }

        public long id() {
            return id;
        }

        /** Adds a chunk; fails for a chunk of another id, an unknown part, a gap, an overlap or an overflow. */
        public void add(Frame.Chunk c) throws TransportException {
            if (c.id() != id) {
                throw new TransportException("sent a chunk of " + c.id() + " while " + id + " was being received");
            }
            if (c.part() < 0 || c.part() >= PARTS) {
                throw new TransportException("sent a chunk of unknown part " + c.part());
            }
            java.io.ByteArrayOutputStream target = parts[c.part()];
            int have = target.size();
            if (c.offset() != have) {
                throw new TransportException("sent a chunk at offset " + c.offset() + " of part " + c.part() + ", expected offset " + have);
            }
            if (c.data().length == 0 || c.data().length > Protocol.CHUNK_BYTES || (long) have + c.data().length > declared[c.part()]) {
                throw new TransportException("sent a chunk of " + c.data().length + " bytes at offset " + have + " of part " + c.part()
                        + " (declared size " + declared[c.part()] + ", chunk limit " + Protocol.CHUNK_BYTES + ")");
            }
            target.write(c.data(), 0, c.data().length);
        }

        public boolean complete() {
            return parts[0].size() == declared[0] && parts[1].size() == declared[1] && parts[2].size() == declared[2];
        }

        public Payload payload() {
            if (!complete()) {
                throw new IllegalStateException("payload incomplete");
            }
            return new Payload(parts[0].toByteArray(), parts[1].toByteArray(), parts[2].toByteArray());
        }
    }
}
