package org.resfim.privacy;

import org.resfim.state.Mask;
import org.resfim.state.ModelState;
import org.resfim.state.Tensor;

import java.util.BitSet;
import java.util.random.RandomGenerator;

/**
 * The site's half of differential privacy, applied to an upload before it leaves the site: the update is the
 * change of the shared elements (those the upload carries, less the ones its mask marks personal) since the site
 * received them; its L2 norm over those elements is clipped to C; in local mode every shared element gets Gaussian
 * noise σ·C. Personal elements and tensors the upload does not carry are untouched.
 *
 * <p>It works on the upload's tensors and mask (state), not on federation's message: the site participant
 * ({@code federation.SiteParticipant}) hands them in and wraps the result, so privacy stays below federation.
 */
public final class SiteDp {
    private SiteDp() {
    }

    /**
     * @param upload  the privatized upload's tensors (the very object passed in when nothing changed)
     * @param norm    L2 norm of the update before clipping
     * @param clipped true when the update was scaled down to C
     * @param shared  the number of shared elements (the dimension of the update)
     */
    public record Result(ModelState upload, double norm, boolean clipped, long shared) {
    }

    /**
     * Clips (and in local mode noises) {@code upload} against {@code reference}, the values the site last received.
     * With clipping off and no noise, or an update within C and no noise, the upload is returned bit for bit (the
     * same object).
     *
     * @param upload the tensors of the upload (shared values, personal ones as sent)
     * @param mask   the upload's mask (its set bits are personal elements), or null when every element is shared
     */
    public static Result apply(ModelState upload, Mask mask, ModelState reference, PrivacySettings p, RandomGenerator rng) {
        if (!p.active() || upload == null || upload.size() == 0) {
            return new Result(upload, 0, false, 0);
        }
        double sumSq = 0;
        long shared = 0;
        for (Tensor t : upload.tensors()) {
            Tensor ref = reference.contains(t.name()) ? reference.get(t.name()) : null;
            if (ref == null || ref.size() != t.size()) {
                throw new IllegalStateException("upload tensor '" + t.name() + "' has no received counterpart of the same size");
            }
            BitSet personal = mask != null && mask.contains(t.name()) ? mask.bits(t.name()) : null;
            float[] v = t.data();
            float[] r = ref.data();
            for (int i = 0; i < v.length; i++) {
                if (personal == null || !personal.get(i)) {
                    double d = (double) v[i] - r[i];
                    sumSq += d * d;
                    shared++;
                }
            }
        }
        double norm = Math.sqrt(sumSq);
        boolean clip = p.clip() > 0 && norm > p.clip();
        double std = p.mode() == PrivacySettings.Mode.LOCAL ? p.noiseStd() : 0;
        if (!clip && std == 0) {
            return new Result(upload, norm, false, shared);
        }
        double scale = clip ? p.clip() / norm : 1;
        ModelState out = new ModelState();
        for (Tensor t : upload.tensors()) {
            BitSet personal = mask != null && mask.contains(t.name()) ? mask.bits(t.name()) : null;
            float[] v = t.data();
            float[] r = reference.get(t.name()).data();
            float[] o = v.clone();
            for (int i = 0; i < v.length; i++) {
                if (personal == null || !personal.get(i)) {
                    double x = clip ? r[i] + ((double) v[i] - r[i]) * scale : v[i];
                    if (std > 0) {
                        x += std * rng.nextGaussian();
                    }
                    o[i] = (float) x;
                }
            }
            out.put(t.withData(o));
        }
        return new Result(out, norm, clip, shared);
    }
}
