package org.resfim.state;

/**
 * What a tensor is in the network; algorithms select tensors by role (FedBN: norm tensors, FedPer: head, ...).
 * The ordinals are stored in RFIM files ({@link StateFile}): add new constants at the end only.
 */
public enum TensorRole {
    CONV_WEIGHT,
    CONV_BIAS,
    NORM_WEIGHT,
    NORM_BIAS,
    NORM_RUNNING_MEAN,
    NORM_RUNNING_VAR,
    HEAD_WEIGHT,
    HEAD_BIAS,
    /**
     * Not a network tensor: a site's low-frequency Fourier amplitude window [C, S, S] in a style bank
     * ({@code org.resfim.spectral.StyleBank}), carried by the same transport as model state.
     */
    STYLE_AMPLITUDE;

    /** True for tensors the optimizer updates (everything but running statistics and style amplitudes). */
    public boolean trainable() {
        return this != NORM_RUNNING_MEAN && this != NORM_RUNNING_VAR && this != STYLE_AMPLITUDE;
    }

    /** Any normalisation tensor: affine parameters and running statistics. */
    public boolean isNorm() {
        return this == NORM_WEIGHT || this == NORM_BIAS || this == NORM_RUNNING_MEAN || this == NORM_RUNNING_VAR;
    }

    public boolean isNormAffine() {
        return this == NORM_WEIGHT || this == NORM_BIAS;
    }

    public boolean isNormStatistic() {
        return this == NORM_RUNNING_MEAN || this == NORM_RUNNING_VAR;
    }

    public boolean isHead() {
        return this == HEAD_WEIGHT || this == HEAD_BIAS;
    }
}
