package org.resfim.transport;

import org.resfim.federation.ImageScore;

import java.util.List;
import java.util.Map;

/**
 * One message of a site session, as declared in {@code src/main/proto/resfim_federation.proto}
 * (message {@code Frame}, one record per branch of its {@code oneof}).
 */
public sealed interface Frame {

    /** Site → server, the first frame of a session. */
    record Hello(int protocolVersion, String site, String software, String planSha256) implements Frame {
    }

    /**
     * Server → site: the session is open. {@code progressMillis} > 0: while the site works on a call it sends a
     * {@link Progress} frame that often (the server's application-level liveness check); 0: it sends none.
     */
    record Welcome(int protocolVersion, String site, String software, String planSha256, long progressMillis) implements Frame {
        public Welcome(int protocolVersion, String site, String software, String planSha256) {
            this(protocolVersion, site, software, planSha256, 0);
        }
    }

    /** Either way: the session is refused and closes; {@code permanent} when retrying cannot help. */
    record Refusal(String reason, int protocolVersion, boolean permanent) implements Frame {
    }

    /** Server → site: a coordinator request; its payload follows as {@link Chunk}s. */
    record Call(long id, String phase, int round, String run, long seed, Map<String, String> meta, long stateBytes,
                long maskBytes, String dtype, long sectionBytes) implements Frame {
        public Call {
            meta = meta == null ? Map.of() : Map.copyOf(meta);
        }

        public Call(long id, String phase, int round, String run, long seed, Map<String, String> meta, long stateBytes, long maskBytes,
                    String dtype) {
            this(id, phase, round, run, seed, meta, stateBytes, maskBytes, dtype, 0);
        }
    }

    /** Site → server: the reply to the call with the same id; its payload follows as {@link Chunk}s. */
    record Answer(long id, String phase, int round, String site, long numSamples, Map<String, Double> stats,
                  List<ImageScore> scores, Map<String, String> meta, long stateBytes, long maskBytes, String dtype,
                  String error, boolean permanent, long sectionBytes) implements Frame {
        public Answer {
            stats = stats == null ? Map.of() : Map.copyOf(stats);
            scores = scores == null ? List.of() : List.copyOf(scores);
            meta = meta == null ? Map.of() : Map.copyOf(meta);
            error = error == null ? "" : error;
        }

        public Answer(long id, String phase, int round, String site, long numSamples, Map<String, Double> stats, List<ImageScore> scores,
                      Map<String, String> meta, long stateBytes, long maskBytes, String dtype, String error, boolean permanent) {
            this(id, phase, round, site, numSamples, stats, scores, meta, stateBytes, maskBytes, dtype, error, permanent, 0);
        }

        public boolean failed() {
            return !error.isEmpty();
        }
    }

    /** Part of a call's or an answer's payload: part 0 = state, 1 = mask, 2 = sections, at {@code offset}. */
    record Chunk(long id, int part, long offset, byte[] data) implements Frame {
    }

    /**
     * Site → server while its handler works on call {@code id}: the CPU time that handler's thread has used, in
     * milliseconds. A value that stops growing means the handler is stuck (blocked, waiting, asleep), though the
     * connection and its keepalive are fine.
     */
    record Progress(long id, long cpuMillis) implements Frame {
    }

    /** Server → site: something the site should know (why its upload was rejected, …). */
    record Notice(int round, String text) implements Frame {
    }

    /** Server → site: the federation is over. */
    record Bye(String reason) implements Frame {
    }
}
