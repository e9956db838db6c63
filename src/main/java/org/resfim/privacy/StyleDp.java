package org.resfim.privacy;

import org.resfim.state.ModelState;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.util.random.RandomGenerator;

/**
 * The Gaussian mechanism on the style windows a site shares at SETUP (pFL-ResFIM's low-frequency amplitude windows,
 * {@link TensorRole#STYLE_AMPLITUDE}): each window's L2 norm is scaled down to C_s, every amplitude gets noise
 * N(0, (σ_s·C_s)²), and an amplitude the noise made negative is set to 0 (post-processing: amplitudes are magnitudes).
 * Other tensors pass unchanged. It works on the upload's tensors (state), not on federation's message: the site
 * participant hands them in and wraps the result.
 */
public final class StyleDp {
    private StyleDp() {
    }

    /** The upload's tensors with their style windows privatized; {@code upload} itself when the mechanism is off or it is empty. */
    public static ModelState apply(ModelState upload, PrivacySettings p, RandomGenerator rng) {
        if (!p.styleActive() || upload == null || upload.size() == 0) {
            return upload;
        }
        ModelState out = new ModelState();
        double std = p.styleNoise() * p.styleClip();
        for (Tensor t : upload.tensors()) {
            if (t.role() != TensorRole.STYLE_AMPLITUDE) {
                out.put(t);
                continue;
            }
            float[] v = t.data();
            double sumSq = 0;
            for (float x : v) {
                sumSq += (double) x * x;
            }
            double norm = Math.sqrt(sumSq);
            double scale = norm > p.styleClip() ? p.styleClip() / norm : 1;
            float[] o = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                double x = v[i] * scale + (std > 0 ? std * rng.nextGaussian() : 0);
                o[i] = (float) Math.max(0, x);
            }
            out.put(t.withData(o));
        }
        return out;
    }
}
