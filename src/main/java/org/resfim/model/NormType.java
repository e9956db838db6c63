package org.resfim.model;

/** Normalisation layer used after each convolution of the U-Net. */
public enum NormType {
    /** BatchNorm with running statistics (the reference network). */
    BATCH,
    /** GroupNorm with {@link UNetConfig#groups()} groups, no running statistics. */
    GROUP,
    /** InstanceNorm (GroupNorm with one group per channel), affine, no running statistics. */
    INSTANCE,
    /** No normalisation. */
    NONE
}
