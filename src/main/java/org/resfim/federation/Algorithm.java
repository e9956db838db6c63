package org.resfim.federation;

import org.resfim.state.ModelState;

/** A federated algorithm: its site procedure and its server procedure, registered by name. */
public interface Algorithm {
    /** The method spec as written by the user, e.g. {@code pfl-resfim:rho=0.1}. */
    String spec();

    ClientProcedure newClient(String site);

    ServerProcedure newServer(ModelState initial);

    /**
     * The most a site's SETUP answer may carry with images of {@code channels × height × width}: nothing unless the
     * method shares something before round 1 (checked by the server before it decodes the answer).
     */
    default SetupBound setupBound(int channels, int height, int width) {
        return SetupBound.NONE;
    }
}
