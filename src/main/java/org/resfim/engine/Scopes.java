package org.resfim.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * DJL attaches an operation's result to the manager of its first operand. When that operand is a
 * long-lived parameter, the result must be moved into the step's scope explicitly, or it would
 * live as long as the model: {@code Scopes.into(step, param.mul(x))}.
 */
final class Scopes {
    private Scopes() {
    }

    static NDArray into(NDManager scope, NDArray array) {
        array.attach(scope);
        return array;
    }
}
