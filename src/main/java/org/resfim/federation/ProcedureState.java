package org.resfim.federation;

import java.util.LinkedHashMap;
import java.util.Map;

import org.resfim.state.ModelState;

/**
 * What an algorithm's site or server side must keep across rounds, engine-free, so it can be written to
 * a checkpoint and restored after a crash: named model states plus string metadata.
 */
public record ProcedureState(Map<String, ModelState> states, Map<String, String> meta) {
    public ProcedureState {
        states = new LinkedHashMap<>(states);
        meta = new LinkedHashMap<>(meta);
    }

    public static ProcedureState empty() {
        return new ProcedureState(Map.of(), Map.of());
    }
}
