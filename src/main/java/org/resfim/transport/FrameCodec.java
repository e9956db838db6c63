package org.resfim.transport;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.grpc.MethodDescriptor;
import org.resfim.federation.ImageScore;
import org.resfim.metrics.MetricSummary;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Protobuf wire encoding of {@link Frame}s, field numbers as in {@code resfim_federation.proto}, written with
 * protobuf-java's coded streams (no generated classes, no protoc at build time). Unknown fields are skipped,
 * so a newer peer may add fields; a malformed frame fails with {@link IllegalArgumentException}.
 */
public final class FrameCodec implements MethodDescriptor.Marshaller<Frame> {
    public static final FrameCodec INSTANCE = new FrameCodec();

    private FrameCodec() {
    }

    @Override
    public InputStream stream(Frame value) {
        return new ByteArrayInputStream(encode(value));
    }

    @Override
    public Frame parse(InputStream stream) {
        try {
            return decode(stream.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ encoding

    public static byte[] encode(Frame f) {
        W w = new W();
        if (f instanceof Frame.Hello h) {
            w.message(1, new W().int32(1, h.protocolVersion()).string(2, h.site()).string(3, h.software()).string(4, h.planSha256()));
        } else if (f instanceof Frame.Welcome h) {
            w.message(2, new W().int32(1, h.protocolVersion()).string(2, h.site()).string(3, h.software()).string(4, h.planSha256())
                    .int64(5, h.progressMillis()));
        } else if (f instanceof Frame.Refusal r) {
            w.message(3, new W().string(1, r.reason()).int32(2, r.protocolVersion()).bool(3, r.permanent()));
        } else if (f instanceof Frame.Call c) {
            W m = new W().int64(1, c.id()).string(2, c.phase()).int32(3, c.round()).string(4, c.run()).int64(5, c.seed());
            stringMap(m, 6, c.meta());
            m.int64(7, c.stateBytes()).int64(8, c.maskBytes()).string(9, c.dtype()).int64(10, c.sectionBytes());
            w.message(4, m);
        } else if (f instanceof Frame.Answer a) {
            W m = new W().int64(1, a.id()).string(2, a.phase()).int32(3, a.round()).string(4, a.site()).int64(5, a.numSamples());
            for (Map.Entry<String, Double> e : a.stats().entrySet()) {
                m.message(6, new W().string(1, e.getKey()).dbl(2, e.getValue()));
            }
            for (ImageScore s : a.scores()) {
                MetricSummary x = s.metrics();
                m.message(7, new W().string(1, s.split()).string(2, s.imageId()).dbl(3, x.dice()).dbl(4, x.iou())
                        .dbl(5, x.sensitivity()).dbl(6, x.specificity()).dbl(7, x.hd95()));
            }
            stringMap(m, 8, a.meta());
            m.int64(9, a.stateBytes()).int64(10, a.maskBytes()).string(11, a.dtype()).string(12, a.error()).bool(13, a.permanent())
                    .int64(14, a.sectionBytes());
            w.message(5, m);
        } else if (f instanceof Frame.Chunk c) {
            w.message(6, new W().int64(1, c.id()).int32(2, c.part()).int64(3, c.offset()).bytes(4, c.data()));
        } else if (f instanceof Frame.Notice n) {
            w.message(7, new W().int32(1, n.round()).string(2, n.text()));
        } else if (f instanceof Frame.Bye b) {
            w.message(8, new W().string(1, b.reason()));
        } else if (f instanceof Frame.Progress p) {
            w.message(9, new W().int64(1, p.id()).int64(2, p.cpuMillis()));
        } else {
            throw new IllegalArgumentException("unknown frame " + f);
        }
        return w.toByteArray();
    }

    private static void stringMap(W m, int field, Map<String, String> map) {
        for (Map.Entry<String, String> e : map.entrySet()) {
            m.message(field, new W().string(1, e.getKey()).string(2, e.getValue()));
        }
    }

    /** A protobuf message being written (proto3: default values are omitted). */
    private static final class W {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final CodedOutputStream out = CodedOutputStream.newInstance(buf);

        W int32(int field, int v) {
            return run(() -> {
                if (v != 0) {
                    out.writeInt32(field, v);
                }
            });
        }

        W int64(int field, long v) {
            return run(() -> {
                if (v != 0) {
                    out.writeInt64(field, v);
                }
            });
        }

        W bool(int field, boolean v) {
            return run(() -> {
                if (v) {
                    out.writeBool(field, true);
                }
            });
        }

        W dbl(int field, double v) {
            return run(() -> {
                if (Double.doubleToRawLongBits(v) != 0) {
                    out.writeDouble(field, v);
                }
            });
        }

        W string(int field, String v) {
            return run(() -> {
                if (v != null && !v.isEmpty()) {
                    out.writeString(field, v);
                }
            });
        }

        W bytes(int field, byte[] v) {
            return run(() -> {
                if (v != null && v.length > 0) {
                    out.writeByteArray(field, v);
                }
            });
        }

        W message(int field, W nested) {
            return run(() -> out.writeByteArray(field, nested.toByteArray()));
        }

        byte[] toByteArray() {
            try {
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return buf.toByteArray();
        }

        private W run(IoAction a) {
            try {
                a.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }
    }

    private interface IoAction {
        void run() throws IOException;
    }

    // ------------------------------------------------------------------ decoding

    public static Frame decode(byte[] bytes) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setSizeLimit(Integer.MAX_VALUE);
            Frame f = null;
            int tag;
            while ((tag = in.readTag()) != 0) {
                int field = WireFormat.getTagFieldNumber(tag);
                if (field >= 1 && field <= 9 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    if (f != null) {
                        throw new IllegalArgumentException("frame has more than one body");
                    }
                    f = body(field, in.readByteArray());
                } else {
                    in.skipField(tag);
                }
            }
            if (f == null) {
                throw new IllegalArgumentException("empty frame");
            }
            return f;
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed frame: " + e.getMessage(), e);
        }
    }

    private static Frame body(int kind, byte[] bytes) throws IOException {
        R r = new R(bytes);
        switch (kind) {
            case 1, 2 -> {
                int version = 0;
                String site = "";
                String software = "";
                String plan = "";
                long progress = 0;
                while (r.next()) {
                    switch (r.field) {
                        case 1 -> version = r.in.readInt32();
                        case 2 -> site = r.in.readString();
                        case 3 -> software = r.in.readString();
                        case 4 -> plan = r.in.readString();
                        case 5 -> {
                            if (kind == 2) {
                                progress = r.in.readInt64();
                            } else {
                                r.skip();
                            }
                        }
                        default -> r.skip();
                    }
                }
                return kind == 1 ? new Frame.Hello(version, site, software, plan) : new Frame.Welcome(version, site, software, plan, progress);
            }
            case 3 -> {
                String reason = "";
                int version = 0;
                boolean permanent = false;
                while (r.next()) {
                    switch (r.field) {
                        case 1 -> reason = r.in.readString();
                        case 2 -> version = r.in.readInt32();
                        case 3 -> permanent = r.in.readBool();
                        default -> r.skip();
                    }
                }
                return new Frame.Refusal(reason, version, permanent);
            }
            case 4 -> {
                long id = 0;
                String phase = "";
                int round = 0;
                String run = "";
                long seed = 0;
                Map<String, String> meta = new LinkedHashMap<>();
                long stateBytes = 0;
                long maskBytes = 0;
                String dtype = "";
                long sectionBytes = 0;
                while (r.next()) {
                    switch (r.field) {
                        case 1 -> id = r.in.readInt64();
                        case 2 -> phase = r.in.readString();
                        case 3 -> round = r.in.readInt32();
                        case 4 -> run = r.in.readString();
                        case 5 -> seed = r.in.readInt64();
                        case 6 -> stringEntry(r.in.readByteArray(), meta);
                        case 7 -> stateBytes = r.in.readInt64();
                        case 8 -> maskBytes = r.in.readInt64();
                        case 9 -> dtype = r.in.readString();
                        case 10 -> sectionBytes = r.in.readInt64();
                        default -> r.skip();
                    }
                }
                return new Frame.Call(id, phase, round, run, seed, meta, stateBytes, maskBytes, dtype, sectionBytes);
            }
            case 5 -> {
                long id = 0;
                String phase = "";
                int round = 0;
                String site = "";
                long numSamples = 0;
                Map<String, Double> stats = new LinkedHashMap<>();
                List<ImageScore> scores = new ArrayList<>();
                Map<String, String> meta = new LinkedHashMap<>();
                long stateBytes = 0;
                long maskBytes = 0;
                String dtype = "";
                String error = "";
                boolean permanent = false;
                long sectionBytes = 0;
                while (r.next()) {
                    switch (r.field) {
                        case 1 -> id = r.in.readInt64();
                        case 2 -> phase = r.in.readString();
                        case 3 -> round = r.in.readInt32();
                        case 4 -> site = r.in.readString();
                        case 5 -> numSamples = r.in.readInt64();
                        case 6 -> doubleEntry(r.in.readByteArray(), stats);
                        case 7 -> scores.add(score(r.in.readByteArray()));
                        case 8 -> stringEntry(r.in.readByteArray(), meta);
                        case 9 -> stateBytes = r.in.readInt64();
                        case 10 -> maskBytes = r.in.readInt64();
                        case 11 -> dtype = r.in.readString();
                        case 12 -> error = r.in.readString();
                        case 13 -> permanent = r.in.readBool();
                        case 14 -> sectionBytes = r.in.readInt64();
                        default -> r.skip();
                    }
                }
                return new Frame.Answer(id, phase, round, site, numSamples, stats, scores, meta, stateBytes, maskBytes, dtype, error, permanent,
                        sectionBytes);
            }
            case 6 -> {
                long id = 0;
                int part = 0;
                long offset = 0;
                byte[] data = new byte[0];
                while (r.next()) {
                    switch (r.field) {
                        case 1 -> id = r.in.readInt64();
                        case 2 -> part = r.in.readInt32();
                        case 3 -> offset = r.in.readInt64();
                        case 4 -> data = r.in.readByteArray();
                        default -> r.skip();
                    }
                }
                return new Frame.Chunk(id, part, offset, data);
            }
            case 7 -> {
                int round = 0;
                String text = "";
                while (r.next()) {
                    switch (r.field) {
                        case 1 -> round = r.in.readInt32();
                        case 2 -> text = r.in.readString();
                        default -> r.skip();
                    }
                }
                return new Frame.Notice(round, text);
            }
            case 8 -> {
                String reason = "";
                while (r.next()) {
                    if (r.field == 1) {
                        reason = r.in.readString();
                    } else {
                        r.skip();
                    }
                }
                return new Frame.Bye(reason);
            }
            case 9 -> {
                long id = 0;
                long cpu = 0;
                while (r.next()) {
                    switch (r.field) {
                        case 1 -> id = r.in.readInt64();
                        case 2 -> cpu = r.in.readInt64();
                        default -> r.skip();
                    }
                }
                return new Frame.Progress(id, cpu);
            }
            default -> throw new IllegalArgumentException("unknown frame kind " + kind);
        }
    }

    private static void stringEntry(byte[] bytes, Map<String, String> into) throws IOException {
        R r = new R(bytes);
        String k = "";
        String v = "";
        while (r.next()) {
            switch (r.field) {
                case 1 -> k = r.in.readString();
                case 2 -> v = r.in.readString();
                default -> r.skip();
            }
        }
        into.put(k, v);
    }

    private static void doubleEntry(byte[] bytes, Map<String, Double> into) throws IOException {
        R r = new R(bytes);
        String k = "";
        double v = 0;
        while (r.next()) {
            switch (r.field) {
                case 1 -> k = r.in.readString();
                case 2 -> v = r.in.readDouble();
                default -> r.skip();
            }
        }
        into.put(k, v);
    }

    private static ImageScore score(byte[] bytes) throws IOException {
        R r = new R(bytes);
        String split = "";
        String id = "";
        double[] m = new double[5];
        while (r.next()) {
            switch (r.field) {
                case 1 -> split = r.in.readString();
                case 2 -> id = r.in.readString();
                case 3, 4, 5, 6, 7 -> m[r.field - 3] = r.in.readDouble();
                default -> r.skip();
            }
        }
        return new ImageScore(split, id, new MetricSummary(m[0], m[1], m[2], m[3], m[4]));
    }

    /** A protobuf message being read, field by field. */
    private static final class R {
        final CodedInputStream in;
        int tag;
        int field;

        R(byte[] bytes) {
            in = CodedInputStream.newInstance(bytes);
        }

        boolean next() throws IOException {
            tag = in.readTag();
            field = WireFormat.getTagFieldNumber(tag);
            return tag != 0;
        }

        void skip() throws IOException {
            in.skipField(tag);
        }
    }
}
