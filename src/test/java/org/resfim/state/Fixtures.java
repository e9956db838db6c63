package org.resfim.state;

import java.util.Random;

/** Small hand-made and random states for the state tests. */
final class Fixtures {
    private Fixtures() {
    }

    static Tensor tensor(String name, int[] shape, float... values) {
        return new Tensor(name, TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, shape, values);
    }

    /** Two tensors: "w" shape [2,2] and "b" shape [3]. */
    static ModelState wb(float[] w, float[] b) {
        ModelState s = new ModelState();
        s.put(new Tensor("w", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {2, 2}, w));
        s.put(new Tensor("b", TensorRole.CONV_BIAS, NetworkPart.DECODER, new int[] {3}, b));
        return s;
    }

    /** A U-Net-like layout with random finite values, including awkward ones. */
    static ModelState random(long seed) {
        Random r = new Random(seed);
        ModelState s = new ModelState();
        s.put(fill(r, new Tensor("enc1.conv1.weight", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER,
                new int[] {4, 3, 3, 3}, new float[108])));
        s.put(fill(r, new Tensor("enc1.bn1.weight", TensorRole.NORM_WEIGHT, NetworkPart.ENCODER, new int[] {4}, new float[4])));
        s.put(fill(r, new Tensor("enc1.bn1.running_var", TensorRole.NORM_RUNNING_VAR, NetworkPart.ENCODER,
                new int[] {4}, new float[4])));
        s.put(fill(r, new Tensor("dec1.conv.weight", TensorRole.CONV_WEIGHT, NetworkPart.DECODER,
                new int[] {2, 4, 1, 1}, new float[8])));
        s.put(fill(r, new Tensor("head.bias", TensorRole.HEAD_BIAS, NetworkPart.HEAD, new int[] {1}, new float[1])));
        s.put(new Tensor("scalar", TensorRole.HEAD_WEIGHT, NetworkPart.HEAD, new int[0], new float[] {1.5f}));
        s.put(new Tensor("empty", TensorRole.CONV_BIAS, NetworkPart.DECODER, new int[] {0}, new float[0]));
        return s;
    }

    private static Tensor fill(Random r, Tensor t) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = switch (i % 7) {
                case 0 -> -0.0f;
                case 1 -> Float.MIN_VALUE;
                case 2 -> (float) r.nextGaussian() * 1e30f;
                default -> (float) r.nextGaussian();
            };
        }
        return t;
    }

    static void assertBitIdentical(ModelState expected, ModelState actual) {
        org.junit.jupiter.api.Assertions.assertEquals(expected.names(), actual.names());
        for (Tensor e : expected.tensors()) {
            Tensor a = actual.get(e.name());
            org.junit.jupiter.api.Assertions.assertArrayEquals(e.shape(), a.shape(), e.name());
            org.junit.jupiter.api.Assertions.assertEquals(e.role(), a.role(), e.name());
            org.junit.jupiter.api.Assertions.assertEquals(e.part(), a.part(), e.name());
            for (int i = 0; i < e.size(); i++) {
                org.junit.jupiter.api.Assertions.assertEquals(Float.floatToRawIntBits(e.data()[i]),
                        Float.floatToRawIntBits(a.data()[i]), e.name() + "[" + i + "]");
            }
        }
    }
}
