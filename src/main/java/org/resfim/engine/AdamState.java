package org.resfim.engine;

import org.resfim.state.ModelState;

/**
 * Engine-free Adam moments of one client, kept across rounds (METHOD.md: each client keeps its
 * optimizer state) while the model itself is out of native memory. {@code step} counts updates.
 */
public record AdamState(ModelState firstMoment, ModelState secondMoment, long step) {
}
