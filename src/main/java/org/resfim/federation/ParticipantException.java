package org.resfim.federation;

/**
 * A site could not answer: it vanished, timed out, sent something invalid, or its training failed
 * (e.g. a NaN loss). The coordinator skips the site for the round and keeps going.
 */
public class ParticipantException extends Exception {
    private final String site;
    private final boolean permanent;

    public ParticipantException(String site, String message, boolean permanent, Throwable cause) {
        super("site '" + site + "': " + message, cause);
        this.site = site;
        this.permanent = permanent;
    }

    public String site() {
        return site;
    }

    /** True when the site must not be asked again in this run (its training diverged). */
    public boolean permanent() {
        return permanent;
    }
}
