package org.resfim.federation;

/**
 * The most a site's SETUP answer may carry for a method, known from the configuration before any site answers
 * (pFL-ResFIM: its style bank of 1 or {@code style.m} windows of {@code [C, 2b+1, 2b+1]}); the server refuses a
 * larger one before decoding it.
 *
 * @param tensors  most tensors
 * @param elements most elements in all
 * @param side     the side {@code 2b+1} every window must have (0: no windows)
 */
public record SetupBound(int tensors, long elements, int side) {
    /** Nothing: the SETUP answer carries no tensors. */
    public static final SetupBound NONE = new SetupBound(0, 0, 0);

    public SetupBound {
        if (tensors < 0 || elements < 0 || side < 0) {
            throw new IllegalArgumentException("negative setup bound " + tensors + ", " + elements + ", " + side);
        }
    }

    /** Channels C of every window ({@code elements / (tensors · side²)}); 0 without windows. */
    public int channels() {
        return tensors == 0 || side == 0 ? 0 : (int) (elements / ((long) tensors * side * side));
    }

    /** Bytes of the largest encoding within this bound: floats, a checksum and a header (names ≤ 1 KiB) per tensor. */
    public long maxBytes() {
        return tensors == 0 ? 0 : 4 * elements + 2048L * tensors + 1024;
    }
}
