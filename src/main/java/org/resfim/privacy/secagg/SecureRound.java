package org.resfim.privacy.secagg;

import org.resfim.federation.Message;
import org.resfim.federation.ParticipantException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The coordinator's driver of one secure-aggregation round over any transport: it asks every site through
 * {@link Channel} for each step in turn and treats a site that fails to answer as dropped at that step. Used by the
 * shared aggregation path ({@code SharedModelServer}) in simulation and deployment alike.
 */
public final class SecureRound {
    /** One exchange step with one site (the coordinator's transport). */
    public interface Channel {
        Message call(String site, Message request) throws ParticipantException;
    }

    /**
     * @param sum     the per-element sums and weight sums
     * @param dropped site → the step at which it vanished
     * @param bytes   bytes of secure-aggregation payload received from the sites (masked vectors, shares, reveals: their
     *                sections' encoding and metadata)
     */
    public record Result(SecAgg.Sum sum, Map<String, String> dropped, long bytes) {
    }

    private SecureRound() {
    }

    /** Runs the steps share → mask → unmask for the sites of {@code keys}; throws {@link SecAggException} when the round cannot complete. */
    public static Result run(int round, SecAggWire.Layout layout, List<SecAgg.Keys> keys, int threshold, Channel channel) {
        SecAggServer server = new SecAggServer(round, layout.length(), threshold);
        SecAgg.Directory d = server.directory(keys);
        Map<String, String> dropped = new LinkedHashMap<>();
        long bytes = 0;
        Message share = SecAggWire.shareRequest(d, layout);
        List<String> shared = new ArrayList<>();
        for (SecAgg.Keys k : d.sites()) {
            try {
                Message reply = channel.call(k.site(), share);
                bytes += metaBytes(reply);
                server.route(k.site(), SecAggWire.shares(reply));
                shared.add(k.site());
            } catch (ParticipantException | RuntimeException e) {
                dropped.put(k.site(), "vanished while sharing its keys: " + e.getMessage());
            }
        }
        for (String s : shared) {
            try {
                Message reply = channel.call(s, SecAggWire.maskRequest(server.inbox(s), d.sites().get(d.index(s)).shared().cardinality()));
                bytes += metaBytes(reply);
                server.receive(new SecAgg.Masked(s, SecAggWire.masked(reply)));
            } catch (ParticipantException | RuntimeException e) {
                dropped.put(s, "sent no usable masked vector (its pairwise masks are removed with its mask key, rebuilt from the shares): " + e.getMessage());
            }
        }
        List<SecAgg.Reveal> reveals = new ArrayList<>();
        for (String s : server.survivors()) {
            SecAgg.UnmaskRequest req = server.unmaskRequest(s);
            try {
                Message reply = channel.call(s, SecAggWire.unmaskRequest(req));
                bytes += metaBytes(reply);
                reveals.add(SecAggWire.reveal(s, reply));
            } catch (ParticipantException | RuntimeException e) {
                dropped.put(s, "vanished after sending its masked vector (its self-mask is recovered from the shares): " + e.getMessage());
            }
        }
        return new Result(server.finish(reveals), dropped, bytes);
    }

    /** What a site's answer weighs: its metadata's characters and its sections' encoding. */
    private static long metaBytes(Message m) {
        long n = m.sections().isEmpty() ? 0 : m.sections().encodedSize();
        for (Map.Entry<String, String> e : m.meta().entrySet()) {
            n += e.getKey().length() + e.getValue().length();
        }
        return n;
    }
}
