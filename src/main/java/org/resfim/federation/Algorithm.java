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

    /**
     * A setting given away from its default that this configuration of the method would never read (so that it
     * would change nothing), said as one sentence; null when every setting is read. A run refuses such a method
     * rather than ignore what the user asked for; a method section of the file alone is not held to it (a later
     * {@code --methods} spec can make the setting count).
     */
    default String unreadSetting() {
        return null;
    }
}
