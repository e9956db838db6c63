package org.resfim.model;

import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The reference 2-D U-Net of METHOD.md described without a deep-learning engine: its convolutions in execution
 * order, every tensor's name, role, network part and shape, and the initial values a seed draws under each
 * {@link WeightInit} rule. The engine's network ({@code engine.UNet}) is built from {@link #initialState}, so a
 * coordinator that starts a federation from here starts it from the very weights (bit for bit) a site's network
 * would have drawn, without loading libtorch.
 *
 * <p>Tensor names follow the PyTorch module names of the peer benchmark ({@code d.0.c1.weight},
 * {@code d.0.b1.running_mean}, {@code u.0.c2.weight}, {@code head.bias}).
 */
public final class UNetArchitecture {
    private UNetArchitecture() {
    }

    /** One convolution of the network and the resolution it runs at for a given input size. */
    public record ConvLayer(String name, int in, int out, int kernel, int height, int width) {
        /** Multiply-accumulates of one image through this layer: C_in·C_out·k²·H·W (stride 1, same padding). */
        public long macs() {
            return (long) in * out * kernel * kernel * height * width;
        }
    }

    /**
     * Every convolution of one forward pass of a {@code height × width} image, in execution order, with the
     * resolution it runs at: the layers {@link #initialState} creates, at the levels the engine's forward pass
     * runs them.
     */
    public static List<ConvLayer> convolutions(UNetConfig config, int height, int width) {
        int depth = config.depth();
        List<ConvLayer> layers = new ArrayList<>();
        int cin = config.inChannels();
        for (int i = 0; i < depth; i++) {
            int c = config.channels(i);
            int h = height >> i;
            int w = width >> i;
            layers.add(new ConvLayer("d." + i + ".c1", cin, c, 3, h, w));
            layers.add(new ConvLayer("d." + i + ".c2", c, c, 3, h, w));
            layers.add(new ConvLayer("d." + i + ".c3", c, c, 3, h, w));
            cin = c;
        }
        for (int j = 0; j < depth - 1; j++) {
            int c = config.channels(depth - 1 - j);
            int level = depth - 1 - j; // resolution of y before upsampling
            if (j > 0) {
                layers.add(new ConvLayer("u." + j + ".c1", 2 * c, c, 3, height >> level, width >> level));
            }
            layers.add(new ConvLayer("u." + j + ".c2", c, c / 2, 1, height >> (level - 1), width >> (level - 1)));
            layers.add(new ConvLayer("u." + j + ".c3", c, c, 3, height >> (level - 1), width >> (level - 1)));
        }
        layers.add(new ConvLayer("head", config.channels(1), config.classes(), 1, height, width));
        return layers;
    }

    /**
     * Multiply-accumulates of every convolution in one forward pass of one image (Σ over {@link #convolutions}).
     * Normalisation, activations, pooling and upsampling are not counted (memory-bound, a few percent of
     * the time). The benchmark turns it into GFLOP/s.
     */
    public static long convolutionMacs(UNetConfig config, int height, int width) {
        return convolutions(config, height, width).stream().mapToLong(ConvLayer::macs).sum();
    }

    /**
     * Multiply-accumulates of the first convolution alone: its input needs no gradient, so a backward pass
     * computes two convolution-sized products for every layer but this one.
     */
    public static long inputConvolutionMacs(UNetConfig config, int height, int width) {
        return convolutions(config, height, width).get(0).macs();
    }

    /** Every tensor (names, roles, parts, shapes) in network order, all zero: the layout states are validated against. */
    public static ModelState layout(UNetConfig config) {
        ModelState s = new ModelState();
        for (Tensor t : initialState(config, 0L, WeightInit.KAIMING_FAN_OUT).tensors()) {
            s.put(new Tensor(t.name(), t.role(), t.part(), t.shape(), new float[t.data().length]));
        }
        return s;
    }

