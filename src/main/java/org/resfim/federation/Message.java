package org.resfim.federation;

import org.resfim.state.Mask;
import org.resfim.state.ModelState;

import java.util.Map;

/**
 * What travels between a site and the coordinator: named tensors (a model subset, a style bank), an
 * optional element mask (bit 1 = the element is personal and its value was NOT sent), and small
 * string metadata, and typed binary {@link Sections} (secure aggregation's masked ring vectors and sealed shares).
 * Engine-free, so the same object crosses the in-process and the gRPC transport.
 */
public record Message(ModelState tensors, Mask mask, Map<String, String> meta, Sections sections) {
    public Message {
        tensors = tensors == null ? new ModelState() : tensors;
        meta = meta == null ? Map.of() : Map.copyOf(meta);
        sections = sections == null ? Sections.EMPTY : sections;
    }

    public Message(ModelState tensors, Mask mask, Map<String, String> meta) {
        this(tensors, mask, meta, null);
    }

    public static Message of(ModelState tensors) {
        return new Message(tensors, null, null);
    }

    public static Message empty() {
        return new Message(null, null, null);
    }

    public boolean isEmpty() {
        return tensors.size() == 0 && mask == null && sections.isEmpty();
    }

    /** Bytes of payload this message carries: 4 per float value sent plus the mask bits, plus its sections' encoding. */
    public long payloadBytes() {
        long bytes = 0;
        for (var t : tensors.tensors()) {
            long personal = mask != null && mask.contains(t.name()) ? mask.count(t.name()) : 0;
            bytes += 4L * (t.size() - personal);
        }
        if (mask != null) {
            bytes += (mask.numElements() + 7) / 8;
        }
        if (!sections.isEmpty()) {
            bytes += sections.encodedSize();
        }
        return bytes;
    }
}
