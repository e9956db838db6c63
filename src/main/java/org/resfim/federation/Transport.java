package org.resfim.federation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How the coordinator reaches the sites. The in-process transport calls {@link Participant}s directly,
 * one after another; a network transport sends the same {@link Request}s to remote site processes, all
 * sites of a phase at once ({@link #callAll}).
 */
public interface Transport extends AutoCloseable {
    /** One site's outcome of a phase: its reply, or why it failed (then {@code reply} is null). */
    record Outcome(String site, Reply reply, ParticipantException failure) {
        public boolean failed() {
            return failure != null;
        }
    }

    /** Names of the sites of this federation, in a fixed order. */
    List<String> sites();

    Reply call(String site, Request request) throws ParticipantException;

    /**
     * Makes every call of one phase ({@code calls}: site → request, in site order) and returns each site's outcome in
     * the same order, whatever order they finished in, so that what the coordinator does with them does not depend
     * on timing. This default calls one site after another; a network transport calls all at once.
     */
    default List<Outcome> callAll(Map<String, Request> calls) {
        List<Outcome> out = new ArrayList<>(calls.size());
        for (Map.Entry<String, Request> c : calls.entrySet()) {
            try {
                out.add(new Outcome(c.getKey(), call(c.getKey(), c.getValue()), null));
            } catch (ParticipantException e) {
                out.add(new Outcome(c.getKey(), null, e));
            }
        }
        return out;
    }

    @Override
    default void close() {
    }
}