    /**
     * The network's initial state: convolution weights and biases drawn by {@code init} from one
     * {@link SplittableRandom} seeded with {@code seed}, layer by layer in {@link #convolutions} order (weights, then
     * biases); every normalisation after its convolution with weight 1, bias 0 (BatchNorm: running mean 0,
     * running variance 1); the 1×1 head last.
     */
    public static ModelState initialState(UNetConfig config, long seed, WeightInit init) {
        SplittableRandom rng = new SplittableRandom(seed);
        ModelState s = new ModelState();
        int m = config.sizeMultiple(); // the resolutions do not matter here, only the layers
        for (ConvLayer l : convolutions(config, m, m)) {
            if (l.name().equals("head")) {
                float[] w = weights(init, l.out(), l.in(), 1, rng);
                s.put(new Tensor("head.weight", TensorRole.HEAD_WEIGHT, NetworkPart.HEAD, new int[] {l.out(), l.in(), 1, 1}, w));
                s.put(new Tensor("head.bias", TensorRole.HEAD_BIAS, NetworkPart.HEAD, new int[] {l.out()}, biases(init, l.out(), l.in(), 1, rng)));
                continue;
            }
            NetworkPart part = l.name().startsWith("d.") ? NetworkPart.ENCODER : NetworkPart.DECODER;
            int cin = l.in();
            int cout = l.out();
            int k = l.kernel();
            float[] w = weights(init, cout, cin, k, rng);
            s.put(new Tensor(l.name() + ".weight", TensorRole.CONV_WEIGHT, part, new int[] {cout, cin, k, k}, w));
            s.put(new Tensor(l.name() + ".bias", TensorRole.CONV_BIAS, part, new int[] {cout}, biases(init, cout, cin, k, rng)));
            int dot = l.name().lastIndexOf(".c");
            norm(s, config.norm(), l.name().substring(0, dot) + ".b" + l.name().substring(dot + 2), cout, part);
        }
        return s;
    }

    private static void norm(ModelState s, NormType norm, String name, int c, NetworkPart part) {
        if (norm == NormType.NONE) {
            return;
        }
        float[] ones = new float[c];
        Arrays.fill(ones, 1f);
        s.put(new Tensor(name + ".weight", TensorRole.NORM_WEIGHT, part, new int[] {c}, ones));
        s.put(new Tensor(name + ".bias", TensorRole.NORM_BIAS, part, new int[] {c}, new float[c]));
        if (norm == NormType.BATCH) {
            s.put(new Tensor(name + ".running_mean", TensorRole.NORM_RUNNING_MEAN, part, new int[] {c}, new float[c]));
            s.put(new Tensor(name + ".running_var", TensorRole.NORM_RUNNING_VAR, part, new int[] {c}, ones.clone()));
        }
    }

    private static float[] weights(WeightInit init, int cout, int cin, int k, SplittableRandom rng) {
        return init == WeightInit.KAIMING_FAN_OUT ? kaiming(cout, cin, k, rng) : uniform(cout * cin * k * k, 1.0 / Math.sqrt(cin * k * k), rng);
    }

    private static float[] biases(WeightInit init, int cout, int cin, int k, SplittableRandom rng) {
        return init == WeightInit.KAIMING_FAN_OUT ? new float[cout] : uniform(cout, 1.0 / Math.sqrt(cin * k * k), rng);
    }

    /** U(−bound, bound). */
    private static float[] uniform(int n, double bound, SplittableRandom rng) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) ((2 * rng.nextDouble() - 1) * bound);
        }
        return w;
    }

    /** Kaiming normal, mode fan_out, ReLU gain: std = sqrt(2 / (cout·k·k)). */
    private static float[] kaiming(int cout, int cin, int k, SplittableRandom rng) {
        double std = Math.sqrt(2.0 / (cout * k * k));
        float[] w = new float[cout * cin * k * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (gaussian(rng) * std);
        }
        return w;
    }

    /** Box-Muller: deterministic across JVMs (java.util.Random#nextGaussian is too, but keep it local). */
    static double gaussian(SplittableRandom rng) {
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
