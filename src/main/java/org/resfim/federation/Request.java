package org.resfim.federation;

/** A coordinator's call on one site. */
public record Request(Phase phase, int round, Message message) {
}
