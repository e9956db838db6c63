package org.resfim.fisher;

import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

/** Hand-built Fisher / score states for the fisher tests. */
final class FisherFixtures {
    private FisherFixtures() {
    }

    static Tensor t(String name, TensorRole role, int[] shape, float... v) {
        return new Tensor(name, role, NetworkPart.ENCODER, shape, v);
    }

    static Tensor conv(String name, float... v) {
        return t(name, TensorRole.CONV_WEIGHT, new int[] {v.length}, v);
    }

    static ModelState state(Tensor... ts) {
        ModelState s = new ModelState();
        for (Tensor t : ts) {
            s.put(t);
        }
        return s;
    }

    /** Fisher states over "w" [2,2], "b" [3] and a running variance [2] (not trainable). */
    static ModelState fisher(float[] w, float[] b, float[] var) {
        return state(t("w", TensorRole.CONV_WEIGHT, new int[] {2, 2}, w),
                t("b", TensorRole.CONV_BIAS, new int[] {3}, b),
                t("bn.running_var", TensorRole.NORM_RUNNING_VAR, new int[] {2}, var));
    }
}
