package org.resfim.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The proximal pull (μ/2)·Σ‖θ − θ_ref‖² over the trainable tensors present in the reference
 * (FedProx, Ditto). The reference lives in native memory for the duration of one local training;
 * close it afterwards.
 */
public final class ProximalTerm implements TrainingHooks, AutoCloseable {
    private final NDManager manager;
    private final Map<String, NDArray> reference = new LinkedHashMap<>();
    private final double mu;

    public ProximalTerm(UNet net, ModelState ref, double mu) {
        this.manager = net.manager().newSubManager();
        this.mu = mu;
        for (UNet.Param p : net.params()) {
            if (p.trainable() && ref.contains(p.name())) {
                Tensor t = ref.get(p.name());
                reference.put(p.name(), NativeArrays.copyOf(manager, t.data(), UNet.toShape(t.shape())));
            }
        }
    }

    @Override
    public NDArray extraLoss(UNet net, NDManager step) {
        if (mu == 0 || reference.isEmpty()) {
            return null;
        }
        NDArray sum = null;
        for (Map.Entry<String, NDArray> e : reference.entrySet()) {
            NDArray d = Scopes.into(step, net.param(e.getKey()).array().sub(e.getValue()));
            NDArray sq = d.square().sum();
            sum = sum == null ? sq : sum.add(sq);
        }
        // a float32 native constant: a double would promote the 0-d loss to float64, and a Java number would be
        // freed before the backward pass that reads it (see NativeArrays)
        return sum.mul(NativeArrays.scalar(step, (float) (mu / 2)));
    }

    @Override
    public void close() {
        manager.close();
    }
}
