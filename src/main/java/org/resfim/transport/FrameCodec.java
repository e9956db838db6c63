package org.resfim.transport;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import org.resfim.federation.ImageScore;
import org.resfim.metrics.MetricSummary;
import org.resfim.transport.proto.ResfimFederation;
import org.resfim.transport.proto.ResfimFederation.DoubleEntry;
import org.resfim.transport.proto.ResfimFederation.Score;
import org.resfim.transport.proto.ResfimFederation.StringEntry;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@link Frame}s on the wire: each record is mapped to the message that protoc generates from
 * {@code src/main/proto/resfim_federation.proto} ({@link ResfimFederation.Frame}, at build time), which writes and reads
 * the bytes, so the field numbers are those of the .proto and nowhere else. Proto3: a field at its default (0, "", false,
 * empty bytes) is not written. Unknown fields are skipped, so a newer peer may add fields; a malformed frame (bad wire
 * format, a string that is not UTF-8, no body, more than one body) fails with {@link IllegalArgumentException}.
 *
 * <p>A chunk's bytes (up to 1 MiB) are copied once each way: gRPC drains the message straight into its buffers, and
 * reading keeps the received bytes (aliased, not copied) until the record takes its own copy.
 */
public final class FrameCodec implements MethodDescriptor.Marshaller<Frame> {
    public static final FrameCodec INSTANCE = new FrameCodec();

    /** Field numbers of the branches of {@code Frame.body}, from the generated descriptor. */
    private static final Set<Integer> BODY_FIELDS = ResfimFederation.Frame.getDescriptor().getOneofs().stream()
            .filter(o -> o.getName().equals("body")).findFirst().orElseThrow().getFields().stream()
            .map(FieldDescriptor::getNumber).collect(Collectors.toUnmodifiableSet());

    private FrameCodec() {
    }

    @Override
    public InputStream stream(Frame value) {
        return new Encoded(toMessage(value));
    }

