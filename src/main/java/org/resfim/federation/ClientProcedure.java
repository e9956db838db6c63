package org.resfim.federation;

import org.resfim.state.ModelState;

import java.util.Map;

/**
 * An algorithm's site side: what to do with what the server sent, how to train, what to upload. One
 * instance per site; it keeps the site's persistent state (personal model, optimizer moments, masks)
 * engine-free between rounds.
 */
public interface ClientProcedure {

    /**
     * Before round 1: every site starts from the same {@code initial} model. May return a setup upload
     * (pFL-ResFIM's style windows) or {@code null}.
     */
    Message setup(ClientContext ctx, ModelState initial);

    /** Local training in {@code round}; {@code fromServer} holds setup data forwarded by the server (may be empty). */
    Message fit(ClientContext ctx, int round, Message fromServer);

    /** The server's aggregate after {@code round}: compose the personalized model from it. */
    void receive(ClientContext ctx, int round, Message aggregate);

    /** The site's current personalized model (what is evaluated). */
    ModelState model();

    /** Statistics of the last fit (time split, sensitive fractions, …); may be empty. */
    default Map<String, Double> stats() {
        return Map.of();
    }

    ProcedureState save();

    void restore(ProcedureState state);
}
