package org.resfim.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SegmentationLossTest {

    /** Independent double-precision implementation of 0.5·BCE + 0.5·(1 − soft Dice). */
    static double handLoss(float[] z, float[] y, int n) {
        int per = z.length / n;
        double total = 0;
        for (int s = 0; s < n; s++) {
            double bce = 0;
            double inter = 0;
            double sp = 0;
            double sy = 0;
            for (int i = s * per; i < (s + 1) * per; i++) {
                double p = 1 / (1 + Math.exp(-z[i]));
                bce += -(y[i] * Math.log(p) + (1 - y[i]) * Math.log(1 - p));
                inter += p * y[i];
                sp += p;
                sy += y[i];
            }
            double dice = (2 * inter + 1e-6) / (sp + sy + 1e-6);
            total += 0.5 * bce / per + 0.5 * (1 - dice);
        }
        return total / n;
    }

    @Test
    void matchesHandComputationOnTwoImages() {
        float[] z = {0f, 2f, -1f, 3f, -4f, 0.5f, 1.5f, -0.25f};
        float[] y = {1f, 0f, 0f, 1f, 0f, 0f, 1f, 1f};
        try (NDManager m = Djl.engine().newBaseManager()) {
            NDArray logits = m.create(z, new Shape(2, 1, 2, 2));
            NDArray target = m.create(y, new Shape(2, 1, 2, 2));
            assertEquals(handLoss(z, y, 2), SegmentationLoss.loss(logits, target).getFloat(), 1e-6);
            float[] per = SegmentationLoss.perSample(logits, target).toFloatArray();
            assertEquals(handLoss(new float[] {0f, 2f, -1f, 3f}, new float[] {1f, 0f, 0f, 1f}, 1), per[0], 1e-6);
        }
    }

    @Test
    void emptyTruthAndEmptyPredictionGiveDiceTermNearOne() {
        // All-background truth, very negative logits: BCE ≈ 0, soft Dice = (0 + ε)/(≈0 + ε) ≈ 1 → loss ≈ 0.
        float[] z = {-30f, -30f, -30f, -30f};
        float[] y = {0f, 0f, 0f, 0f};
        try (NDManager m = Djl.engine().newBaseManager()) {
            float l = SegmentationLoss.loss(m.create(z, new Shape(1, 1, 2, 2)), m.create(y, new Shape(1, 1, 2, 2))).getFloat();
            assertEquals(handLoss(z, y, 1), l, 1e-5);
        }
    }

    @Test
    void largeLogitsStayFinite() {
        float[] z = {80f, -80f, 80f, -80f};
        float[] y = {0f, 1f, 1f, 0f};
        try (NDManager m = Djl.engine().newBaseManager()) {
            float l = SegmentationLoss.loss(m.create(z, new Shape(1, 1, 2, 2)), m.create(y, new Shape(1, 1, 2, 2))).getFloat();
            // BCE = (80 + 80 + 0 + 0)/4 = 40; p = (1,0,1,0), y = (0,1,1,0): Dice = 2·1/(2 + 2) = 0.5
            assertEquals(0.5 * 40 + 0.5 * (1 - 0.5), l, 1e-4);
        }
    }
}
