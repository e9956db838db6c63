package org.resfim.fisher;

import java.util.Random;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

/** A U-Net-sized layout (about 4 M elements, 16-32-64-128-256: a little larger than the real U-Net's 3.2 M) filled with Fisher-like random scores. */
final class UNetLayout {
    private UNetLayout() {
    }

    static ModelState unetLike(long seed) {
        Random r = new Random(seed);
        ModelState s = new ModelState();
        int[] ch = {16, 32, 64, 128, 256};
        int in = 3;
        for (int st = 0; st < ch.length; st++) {
            int out = ch[st];
            for (int k = 1; k <= 3; k++) {
                conv(s, r, "enc" + (st + 1) + ".conv" + k, k == 1 ? in : out, out, 3, NetworkPart.ENCODER);
            }
            in = out;
        }
        for (int st = ch.length - 1; st >= 1; st--) {
            int p = ch[st];
            conv(s, r, "dec" + st + ".conv1", 2 * p, p, 3, NetworkPart.DECODER);
            conv(s, r, "dec" + st + ".up", p, p / 2, 1, NetworkPart.DECODER);
            conv(s, r, "dec" + st + ".conv2", p, p / 2, 3, NetworkPart.DECODER);
        }
        s.put(new Tensor("head.weight", TensorRole.HEAD_WEIGHT, NetworkPart.HEAD, new int[] {1, 16, 1, 1}, fill(r, 16)));
        s.put(new Tensor("head.bias", TensorRole.HEAD_BIAS, NetworkPart.HEAD, new int[] {1}, fill(r, 1)));
        return s;
    }

    private static void conv(ModelState s, Random r, String name, int in, int out, int k, NetworkPart part) {
        s.put(new Tensor(name + ".weight", TensorRole.CONV_WEIGHT, part, new int[] {out, in, k, k}, fill(r, out * in * k * k)));
        s.put(new Tensor(name + ".bn.weight", TensorRole.NORM_WEIGHT, part, new int[] {out}, fill(r, out)));
        s.put(new Tensor(name + ".bn.bias", TensorRole.NORM_BIAS, part, new int[] {out}, fill(r, out)));
        s.put(new Tensor(name + ".bn.running_mean", TensorRole.NORM_RUNNING_MEAN, part, new int[] {out}, new float[out]));
        s.put(new Tensor(name + ".bn.running_var", TensorRole.NORM_RUNNING_VAR, part, new int[] {out}, new float[out]));
    }

    /** Squared Gaussians times a log-uniform scale, with one in ten exactly 0 (dead units: many ties). */
    private static float[] fill(Random r, int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            double g = r.nextGaussian();
            d[i] = r.nextInt(10) == 0 ? 0f : (float) (g * g * Math.pow(10, -8 + 4 * r.nextDouble()));
        }
        return d;
    }
}
