package org.resfim.transport;

import io.grpc.MethodDescriptor;

/**
 * The federation protocol: one bidirectional gRPC stream per site ({@code resfim.v1.Federation/Session}),
 * frames as in {@code src/main/proto/resfim_federation.proto}, payloads in chunks of {@link #CHUNK_BYTES}.
 */
public final class Protocol {
    /**
     * Version of the frames and their meaning; a peer with another version is refused, naming both. 2: the SECAGG phase
     * and the sections part (2) of a payload (privacy.secagg). 3: Progress frames (application-level liveness) and
     * Welcome's progress interval.
     */
    public static final int VERSION = 3;
    public static final String SERVICE = "resfim.v1.Federation";
    public static final String DTYPE = "float32";
    /** Payload bytes per chunk frame: far below gRPC's default 4 MiB message limit. */
    public static final int CHUNK_BYTES = 1 << 20;
    /** Largest frame either end accepts (a chunk plus its header, or a header with many scores). */
    public static final int MAX_FRAME_BYTES = 4 << 20;
    /** HTTP/2 flow-control window per stream: several chunks in flight, not one round trip per chunk. */
    public static final int FLOW_WINDOW_BYTES = 8 << 20;

    public static final MethodDescriptor<Frame, Frame> SESSION = MethodDescriptor.<Frame, Frame>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Session"))
            .setRequestMarshaller(FrameCodec.INSTANCE)
            .setResponseMarshaller(FrameCodec.INSTANCE)
            .build();

    private Protocol() {
    }

    /** The refusal text for a peer speaking {@code theirs}. */
    static String versionMismatch(String who, int theirs) {
        return who + " speaks protocol version " + theirs + ", this end speaks protocol version " + VERSION
                + "; run the same resfim release at the server and every site";
    }
}
