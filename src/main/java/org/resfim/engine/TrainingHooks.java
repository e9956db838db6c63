package org.resfim.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * What an algorithm may add to the one local-training loop: an extra differentiable loss term, tensors
 * frozen for a phase, and a callback after every optimizer step. Hooks compose with {@link #and}.
 */
public interface TrainingHooks {
    TrainingHooks NONE = new TrainingHooks() {
    };

    /**
     * An extra scalar loss term added to the batch loss, or {@code null}. Arrays it creates from
     * parameters must be moved into {@code step} (see {@code Scopes}); the step frees them.
     */
    default NDArray extraLoss(UNet net, NDManager step) {
        return null;
    }

    /** True when the named tensor must not be updated in this phase. */
    default boolean frozen(String tensorName) {
        return false;
    }

    /** Called after each optimizer step with the step index (from 0) and the batch loss. */
    default void afterStep(int step, double loss) {
    }

    default TrainingHooks and(TrainingHooks other) {
        TrainingHooks self = this;
        return new TrainingHooks() {
            @Override
            public NDArray extraLoss(UNet net, NDManager step) {
                NDArray a = self.extraLoss(net, step);
                NDArray b = other.extraLoss(net, step);
                if (a == null) {
                    return b;
                }
                return b == null ? a : a.add(b);
            }

            @Override
            public boolean frozen(String tensorName) {
                return self.frozen(tensorName) || other.frozen(tensorName);
            }

            @Override
            public void afterStep(int step, double loss) {
                self.afterStep(step, loss);
                other.afterStep(step, loss);
            }
        };
    }

    /** Freezes every tensor whose name matches the predicate. */
    static TrainingHooks freeze(java.util.function.Predicate<String> names) {
        return new TrainingHooks() {
            @Override
            public boolean frozen(String tensorName) {
                return names.test(tensorName);
            }
        };
    }
}
