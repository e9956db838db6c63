package org.resfim.federation;

import org.resfim.state.ModelState;

/** Where a site keeps its state after each round, so a crash or restart loses nothing. */
public interface SiteStore {
    void save(String site, int round, ProcedureState state);

    /** The state saved after {@code round}; fails naming the site and round when it is missing. */
    ProcedureState load(String site, int round);

    /** Keeps {@code model} as the site's selected personal model (best validation round so far). */
    void saveBest(String site, int round, double valDice, ModelState model);
}
