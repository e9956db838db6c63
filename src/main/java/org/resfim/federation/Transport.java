package org.resfim.federation;

import java.util.List;

/**
 * How the coordinator reaches the sites. The in-process transport calls {@link Participant}s directly,
 * one after another; a network transport sends the same {@link Request}s to remote site processes.
 */
public interface Transport extends AutoCloseable {
    /** Names of the sites of this federation, in a fixed order. */
    List<String> sites();

    Reply call(String site, Request request) throws ParticipantException;

    @Override
    default void close() {
    }
}
