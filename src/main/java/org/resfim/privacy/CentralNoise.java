package org.resfim.privacy;

import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.util.BitSet;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The coordinator's half of central differential privacy, and the post-processing every noisy aggregate gets.
 *
 * <p>The masked average at element e is g_e + Σ_k w_k Δ_k[e] / Σ_k w_k over the sites k sharing e. Written with the
 * weights scaled by the largest site weight w_max, w̃_k = w_k / w_max ≤ 1, it is g_e + Σ_k w̃_k Δ_k[e] / Σ_k w̃_k, and
 * the vector of numerators Σ_k w̃_k Δ_k has L2 sensitivity w̃_k·C ≤ C to any one site (its update clipped to C over
 * the elements it shares). Gaussian noise σ·C is added to every numerator that at least one site shares, that is
 * N(0, (σC)²)·w_max / Σ_k w_k (1 − m_k[e]) to the average; an element nobody shares gets none (it holds no data).
 */
public final class CentralNoise {
    private CentralNoise() {
    }

    /** Adds the central noise to {@code average} in place of a copy; the weights are the sites' weights in the mean. */
    public static ModelState add(ModelState average, List<Mask> masks, double[] weights, double maxWeight, double std, RandomGenerator rng) {
        ModelState out = new ModelState();
        for (Tensor t : average.tensors()) {
            float[] v = t.data().clone();
            double[] denom = new double[v.length];
            for (int k = 0; k < masks.size(); k++) {
                BitSet personal = masks.get(k).contains(t.name()) ? masks.get(k).bits(t.name()) : null;
                for (int i = 0; i < v.length; i++) {
                    if (personal == null || !personal.get(i)) {
                        denom[i] += weights[k];
                    }
                }
            }
            for (int i = 0; i < v.length; i++) {
                if (denom[i] > 0) {
                    v[i] = (float) (v[i] + std * rng.nextGaussian() * maxWeight / denom[i]);
                }
            }
            out.put(t.withData(v));
        }
        return out;
    }

    /**
     * Post-processing of a noisy aggregate (it costs no privacy): BatchNorm running variances below 0 are set to 0 so
     * that no site normalises by the square root of a negative number.
     */
    public static ModelState clampVariances(ModelState state) {
        ModelState out = new ModelState();
        for (Tensor t : state.tensors()) {
            if (t.role() != TensorRole.NORM_RUNNING_VAR) {
                out.put(t);
                continue;
            }
            float[] v = t.data();
            float[] c = null;
            for (int i = 0; i < v.length; i++) {
                if (v[i] < 0) {
                    c = c == null ? v.clone() : c;
                    c[i] = 0;
                }
            }
            out.put(c == null ? t : t.withData(c));
        }
        return out;
    }
}
