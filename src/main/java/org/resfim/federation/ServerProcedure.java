package org.resfim.federation;

import java.util.List;
import java.util.Map;

/** An algorithm's server side: combines uploads and decides what each site gets back. Engine-free. */
public interface ServerProcedure {

    /** Combines the SETUP uploads (e.g. a style bank) into what every FIT request carries; empty by default. */
    default Message setup(List<Reply> replies) {
        return Message.empty();
    }

    /**
     * Combines the uploads of {@code round} (only the sites that trained) and returns the message each of
     * {@code sites} receives for evaluation and for the next round.
     */
    Map<String, Message> aggregate(int round, List<Reply> uploads, List<String> sites);

    /** Uploads of the last aggregation that were refused, site → reason (reported by the coordinator). */
    default Map<String, String> lastRejections() {
        return Map.of();
    }

    ClientState save();

    void restore(ClientState state);
}
