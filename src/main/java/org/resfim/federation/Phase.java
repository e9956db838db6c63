package org.resfim.federation;

/** The three calls a coordinator makes on a site, as in Flower's round lifecycle. */
public enum Phase {
    /** Before round 1: the site receives the common initial model and may upload setup data (a style bank). */
    SETUP,
    /** Local training; the site uploads what its algorithm shares. */
    FIT,
    /** The site receives the aggregate, composes its personalized model and evaluates it on val and test. */
    EVALUATE,
    /**
     * Under {@code privacy.secagg}, between FIT and the aggregation: one step of secure aggregation (share keys, send
     * the masked vector, reveal shares); the request's metadata names the step ({@code org.resfim.privacy.secagg}).
     */
    SECAGG
}
