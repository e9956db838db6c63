package org.resfim.bench;

import org.junit.jupiter.api.Test;
import org.resfim.model.UNetConfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainBenchmarkTest {
    /**
     * The nominal FLOPs behind the %peak column, by hand for the reference U-Net at 128×128: 1,324,613,632
     * forward multiply-accumulates (see UNetTest); backward adds data and weight gradients of the same size,
     * except the input layer's data gradient (3·16·9·128² = 7,077,888 MACs).
     */
    @Test
    void flopsPerImageCountForwardOnceAndBackwardTwiceLessTheInputGradient() {
        UNetConfig ref = UNetConfig.reference();
        assertEquals(2.0 * 1_324_613_632L, TrainBenchmark.flopsPerImage(ref, "inference", 128));
        double backward = 2.0 * (3 * 1_324_613_632L - 7_077_888L);
        assertEquals(backward, TrainBenchmark.flopsPerImage(ref, "training", 128));
        assertEquals(backward, TrainBenchmark.flopsPerImage(ref, "fisher", 128));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainBenchmark.flopsPerImage(ref, "trainig", 128));
        assertTrue(e.getMessage().contains("'trainig'") && e.getMessage().contains("training"), e.getMessage());
    }
}
