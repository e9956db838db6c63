package org.resfim.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam with L2 weight decay added to the gradient, exactly as {@code torch.optim.Adam(weight_decay=…)}:
 * g ← g + wd·θ; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; θ ← θ − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).
 * Moments are native while training and exported engine-free with {@link #export()}.
 */
public final class Adam implements AutoCloseable {
    private final NDManager manager;
    private final UNet net;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private long step;

    public Adam(UNet net, double weightDecay, double beta1, double beta2, double eps, AdamState resume) {
        this.manager = net.manager().newSubManager();
        this.net = net;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (UNet.Param p : net.params()) {
            if (!p.trainable()) {
                continue;
            }
            NDArray mi;
            NDArray vi;
            if (resume != null && resume.firstMoment().contains(p.name())) {
                mi = NativeArrays.copyOf(manager, resume.firstMoment().get(p.name()).data(), UNet.toShape(p.shape()));
                vi = NativeArrays.copyOf(manager, resume.secondMoment().get(p.name()).data(), UNet.toShape(p.shape()));
            } else {
                mi = manager.zeros(UNet.toShape(p.shape()));
                vi = manager.zeros(UNet.toShape(p.shape()));
            }
            m.put(p.name(), mi);
            v.put(p.name(), vi);
        }
        this.step = resume == null ? 0 : resume.step();
    }

    public static Adam standard(UNet net, double weightDecay, AdamState resume) {
        return new Adam(net, weightDecay, 0.9, 0.999, 1e-8, resume);
    }

    /** Advances the step counter; call once per optimizer step before {@link #update}. */
    public void beginStep() {
        step++;
    }

    /**
     * Updates one parameter in place, in one native call per tensor (DJL's {@code adamUpdate}: the
     * gradient plus wd·θ, both moments and the step, without a JNI round trip per operation). That
     * kernel computes θ ← θ − α̂·m / (√v + ε̂); with α̂ = lr·√(1−β2ᵗ)/(1−β1ᵗ) and ε̂ = ε·√(1−β2ᵗ) it is
     * exactly torch's θ ← θ − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε). {@code grad} is not modified.
     */
    public void update(String name, NDArray param, NDArray grad, double lr) {
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        JniUtils.adamUpdate((PtNDArray) param, (PtNDArray) grad, (PtNDArray) m.get(name), (PtNDArray) v.get(name),
                (float) lr, (float) (lr * Math.sqrt(bc2) / bc1), (float) weightDecay, 1f, NO_CLIPPING,
                (float) beta1, (float) beta2, (float) (eps * Math.sqrt(bc2)), false);
        net.parametersChanged();
    }

    /**
     * One optimizer step of this optimizer's network from gradients computed elsewhere (engine-free, for example of
     * another network's loss, as APFL's personal model is stepped on the mixture's gradient): {@link #beginStep}, then
     * every tensor of {@code gradient} updated by {@link #update} in its order, in a native scope freed on return;
     * tensors not in {@code gradient} are left as they are.
     */
    public void step(ModelState gradient, double lr) {
        try (NDManager scope = net.manager().newSubManager()) {
            beginStep();
            for (Tensor g : gradient.tensors()) {
                NDArray grad = NativeArrays.copyOf(scope, g.data(), UNet.toShape(g.shape()));
                update(g.name(), net.param(g.name()).array(), grad, lr);
            }
        }
    }

    /** DJL's kernel clamps the gradient when this is ≥ 0. */
    private static final float NO_CLIPPING = -1f;

    public long step() {
        return step;
    }

    /** Engine-free copy of the moments and the step count. */
    public AdamState export(UNet net) {
        ModelState first = new ModelState();
        ModelState second = new ModelState();
        for (UNet.Param p : net.params()) {
            if (!p.trainable()) {
                continue;
            }
            first.put(new Tensor(p.name(), p.role(), p.part(), p.shape(), m.get(p.name()).toFloatArray()));
            second.put(new Tensor(p.name(), p.role(), p.part(), p.shape(), v.get(p.name()).toFloatArray()));
        }
        return new AdamState(first, second, step);
    }

    @Override
    public void close() {
        manager.close();
    }
}
