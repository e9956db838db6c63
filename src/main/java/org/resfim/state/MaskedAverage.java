package org.resfim.state;

import java.util.Objects;

/**
 * Result of {@link StateOps#maskedAverage}: the aggregated model and the elements no client shared.
 *
 * @param global   the aggregated state; elements in {@code unshared} are copied from the fallback
 * @param unshared bit = 1 where no client (with positive weight) marked the element invariant,
 *                 i.e. the element stays personal everywhere
 */
public record MaskedAverage(ModelState global, Mask unshared) {
    public MaskedAverage {
        Objects.requireNonNull(global, "global");
        Objects.requireNonNull(unshared, "unshared");
    }
}
