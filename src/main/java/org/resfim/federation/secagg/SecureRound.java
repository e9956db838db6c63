package org.resfim.federation.secagg;

import org.resfim.federation.Message;
import org.resfim.federation.ParticipantException;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.Transport;
import org.resfim.privacy.secagg.SecAgg;
import org.resfim.privacy.secagg.SecAggServer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The coordinator's driver of one secure-aggregation round over any transport: it sends each step to all its sites
 * through {@link Channel} (at once where the transport can), takes the answers in site order, and treats a site that
 * fails to answer as dropped at that step. Used by the
 * shared aggregation path ({@code MaskedAverageServer}) in simulation and deployment alike.
 */
public final class SecureRound {
    /** One exchange step with one site, or with several at once (the coordinator's transport). */
    public interface Channel {
        Message call(String site, Message request) throws ParticipantException;

        /** The step to every site of {@code requests} (in site order); the outcomes in the same order. This default calls them in turn. */
        default List<Transport.Outcome> callAll(Map<String, Message> requests) {
            List<Transport.Outcome> out = new ArrayList<>();
            for (Map.Entry<String, Message> e : requests.entrySet()) {
                try {
                    out.add(new Transport.Outcome(e.getKey(), new Reply(e.getKey(), Phase.SECAGG, 0, call(e.getKey(), e.getValue()), 0, null, null), null));
                } catch (ParticipantException x) {
                    out.add(new Transport.Outcome(e.getKey(), null, x));
                }
            }
            return out;
        }
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
        Map<String, Message> step = new LinkedHashMap<>();
        for (SecAgg.Keys k : d.sites()) {
            step.put(k.site(), share);
        }
        List<String> shared = new ArrayList<>();
        for (Transport.Outcome o : channel.callAll(step)) { // each step goes to its sites at once; answers taken in site order
            try {
                Message reply = answer(o);
                bytes += metaBytes(reply);
                server.route(o.site(), SecAggWire.shares(reply));
                shared.add(o.site());
            } catch (ParticipantException | RuntimeException e) {
                dropped.put(o.site(), "vanished while sharing its keys: " + e.getMessage());
            }
        }
        step.clear();
        for (String s : shared) {
            step.put(s, SecAggWire.maskRequest(server.inbox(s), d.sites().get(d.index(s)).shared().cardinality()));
        }
        for (Transport.Outcome o : channel.callAll(step)) {
            try {
                Message reply = answer(o);
                bytes += metaBytes(reply);
                server.receive(new SecAgg.Masked(o.site(), SecAggWire.masked(reply)));
            } catch (ParticipantException | RuntimeException e) {
                dropped.put(o.site(), "sent no usable masked vector (its pairwise masks are removed with its mask key, rebuilt from the shares): "
                        + e.getMessage());
            }
        }
        step.clear();
        for (String s : server.survivors()) {
            step.put(s, SecAggWire.unmaskRequest(server.unmaskRequest(s)));
        }
        List<SecAgg.Reveal> reveals = new ArrayList<>();
        for (Transport.Outcome o : channel.callAll(step)) {
            try {
                Message reply = answer(o);
                bytes += metaBytes(reply);
                reveals.add(SecAggWire.reveal(o.site(), reply));
            } catch (ParticipantException | RuntimeException e) {
                dropped.put(o.site(), "vanished after sending its masked vector (its self-mask is recovered from the shares): " + e.getMessage());
            }
        }
        return new Result(server.finish(reveals), dropped, bytes);
    }

    /** What a site's answer weighs: its metadata's characters and its sections' encoding. */
    private static Message answer(Transport.Outcome o) throws ParticipantException {
        if (o.failed()) {
            throw o.failure();
        }
        return o.reply().upload();
    }

    private static long metaBytes(Message m) {
        long n = m.sections().isEmpty() ? 0 : m.sections().encodedSize();
        for (Map.Entry<String, String> e : m.meta().entrySet()) {
            n += e.getKey().length() + e.getValue().length();
        }
        return n;
    }
}
