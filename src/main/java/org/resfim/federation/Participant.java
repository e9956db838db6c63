package org.resfim.federation;

/** The site end of the federation: answers the coordinator's requests. */
public interface Participant {
    String name();

    Reply handle(Request request) throws ParticipantException;
}
