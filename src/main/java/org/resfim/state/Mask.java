package org.resfim.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Per-element partition of a model: for every tensor, one bit per element, where
 * {@code 1} means <em>domain-sensitive / personal</em> (stays on the site) and {@code 0} means
 * <em>domain-invariant / shared</em> (aggregated by the server). Tensors keep the order in which
 * they were added (the model's order when built from a {@link ModelState}).
 *
 * <p>Mutable; {@link #copy()} gives an independent mask. Not thread-safe.
 */
public final class Mask {
    private static final byte[] MAGIC = {'R', 'M', 'S', 'K'};
    private static final int VERSION = 1;

    private final LinkedHashMap<String, Integer> sizes = new LinkedHashMap<>();
    private final LinkedHashMap<String, BitSet> bits = new LinkedHashMap<>();

    /** An empty mask (no tensors); add tensors with {@link #addTensor(String, int)}. */
    public Mask() {
    }

    /** A mask over every tensor of {@code layout} with every element invariant (0): plain FedAvg. */
    public static Mask allInvariant(ModelState layout) {
        return wholeTensors(layout, t -> false);
    }

    /** A mask over every tensor of {@code layout} with every element personal (1): no sharing at all. */
    public static Mask allPersonal(ModelState layout) {
        return wholeTensors(layout, t -> true);
    }

    /**
     * A mask over every tensor of {@code layout} in which whole tensors are personal where
     * {@code personal} holds (FedBN: norm tensors, FedPer: head, LG-FedAvg: encoder) and invariant otherwise.
     */
    public static Mask wholeTensors(ModelState layout, Predicate<Tensor> personal) {
        Mask m = new Mask();
        for (Tensor t : layout.tensors()) {
            m.addTensor(t.name(), t.size());
            if (personal.test(t)) {
                m.setAll(t.name(), true);
            }
        }
        return m;
    }

    /** Adds a tensor of {@code size} elements, all invariant. Throws if the name is already present. */
    public void addTensor(String name, int size) {
        Objects.requireNonNull(name, "name");
        if (size < 0) {
            throw new IllegalArgumentException("mask tensor '" + name + "': negative size " + size);
        }
        if (sizes.containsKey(name)) {
            throw new IllegalArgumentException("mask already has a tensor named '" + name + "'");
        }
        sizes.put(name, size);
        bits.put(name, new BitSet(size));
    }

    /** Tensor names in order. */
    public List<String> names() {
        return new ArrayList<>(sizes.keySet());
    }

    /** Whether the mask covers a tensor of that name. */
    public boolean contains(String name) {
        return sizes.containsKey(name);
    }

    /** Number of tensors covered. */
    public int tensorCount() {
        return sizes.size();
    }

    /** Number of elements of the named tensor. */
    public int size(String name) {
        return sizes.get(require(name));
    }

    /** Whether element {@code index} of tensor {@code name} is personal. */
    public boolean get(String name, int index) {
        checkIndex(name, index);
        return bits.get(name).get(index);
    }

    /** Marks element {@code index} of tensor {@code name} personal ({@code true}) or invariant ({@code false}). */
    public void set(String name, int index, boolean personal) {
        checkIndex(name, index);
        bits.get(name).set(index, personal);
    }

    /** Marks every element of tensor {@code name} personal or invariant. */
    public void setAll(String name, boolean personal) {
        int n = size(name);
        bits.get(name).set(0, n, personal);
    }

    /** Number of personal elements in tensor {@code name}. */
    public int count(String name) {
        return bits.get(require(name)).cardinality();
    }

    /** Personal fraction of tensor {@code name}, in [0, 1]; 0 for an empty tensor. */
    public double fraction(String name) {
        int n = size(name);
        return n == 0 ? 0.0 : (double) count(name) / n;
    }

    /** Number of personal elements over all tensors. */
    public long total() {
        long c = 0;
        for (BitSet b : bits.values()) {
            c += b.cardinality();
        }
        return c;
    }

    /** Number of elements over all tensors. */
    public long numElements() {
        long n = 0;
        for (int s : sizes.values()) {
            n += s;
        }
        return n;
    }

    /** Personal fraction over all elements, in [0, 1]; 0 for an empty mask. */
    public double totalFraction() {
        long n = numElements();
        return n == 0 ? 0.0 : (double) total() / n;
    }

    /** The live bits of tensor {@code name}, for read-only use inside this package's hot loops. */
    BitSet live(String name) {
        return bits.get(require(name));
    }

    /** A copy of the bits of tensor {@code name} (bit i set = element i personal). */
    public BitSet bits(String name) {
        return (BitSet) bits.get(require(name)).clone();
    }

    /** Replaces the bits of tensor {@code name}; bits at or beyond the tensor size are refused. */
    public void setBits(String name, BitSet newBits) {
        int n = size(name);
        if (newBits.length() > n) {
            throw new IllegalArgumentException("mask tensor '" + name + "': bit " + (newBits.length() - 1)
                    + " set but the tensor has " + n + " elements");
        }
        bits.put(name, (BitSet) newBits.clone());
    }

    /** The complement: personal becomes invariant and vice versa. */
    public Mask inverted() {
        Mask m = copy();
        for (Map.Entry<String, BitSet> e : m.bits.entrySet()) {
            e.getValue().flip(0, m.sizes.get(e.getKey()));
        }
        return m;
    }

    /** Deep copy. */
    public Mask copy() {
        Mask m = new Mask();
        for (Map.Entry<String, Integer> e : sizes.entrySet()) {
            m.sizes.put(e.getKey(), e.getValue());
            m.bits.put(e.getKey(), (BitSet) bits.get(e.getKey()).clone());
        }
        return m;
    }

    /**
     * Checks that this mask covers exactly the tensors of {@code layout} with the same element counts.
     *
     * @throws IllegalArgumentException naming the first tensor at fault
     */
    public void requireMatches(ModelState layout) {
        for (Tensor t : layout.tensors()) {
            Integer n = sizes.get(t.name());
            if (n == null) {
                throw new IllegalArgumentException("mask has no tensor '" + t.name() + "' (mask covers " + sizes.keySet() + ")");
            }
            if (n != t.size()) {
                throw new IllegalArgumentException("mask tensor '" + t.name() + "' has " + n
                        + " elements, state tensor has " + t.size() + " (shape " + java.util.Arrays.toString(t.shape()) + ")");
            }
        }
        for (String name : sizes.keySet()) {
            if (!layout.contains(name)) {
                throw new IllegalArgumentException("mask tensor '" + name + "' is not part of the state " + layout.names());
            }
        }
    }

    /**
     * Compact encoding: magic {@code RMSK}, version (int32), tensor count (int32), then per tensor:
     * name length (int32) + UTF-8 name, element count (int32), then {@code ceil(n/8)} bytes of bits
     * (bit i of the tensor is bit {@code i % 8} of byte {@code i / 8}). All integers little-endian.
     */
    public byte[] toBytes() {
        int len = 12;
        List<byte[]> encodedNames = new ArrayList<>();
        for (Map.Entry<String, Integer> e : sizes.entrySet()) {
            byte[] nb = e.getKey().getBytes(StandardCharsets.UTF_8);
            encodedNames.add(nb);
            len += 4 + nb.length + 4 + byteCount(e.getValue());
        }
        ByteBuffer buf = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).putInt(VERSION).putInt(sizes.size());
        int i = 0;
        for (Map.Entry<String, Integer> e : sizes.entrySet()) {
            byte[] nb = encodedNames.get(i++);
            int n = e.getValue();
            buf.putInt(nb.length).put(nb).putInt(n);
            byte[] raw = bits.get(e.getKey()).toByteArray();
            byte[] padded = new byte[byteCount(n)];
            System.arraycopy(raw, 0, padded, 0, raw.length);
            buf.put(padded);
        }
        return buf.array();
    }

    /**
     * Decodes {@link #toBytes()}.
     *
     * @throws IllegalArgumentException for a wrong magic or version, a truncated or over-long encoding, or
     *         bits set beyond a tensor's size; the message names the tensor at fault and the byte offset
     */
    public static Mask fromBytes(byte[] data) {
        return fromBytes(data, Integer.MAX_VALUE);
    }

    /**
     * Decodes an encoding of at most {@code maxTensors} tensors; the count is checked before any tensor is read,
     * so bytes from a peer cannot make the reader build more objects than a model has tensors.
     */
    public static Mask fromBytes(byte[] data, int maxTensors) {
        ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (data.length < 12) {
            throw new IllegalArgumentException("mask encoding: " + data.length + " bytes, shorter than the 12-byte header");
        }
        byte[] magic = new byte[4];
        buf.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IllegalArgumentException("mask encoding: wrong magic (not a RMSK mask)");
        }
        int version = buf.getInt();
        if (version != VERSION) {
            throw new IllegalArgumentException("mask encoding: unknown version " + version + " (this build reads " + VERSION + ")");
        }
        int count = buf.getInt();
        if (count < 0) {
            throw new IllegalArgumentException("mask encoding: negative tensor count " + count);
        }
        if (count > maxTensors) {
            throw new IllegalArgumentException("mask encoding: " + count + " tensors, more than the " + maxTensors + " allowed");
        }
        Mask m = new Mask();
        for (int k = 0; k < count; k++) {
            String what = "tensor #" + k;
            need(buf, 4, what, "name length");
            int nameLen = buf.getInt();
            if (nameLen < 0 || nameLen > buf.remaining()) {
                throw new IllegalArgumentException("mask encoding: " + what + " at byte " + (buf.position() - 4)
                        + ": name length " + nameLen + " exceeds the " + buf.remaining() + " bytes left");
            }
            byte[] nb = new byte[nameLen];
            buf.get(nb);
            String name = new String(nb, StandardCharsets.UTF_8);
            what = "tensor '" + name + "'";
            need(buf, 4, what, "element count");
            int n = buf.getInt();
            if (n < 0) {
                throw new IllegalArgumentException("mask encoding: " + what + ": negative element count " + n);
            }
            int nBytes = byteCount(n);
            need(buf, nBytes, what, "bits");
            byte[] raw = new byte[nBytes];
            buf.get(raw);
            BitSet b = BitSet.valueOf(raw);
            if (b.length() > n) {
                throw new IllegalArgumentException("mask encoding: " + what + ": bit " + (b.length() - 1)
                        + " set but the tensor has " + n + " elements");
            }
            if (m.contains(name)) {
                throw new IllegalArgumentException("mask encoding: " + what + " appears twice");
            }
            m.addTensor(name, n);
            m.bits.put(name, b);
        }
        if (buf.hasRemaining()) {
            throw new IllegalArgumentException("mask encoding: " + buf.remaining() + " trailing bytes after the last tensor, at byte "
                    + buf.position());
        }
        return m;
    }

    private static void need(ByteBuffer buf, int n, String what, String field) {
        if (buf.remaining() < n) {
            throw new IllegalArgumentException("mask encoding: " + what + " " + field + " at bytes " + buf.position() + ".."
                    + ((long) buf.position() + n) + ": truncated (encoding ends at byte " + buf.limit() + ")");
        }
    }

    private static int byteCount(int n) {
        return (int) (((long) n + 7) / 8);
    }

    private String require(String name) {
        if (!sizes.containsKey(name)) {
            throw new IllegalArgumentException("mask has no tensor '" + name + "' (mask covers " + sizes.keySet() + ")");
        }
        return name;
    }

    private void checkIndex(String name, int index) {
        int n = size(name);
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException("mask tensor '" + name + "': index " + index + " out of [0, " + n + ")");
        }
    }

    /** Equal when both cover the same tensors, in the same order, with the same sizes and bits. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Mask other)) {
            return false;
        }
        return new ArrayList<>(sizes.entrySet()).equals(new ArrayList<>(other.sizes.entrySet())) && bits.equals(other.bits);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sizes, bits);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Mask{");
        String sep = "";
        for (String name : sizes.keySet()) {
            sb.append(sep).append(name).append(": ").append(count(name)).append('/').append(sizes.get(name));
            sep = ", ";
        }
        return sb.append('}').toString();
    }
}
