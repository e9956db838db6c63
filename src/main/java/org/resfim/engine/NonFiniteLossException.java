package org.resfim.engine;

/** The training loss became NaN or infinite; the weights were not updated with that step. */
public final class NonFiniteLossException extends RuntimeException {
    private final int step;

    public NonFiniteLossException(int step, double loss) {
        super("training loss became " + loss + " at local step " + step + "; stopped before updating the weights"
                + " (lower the learning rate or check the inputs for NaN)");
        this.step = step;
    }

    public int step() {
        return step;
    }
}
