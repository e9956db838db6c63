package org.resfim.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import org.resfim.model.NormType;
import org.resfim.model.UNetArchitecture;
import org.resfim.model.UNetConfig;
import org.resfim.model.WeightInit;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference 2-D U-Net of METHOD.md written as a functional network over named native
 * parameter arrays. Tensor names follow the PyTorch module names of the peer benchmark
 * ({@code d.0.c1.weight}, {@code d.0.b1.running_mean}, {@code u.0.c2.weight}, {@code head.bias}),
 * so a state converts both ways without a name table.
 *
 * <p>All parameters live in one {@link NDManager} owned by this object; {@link #close()} frees them.
 * {@link #forward} creates its intermediates in the manager of its input, so a caller that builds
 * the input in a per-step sub-manager frees every intermediate at the end of the step.
 */
public final class UNet implements AutoCloseable {
    static final double BN_MOMENTUM = 0.1; // PyTorch convention
    static final double NORM_EPS = 1e-5;
    private static final Shape ONE = new Shape(1, 1);
    private static final Shape ZERO = new Shape(0, 0);
    private static final Shape PAD1 = new Shape(1, 1);
    private static final Shape POOL = new Shape(2, 2);

    private final UNetConfig config;
    private final NDManager manager;
    /** ε of the normalisations as a native constant, made once (see NativeArrays.scalar). */
    private final NDArray normEps;
    private final LinkedHashMap<String, Param> params = new LinkedHashMap<>();
    /** Bumped whenever a parameter or running statistic may have changed; keys the folded-weight cache. */
    private long generation;
    private long foldedAt = -1;
    private NDManager foldScope;
    private final Map<String, PtNDArray[]> folded = new java.util.HashMap<>();

    /** One named native tensor and its meaning. */
    public record Param(String name, TensorRole role, NetworkPart part, int[] shape, PtNDArray array) {
        public boolean trainable() {
            return role.trainable();
        }
    }

    /** Builds the network with Kaiming-normal (fan-out) weights from {@code seed}; conv biases 0, norm weight 1, bias 0. */
    public UNet(UNetConfig config, long seed) {
        this(config, seed, WeightInit.KAIMING_FAN_OUT);
    }

    /**
     * Builds the network with weights drawn by {@code init} from {@code seed}; norm weight 1, bias 0: exactly the
     * engine-free {@link UNetArchitecture#initialState} (the coordinator's initial model), copied into native arrays.
     */
    public UNet(UNetConfig config, long seed, WeightInit init) {
        this(config);
        for (Tensor t : UNetArchitecture.initialState(config, seed, init).tensors()) {
            add(t.name(), t.role(), t.part(), t.shape(), t.data());
        }
    }

    private UNet(UNetConfig config) {
        this.config = config;
        this.manager = Djl.engine().newBaseManager(Djl.device()); // every tensor of the network, its inputs and intermediates: here
        this.normEps = NativeArrays.scalar(manager, (float) NORM_EPS);
    }

    /** A network holding exactly the given state (names and shapes must match the configuration). */
    public static UNet fromState(UNetConfig config, ModelState state) {
        UNet net = new UNet(config, 0L);
        net.load(state);
        return net;
    }

    public UNetConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    // ------------------------------------------------------------------ construction

    private void add(String name, TensorRole role, NetworkPart part, int[] shape, float[] data) {
        PtNDArray a = NativeArrays.copyOf(manager, data, toShape(shape));
        a.setName(name);
        if (role.trainable()) {
            a.setRequiresGradient(true);
        }
        params.put(name, new Param(name, role, part, shape, a));
    }

    static Shape toShape(int[] shape) {
        long[] s = new long[shape.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = shape[i];
        }
        return new Shape(s);
    }

    // ------------------------------------------------------------------ parameters and state

    public List<Param> params() {
        return new ArrayList<>(params.values());
    }

    public Param param(String name) {
        Param p = params.get(name);
        if (p == null) {
            throw new IllegalArgumentException("the U-Net has no tensor '" + name + "'");
        }
        return p;
    }

    /** Number of trainable parameters (running statistics excluded), as PyTorch's parameters() counts. */
    public long numParameters() {
        long n = 0;
        for (Param p : params.values()) {
            if (p.trainable()) {
                n += Arrays.stream(p.shape()).asLongStream().reduce(1, (a, b) -> a * b);
            }
        }
        return n;
    }

    /** A deep, engine-free copy of every tensor, running statistics included. */
    public ModelState toState() {
        ModelState s = new ModelState();
        for (Param p : params.values()) {
            s.put(new Tensor(p.name(), p.role(), p.part(), p.shape(), p.array().toFloatArray()));
        }
        return s;
    }

    /**
     * Overwrites the tensors present in {@code state} (a subset is allowed: FedBN loads everything
     * but the norm tensors). Bit-exact: the float bits are copied as they are.
     */
    public void load(ModelState state) {
        for (Tensor t : state.tensors()) {
            Param p = params.get(t.name());
            if (p == null) {
                throw new IllegalArgumentException("state tensor '" + t.name() + "' is not part of this U-Net "
                        + "(width " + config.width() + ", depth " + config.depth() + ", norm " + config.norm() + ")");
            }
            if (!Arrays.equals(p.shape(), t.shape())) {
                throw new IllegalArgumentException("state tensor '" + t.name() + "' has shape " + Arrays.toString(t.shape())
                        + " but the U-Net expects " + Arrays.toString(p.shape()));
            }
            NativeArrays.copyInto(p.array(), t.data());
        }
        parametersChanged();
    }

    // ------------------------------------------------------------------ forward

    /**
     * Logits of shape (N, classes, H, W). {@code training} selects batch statistics (and updates
     * the running statistics) versus running statistics for BatchNorm.
     */
    public NDArray forward(NDArray input, boolean training) {
        Shape s = input.getShape();
        int m = config.sizeMultiple();
        if (s.dimension() != 4 || s.get(1) != config.inChannels() || s.get(2) % m != 0 || s.get(3) % m != 0) {
            throw new IllegalArgumentException("U-Net input must be (N, " + config.inChannels() + ", H, W) with H and W multiples of "
                    + m + ", got " + s);
        }
        PtNDArray x = (PtNDArray) input;
        if (training) {
            parametersChanged(); // BatchNorm updates its running statistics
        }
        int depth = config.depth();
        PtNDArray[] skips = new PtNDArray[depth];
        for (int i = 0; i < depth; i++) {
            String p = "d." + i + ".";
            if (i > 0) {
                x = JniUtils.maxPool(x, POOL, POOL, ZERO, false);
            }
            x = convNorm(x, p + "c1", p + "b1", PAD1, training);
            x = relu(convNorm(x, p + "c2", p + "b2", PAD1, training));
            x = relu(convNorm(x, p + "c3", p + "b3", PAD1, training));
            skips[i] = x;
        }
        PtNDArray y = skips[depth - 1];
        for (int j = 0; j < depth - 1; j++) {
            String p = "u." + j + ".";
            if (j > 0) {
                y = relu(convNorm(y, p + "c1", p + "b1", PAD1, training));
            }
            y = upsample2(y);
            y = relu(convNorm(y, p + "c2", p + "b2", ZERO, training));
            PtNDArray cat = JniUtils.cat(new PtNDArray[] {skips[depth - 2 - j], y}, 1);
            y = relu(convNorm(cat, p + "c3", p + "b3", PAD1, training));
        }
        return JniUtils.convolution(y, params.get("head.weight").array(), params.get("head.bias").array(), ONE, ZERO, ONE, 1);
    }

    /**
     * A convolution followed by its normalisation. In evaluation mode BatchNorm is an affine map per
     * channel, so it is folded into the convolution: w' = w·s, b' = (b − μ)·s + β with s = γ/√(σ² + ε),
     * one pass over the activations instead of two (the same function; float rounding differs by ~1e-7
     * relative). With autograd on (the per-sample Fisher) the fold is built in the input's scope on every
     * call so gradients reach w, b, γ and β; with autograd off (inference) it is built once per parameter
     * generation and reused until a parameter may have changed (see {@link #parametersChanged}).
     */
    private PtNDArray convNorm(PtNDArray x, String conv, String norm, Shape pad, boolean training) {
        if (training || config.norm() != NormType.BATCH) {
            PtNDArray w = params.get(conv + ".weight").array();
            PtNDArray b = params.get(conv + ".bias").array();
            return normalize(JniUtils.convolution(x, w, b, ONE, pad, ONE, 1), norm, training);
        }
        PtNDArray[] wb = JniUtils.isGradMode() ? fold(conv, norm, x.getManager()) : cachedFold(conv, norm);
        return JniUtils.convolution(x, wb[0], wb[1], ONE, pad, ONE, 1);
    }

    private PtNDArray[] fold(String conv, String norm, NDManager scope) {
        NDArray var = Scopes.into(scope, params.get(norm + ".running_var").array().add(normEps));
        NDArray scale = Scopes.into(scope, params.get(norm + ".weight").array().div(var.sqrt()));
        NDArray w = Scopes.into(scope, params.get(conv + ".weight").array().mul(scale.reshape(-1, 1, 1, 1)));
        NDArray centred = Scopes.into(scope, params.get(conv + ".bias").array().sub(params.get(norm + ".running_mean").array()));
        NDArray b = centred.mul(scale).add(params.get(norm + ".bias").array());
        return new PtNDArray[] {(PtNDArray) w, (PtNDArray) b};
    }

    private PtNDArray[] cachedFold(String conv, String norm) {
        if (foldedAt != generation) {
            if (foldScope != null) {
                foldScope.close();
            }
            foldScope = manager.newSubManager();
            folded.clear();
            foldedAt = generation;
        }
        return folded.computeIfAbsent(conv, c -> fold(c, norm, foldScope));
    }

    /**
     * Tells the network that parameters or running statistics were changed in place from outside (the
     * optimizer calls it); cached evaluation-mode weights are rebuilt on the next inference. {@link #load}
     * and training-mode forward passes call it themselves.
     */
    public void parametersChanged() {
        generation++;
    }

    private PtNDArray normalize(PtNDArray x, String name, boolean training) {
        switch (config.norm()) {
            case BATCH:
                return JniUtils.batchNorm(x, params.get(name + ".running_mean").array(), params.get(name + ".running_var").array(),
                        params.get(name + ".weight").array(), params.get(name + ".bias").array(), training, BN_MOMENTUM, NORM_EPS);
            case GROUP:
                return groupNorm(x, name, config.groups());
            case INSTANCE:
                return groupNorm(x, name, (int) x.getShape().get(1));
            default:
                return x;
        }
    }

    /** GroupNorm from primitive ops (DJL has no GroupNorm block): normalise over (C/G, H, W) per group. */
    private PtNDArray groupNorm(PtNDArray x, String name, int groups) {
        Shape s = x.getShape();
        long n = s.get(0);
        long c = s.get(1);
        int g = (int) Math.min(groups, c);
        NDArray r = x.reshape(n, g, -1);
        NDArray mean = r.mean(new int[] {2}, true);
        NDArray centred = r.sub(mean);
        NDArray var = centred.square().mean(new int[] {2}, true);
        NDArray norm = centred.div(var.add(normEps).sqrt()).reshape(s);
        NDArray w = params.get(name + ".weight").array().reshape(1, c, 1, 1);
        NDArray b = params.get(name + ".bias").array().reshape(1, c, 1, 1);
        NDArray out = norm.mul(w).add(b);
        // w and b reshapes live in the parameter manager: release them now.
        w.close();
        b.close();
        return (PtNDArray) out;
    }

    private static PtNDArray relu(PtNDArray x) {
        return JniUtils.relu(x);
    }

    /** Nearest-neighbour ×2 upsampling. */
    private static PtNDArray upsample2(PtNDArray x) {
        Shape s = x.getShape();
        return JniUtils.interpolate(x, new long[] {s.get(2) * 2, s.get(3) * 2}, 0, false);
    }

    /** Live native arrays owned by the parameter manager (and its sub-managers); used by leak tests. */
    public int liveArrays() {
        return countArrays(manager);
    }

    static int countArrays(NDManager m) {
        return m.getManagedArrays().size();
    }

    @Override
    public void close() {
        manager.close();
    }

    /** Name → trainable native parameter, in network order. */
    public Map<String, PtNDArray> trainable() {
        Map<String, PtNDArray> m = new LinkedHashMap<>();
        for (Param p : params.values()) {
            if (p.trainable()) {
                m.put(p.name(), p.array());
            }
        }
        return m;
    }
}
