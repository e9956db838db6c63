package org.resfim.federation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the sites in this JVM, one call at a time, so at most one site's model is in native memory.
 * Any exception from a site becomes a {@link ParticipantException} naming it.
 */
public final class InProcessTransport implements Transport {
    private final Map<String, Participant> participants = new LinkedHashMap<>();

    public InProcessTransport(List<? extends Participant> sites) {
        for (Participant p : sites) {
            if (participants.put(p.name(), p) != null) {
                throw new IllegalArgumentException("two sites named '" + p.name() + "'");
            }
        }
    }

    @Override
    public List<String> sites() {
        return new ArrayList<>(participants.keySet());
    }

    @Override
    public Reply call(String site, Request request) throws ParticipantException {
        Participant p = participants.get(site);
        if (p == null) {
            throw new ParticipantException(site, "no such site", true, null);
        }
        try {
            return p.handle(request);
        } catch (ParticipantException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ParticipantException(site, String.valueOf(e.getMessage()), false, e);
        }
    }
}
