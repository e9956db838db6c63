package org.resfim.model;

/**
 * How a new U-Net's convolution weights and biases are drawn (normalisation weights are 1, biases 0 either way).
 * The scale matters even with BatchNorm after every convolution: Adam moves every weight by about the learning
 * rate per step whatever its size, so smaller initial weights change relatively faster.
 */
public enum WeightInit implements org.resfim.config.Spelled {
    /** Kaiming normal, mode fan_out, ReLU gain: std = √(2 / (C_out·k²)); biases 0 (torchvision's segmentation models). */
    KAIMING_FAN_OUT("kaiming-fan-out"),
    /**
     * PyTorch's own {@code Conv2d} initialisation: weights U(−b, b) with b = 1/√(C_in·k²) (Kaiming uniform with
     * a = √5), biases U(−b, b) with the same b.
     */
    TORCH_DEFAULT("torch-default");

    private final String key;

    WeightInit(String key) {
        this.key = key;
    }

    @Override
    public String key() {
        return key;
    }

    public static WeightInit parse(String s) {
        return org.resfim.config.Spelled.parse(WeightInit.class, "model.init", s);
    }
}