    @Override
    public Frame parse(InputStream stream) {
        try {
            return decode(readFully(stream));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] encode(Frame f) {
        return toMessage(f).toByteArray();
    }

    public static Frame decode(byte[] bytes) {
        try {
            requireAtMostOneBody(bytes);
            // a view of `bytes` read as immutable, so that with aliasing a chunk's data stays a view of `bytes` (no copy)
            // until fromMessage copies it into the record; nothing keeps the view after that
            CodedInputStream in = UnsafeByteOperations.unsafeWrap(bytes).newCodedInput();
            in.setSizeLimit(Integer.MAX_VALUE);
            in.enableAliasing(true);
            ResfimFederation.Frame m = ResfimFederation.Frame.parseFrom(in);
            if (m.getBodyCase() == ResfimFederation.Frame.BodyCase.BODY_NOT_SET) {
                throw new IllegalArgumentException("empty frame");
            }
            return fromMessage(m);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed frame: " + e.getMessage(), e);
        }
    }

    /**
     * The generated parser would merge a second body into the first, or keep the last; a frame carries exactly one, so
     * more are refused (a top-level pass over the tags: a body's bytes are skipped, not read).
     */
    private static void requireAtMostOneBody(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        boolean seen = false;
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED
                    && BODY_FIELDS.contains(WireFormat.getTagFieldNumber(tag))) {
                if (seen) {
                    throw new IllegalArgumentException("frame has more than one body");
                }
                seen = true;
            }
            in.skipField(tag);
        }
    }

    // ------------------------------------------------------------------ Frame record -> generated message

    static ResfimFederation.Frame toMessage(Frame f) {
        ResfimFederation.Frame.Builder b = ResfimFederation.Frame.newBuilder();
        if (f instanceof Frame.Hello h) {
            b.setHello(ResfimFederation.Hello.newBuilder().setProtocolVersion(h.protocolVersion()).setSite(str(h.site()))
                    .setSoftware(str(h.software())).setPlanSha256(str(h.planSha256())));
        } else if (f instanceof Frame.Welcome w) {
            b.setWelcome(ResfimFederation.Welcome.newBuilder().setProtocolVersion(w.protocolVersion()).setSite(str(w.site()))
                    .setSoftware(str(w.software())).setPlanSha256(str(w.planSha256())).setProgressMillis(w.progressMillis()));
        } else if (f instanceof Frame.Refusal r) {
            b.setRefusal(ResfimFederation.Refusal.newBuilder().setReason(str(r.reason())).setProtocolVersion(r.protocolVersion())
                    .setPermanent(r.permanent()));
        } else if (f instanceof Frame.Call c) {
            ResfimFederation.Call.Builder m = ResfimFederation.Call.newBuilder().setId(c.id()).setPhase(str(c.phase()))
                    .setRound(c.round()).setRun(str(c.run())).setSeed(c.seed()).setStateBytes(c.stateBytes())
                    .setMaskBytes(c.maskBytes()).setDtype(str(c.dtype())).setSectionBytes(c.sectionBytes());
            c.meta().forEach((k, v) -> m.addMeta(stringEntry(k, v)));
            b.setCall(m);
        } else if (f instanceof Frame.Answer a) {
            ResfimFederation.Answer.Builder m = ResfimFederation.Answer.newBuilder().setId(a.id()).setPhase(str(a.phase()))
                    .setRound(a.round()).setSite(str(a.site())).setNumSamples(a.numSamples()).setStateBytes(a.stateBytes())
                    .setMaskBytes(a.maskBytes()).setDtype(str(a.dtype())).setError(str(a.error())).setPermanent(a.permanent())
                    .setSectionBytes(a.sectionBytes());
            a.stats().forEach((k, v) -> m.addStats(DoubleEntry.newBuilder().setKey(str(k)).setValue(v)));
            for (ImageScore s : a.scores()) {
                MetricSummary x = s.metrics();
                m.addScores(Score.newBuilder().setSplit(str(s.split())).setImageId(str(s.imageId())).setDice(x.dice())
                        .setIou(x.iou()).setSensitivity(x.sensitivity()).setSpecificity(x.specificity()).setHd95(x.hd95()));
            }
            a.meta().forEach((k, v) -> m.addMeta(stringEntry(k, v)));
            b.setAnswer(m);
        } else if (f instanceof Frame.Chunk c) {
            // not copied: the message is written out (encode, or drained by gRPC) before the caller gets control back,
            // and nothing writes into a chunk's array after it was cut (Payload)
            ByteString data = c.data() == null ? ByteString.EMPTY : UnsafeByteOperations.unsafeWrap(c.data());
            b.setChunk(ResfimFederation.Chunk.newBuilder().setId(c.id()).setPart(c.part()).setOffset(c.offset()).setData(data));
        } else if (f instanceof Frame.Notice n) {
            b.setNotice(ResfimFederation.Notice.newBuilder().setRound(n.round()).setText(str(n.text())));
        } else if (f instanceof Frame.Bye y) {
            b.setBye(ResfimFederation.Bye.newBuilder().setReason(str(y.reason())));
        } else if (f instanceof Frame.Progress p) {
            b.setProgress(ResfimFederation.Progress.newBuilder().setId(p.id()).setCpuMillis(p.cpuMillis()));
        } else {
            throw new IllegalArgumentException("unknown frame " + f);
        }
        return b.build();
    }

    private static StringEntry stringEntry(String key, String value) {
        return StringEntry.newBuilder().setKey(str(key)).setValue(str(value)).build();
    }

    /** A record's absent string is the proto3 default: not written, read back as "". */
    private static String str(String s) {
        return s == null ? "" : s;
    }

    // ------------------------------------------------------------------ generated message -> Frame record

    static Frame fromMessage(ResfimFederation.Frame m) {
        switch (m.getBodyCase()) {
            case HELLO -> {
                ResfimFederation.Hello h = m.getHello();
                return new Frame.Hello(h.getProtocolVersion(), h.getSite(), h.getSoftware(), h.getPlanSha256());
            }
            case WELCOME -> {
                ResfimFederation.Welcome w = m.getWelcome();
                return new Frame.Welcome(w.getProtocolVersion(), w.getSite(), w.getSoftware(), w.getPlanSha256(), w.getProgressMillis());
            }
            case REFUSAL -> {
                ResfimFederation.Refusal r = m.getRefusal();
                return new Frame.Refusal(r.getReason(), r.getProtocolVersion(), r.getPermanent());
            }
            case CALL -> {
                ResfimFederation.Call c = m.getCall();
                return new Frame.Call(c.getId(), c.getPhase(), c.getRound(), c.getRun(), c.getSeed(), stringMap(c.getMetaList()),
                        c.getStateBytes(), c.getMaskBytes(), c.getDtype(), c.getSectionBytes());
            }
            case ANSWER -> {
                ResfimFederation.Answer a = m.getAnswer();
                Map<String, Double> stats = new LinkedHashMap<>();
                for (DoubleEntry e : a.getStatsList()) {
                    stats.put(e.getKey(), e.getValue());
                }
                List<ImageScore> scores = new ArrayList<>(a.getScoresCount());
                for (Score s : a.getScoresList()) {
                    scores.add(new ImageScore(s.getSplit(), s.getImageId(),
                            new MetricSummary(s.getDice(), s.getIou(), s.getSensitivity(), s.getSpecificity(), s.getHd95())));
                }
                return new Frame.Answer(a.getId(), a.getPhase(), a.getRound(), a.getSite(), a.getNumSamples(), stats, scores,
                        stringMap(a.getMetaList()), a.getStateBytes(), a.getMaskBytes(), a.getDtype(), a.getError(), a.getPermanent(),
                        a.getSectionBytes());
            }
            case CHUNK -> {
                ResfimFederation.Chunk c = m.getChunk();
                return new Frame.Chunk(c.getId(), c.getPart(), c.getOffset(), c.getData().toByteArray());
            }
            case NOTICE -> {
                ResfimFederation.Notice n = m.getNotice();
                return new Frame.Notice(n.getRound(), n.getText());
            }
            case BYE -> {
                return new Frame.Bye(m.getBye().getReason());
            }
            case PROGRESS -> {
                ResfimFederation.Progress p = m.getProgress();
                return new Frame.Progress(p.getId(), p.getCpuMillis());
            }
            default -> throw new IllegalArgumentException("empty frame");
        }
    }

    /** Repeated entries in order; a key given twice keeps its last value. */
    private static Map<String, String> stringMap(List<StringEntry> entries) {
        Map<String, String> map = new LinkedHashMap<>();
        for (StringEntry e : entries) {
            map.put(e.getKey(), e.getValue());
        }
        return map;
    }

    // ------------------------------------------------------------------ streams for gRPC

    /**
     * All bytes of a received message in one array: read straight into an array of the announced size (gRPC's stream
     * knows its length), not gathered in pieces and joined.
     */
    private static byte[] readFully(InputStream in) throws IOException {
        byte[] head = new byte[Math.max(0, in.available())];
        int got = in.readNBytes(head, 0, head.length);
        byte[] rest = in.readAllBytes();
        if (got == head.length && rest.length == 0) {
            return head;
        }
        byte[] all = new byte[got + rest.length];
        System.arraycopy(head, 0, all, 0, got);
        System.arraycopy(rest, 0, all, got, rest.length);
        return all;
    }

    /**
     * A frame to send. gRPC asks its length ({@link KnownLength}) and drains it ({@link Drainable}): the message writes
     * itself into gRPC's buffers, with no byte array in between. Read as a plain stream, it is serialized on first use.
     */
    private static final class Encoded extends InputStream implements Drainable, KnownLength {
        private ResfimFederation.Frame message;
        private ByteArrayInputStream serialized;

        Encoded(ResfimFederation.Frame message) {
            this.message = message;
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            if (message != null) {
                int n = message.getSerializedSize();
                message.writeTo(target);
                message = null;
                return n;
            }
            return serialized == null ? 0 : (int) serialized.transferTo(target);
        }

        @Override
        public int available() {
            if (message != null) {
                return message.getSerializedSize();
            }
            return serialized == null ? 0 : serialized.available();
        }

        @Override
        public int read() {
            return bytes().read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            return bytes().read(b, off, len);
        }

        private ByteArrayInputStream bytes() {
            if (message != null) {
                serialized = new ByteArrayInputStream(message.toByteArray());
                message = null;
            }
            if (serialized == null) {
                serialized = new ByteArrayInputStream(new byte[0]);
            }
            return serialized;
        }
    }
}
