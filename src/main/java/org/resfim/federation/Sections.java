package org.resfim.federation;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Typed binary entries of a {@link Message} that are neither model tensors nor a mask: secure aggregation's masked
 * ring vectors ({@link Type#UINT64}: elements of Z_2^64) and its sealed share bundles and keys ({@link Type#BYTES}).
 * The in-process transport hands the object over as it is; a network transport sends {@link #encode} as its own
 * payload part and reads it back with {@link #decode}, which checks every declared length against the bytes that
 * are really there before it allocates anything.
 *
 * <p>Encoding (little-endian): magic {@code RSEC}, version (u8 = 1), entry count (u32); per entry: name length
 * (u16) and UTF-8 name, type (u8: 0 = bytes, 1 = uint64), element count (u32), then the elements (1 or 8 bytes each).
 */
public final class Sections {
    public enum Type {
        BYTES(1), UINT64(8);

        final int width;

        Type(int width) {
            this.width = width;
        }
    }

    private static final byte[] MAGIC = {'R', 'S', 'E', 'C'};
    private static final int VERSION = 1;
    /** Longest entry name. */
    public static final int MAX_NAME = 256;

    private record Entry(Type type, byte[] bytes, long[] ring) {
        long count() {
            return type == Type.BYTES ? bytes.length : ring.length;
        }
    }

    private final Map<String, Entry> entries;

    private Sections(Map<String, Entry> entries) {
        this.entries = Collections.unmodifiableMap(entries);
    }

    public static final Sections EMPTY = new Sections(new LinkedHashMap<>());

    public static Builder builder() {
        return new Builder();
    }

    /** Builds entries in order; names are unique. */
    public static final class Builder {
        private final Map<String, Entry> entries = new LinkedHashMap<>();

        public Builder bytes(String name, byte[] value) {
            return put(name, new Entry(Type.BYTES, value.clone(), null));
        }

        public Builder uint64(String name, long[] value) {
            return put(name, new Entry(Type.UINT64, null, value.clone()));
        }

        private Builder put(String name, Entry e) {
            if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME) {
                throw new IllegalArgumentException("a section name must be 1 to " + MAX_NAME + " bytes: '" + name + "'");
            }
            if (entries.putIfAbsent(name, e) != null) {
                throw new IllegalArgumentException("section '" + name + "' twice");
            }
            return this;
        }

        public Sections build() {
            return new Sections(new LinkedHashMap<>(entries));
        }
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public int size() {
        return entries.size();
    }

    public java.util.Set<String> names() {
        return entries.keySet();
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    public Type type(String name) {
        Entry e = entries.get(name);
        return e == null ? null : e.type();
    }

    /** The bytes of entry {@code name}, or null when there is none; fails when it holds another type. */
    public byte[] bytes(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            return null;
        }
        if (e.type() != Type.BYTES) {
            throw new IllegalArgumentException("section '" + name + "' holds " + e.type() + ", not bytes");
        }
        return e.bytes().clone();
    }

    /** The ring elements of entry {@code name}, or null when there is none; fails when it holds another type. */
    public long[] uint64(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            return null;
        }
        if (e.type() != Type.UINT64) {
            throw new IllegalArgumentException("section '" + name + "' holds " + e.type() + ", not uint64");
        }
        return e.ring().clone();
    }

    /** The entries of type bytes whose names start with {@code prefix}, keyed by the rest of the name, in order. */
    public Map<String, byte[]> bytesWithPrefix(String prefix) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        entries.forEach((k, e) -> {
            if (k.startsWith(prefix) && e.type() == Type.BYTES) {
                out.put(k.substring(prefix.length()), e.bytes().clone());
            }
        });
        return out;
    }

    /** Elements of entry {@code name} (bytes or ring elements), 0 when there is none. */
    public long count(String name) {
        Entry e = entries.get(name);
        return e == null ? 0 : e.count();
    }

    /** The length of {@link #encode}. */
    public long encodedSize() {
        long n = 9;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            n += 2 + e.getKey().getBytes(StandardCharsets.UTF_8).length + 1 + 4 + e.getValue().count() * e.getValue().type().width;
        }
        return n;
    }

    /** The encoding of an entry of {@code elements} elements of {@code type} named with {@code nameBytes} UTF-8 bytes. */
    public static long entrySize(int nameBytes, Type type, long elements) {
        return 2L + nameBytes + 1 + 4 + elements * type.width;
    }

    /** The encoding's header alone (no entries). */
    public static final int HEADER_BYTES = 9;

    public byte[] encode() {
        long size = encodedSize();
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("sections of " + size + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) VERSION).putInt(entries.size());
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            Entry x = e.getValue();
            b.putShort((short) name.length).put(name).put((byte) x.type().ordinal()).putInt((int) x.count());
            if (x.type() == Type.BYTES) {
                b.put(x.bytes());
            } else {
                for (long v : x.ring()) {
                    b.putLong(v);
                }
            }
        }
        return b.array();
    }

    /**
     * Reads an encoding of at most {@code maxEntries} entries; a wrong magic or version, a name too long, an unknown
     * type, a count beyond the bytes that follow, trailing bytes or a repeated name fail with the reason, before
     * anything is allocated for the entry at fault.
     */
    public static Sections decode(byte[] bytes, int maxEntries) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < HEADER_BYTES || b.get() != 'R' || b.get() != 'S' || b.get() != 'E' || b.get() != 'C') {
            throw new IllegalArgumentException("not a sections encoding (magic RSEC)");
        }
        int version = b.get();
        if (version != VERSION) {
            throw new IllegalArgumentException("sections encoding version " + version + ", this end reads " + VERSION);
        }
        long n = Integer.toUnsignedLong(b.getInt());
        if (n > maxEntries) {
            throw new IllegalArgumentException(n + " sections, more than the " + maxEntries + " this message may hold");
        }
        Map<String, Entry> out = new LinkedHashMap<>();
        for (long i = 0; i < n; i++) {
            need(b, 2, "a section name's length");
            int nameLength = Short.toUnsignedInt(b.getShort());
            if (nameLength == 0 || nameLength > MAX_NAME) {
                throw new IllegalArgumentException("section " + i + " has a name of " + nameLength + " bytes (1 to " + MAX_NAME + ")");
            }
            need(b, nameLength + 5L, "section " + i + "'s name and type");
            byte[] nb = new byte[nameLength];
            b.get(nb);
            String name = new String(nb, StandardCharsets.UTF_8);
            int t = b.get();
            if (t < 0 || t >= Type.values().length) {
                throw new IllegalArgumentException("section '" + name + "' has unknown type " + t);
            }
            Type type = Type.values()[t];
            long count = Integer.toUnsignedLong(b.getInt());
            need(b, count * type.width, "section '" + name + "' (" + count + " " + type + " elements)");
            Entry e;
            if (type == Type.BYTES) {
                byte[] v = new byte[(int) count];
                b.get(v);
                e = new Entry(type, v, null);
            } else {
                long[] v = new long[(int) count];
                b.asLongBuffer().get(v);
                b.position(b.position() + 8 * (int) count);
                e = new Entry(type, null, v);
            }
            if (out.putIfAbsent(name, e) != null) {
                throw new IllegalArgumentException("section '" + name + "' twice");
            }
        }
        if (b.hasRemaining()) {
            throw new IllegalArgumentException(b.remaining() + " bytes after the last section");
        }
        return new Sections(out);
    }

    private static void need(ByteBuffer b, long bytes, String what) {
        if (bytes > b.remaining()) {
            throw new IllegalArgumentException(what + " needs " + bytes + " bytes, " + b.remaining() + " are left");
        }
    }
}
