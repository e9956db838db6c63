package org.resfim.state;

import java.util.Arrays;
import java.util.Objects;

/**
 * Server-side checks on a state received from a client before it is aggregated: a client may upload
 * only tensors the server's model has, with the model's shapes, finite values and a bounded size.
 */
public final class StateValidator {
    private StateValidator() {
    }

    /**
     * Validates {@code upload} against the server's {@code expected} layout.
     *
     * <ul>
     *   <li>every uploaded tensor name is a tensor of {@code expected} (a subset is allowed);</li>
     *   <li>each uploaded tensor has the expected shape, role and network part (the configuration's model fixes
     *       them, not the upload);</li>
     *   <li>every value is finite (the first NaN or infinity is reported with its flat index);</li>
     *   <li>the upload holds at most {@code maxElements} elements in total.</li>
     * </ul>
     *
     * @throws IllegalArgumentException naming the first tensor (and element) at fault
     */
    public static void validate(ModelState expected, ModelState upload, long maxElements) {
        Objects.requireNonNull(expected, "expected");
        Objects.requireNonNull(upload, "upload");
        long total = upload.numElements();
        if (total > maxElements) {
            throw new IllegalArgumentException("upload holds " + total + " elements in " + upload.size()
                    + " tensors, more than the limit of " + maxElements);
        }
        for (Tensor t : upload.tensors()) {
            if (!expected.contains(t.name())) {
                throw new IllegalArgumentException("upload has tensor '" + t.name() + "' " + Arrays.toString(t.shape())
                        + " that is not part of the model");
            }
            Tensor e = expected.get(t.name());
            if (!Arrays.equals(e.shape(), t.shape())) {
                throw new IllegalArgumentException("upload tensor '" + t.name() + "' has shape " + Arrays.toString(t.shape())
                        + ", model expects " + Arrays.toString(e.shape()));
            }
            if (e.role() != t.role() || e.part() != t.part()) {
                throw new IllegalArgumentException("upload tensor '" + t.name() + "' has role " + t.role() + " in " + t.part()
                        + ", model has " + e.role() + " in " + e.part());
            }
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) {
                if (!Float.isFinite(d[i])) {
                    throw new IllegalArgumentException("upload tensor '" + t.name() + "' element " + i
                            + " (of " + d.length + ") is " + d[i] + "; values must be finite");
                }
            }
        }
    }
}
