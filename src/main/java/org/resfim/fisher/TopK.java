package org.resfim.fisher;

import java.util.BitSet;

/**
 * Selection of the k largest scores in O(n): a three-way quickselect on a copy finds the k-th largest value t,
 * then every element above t is taken and elements equal to t are taken in increasing index order until k are
 * chosen. So ties are broken deterministically: <b>among equal scores the lower index wins</b>. Comparisons are
 * primitive, so {@code −0.0} and {@code 0.0} are equal. Scores must not be NaN.
 */
public final class TopK {
    private TopK() {
    }

    /**
     * The indices of the {@code k} largest entries of {@code scores} (ties to the lower index).
     *
     * @param k clipped to [0, n]
     */
    public static BitSet select(float[] scores, int k) {
        int n = scores.length;
        BitSet out = new BitSet(n);
        if (k <= 0) {
            return out;
        }
        if (k >= n) {
            out.set(0, n);
            return out;
        }
        float t = kthLargest(scores.clone(), k);
        int need = k;
        for (int i = 0; i < n; i++) {
            if (scores[i] > t) {
                out.set(i);
                need--;
            }
        }
        for (int i = 0; i < n && need > 0; i++) {
            if (scores[i] == t) {
                out.set(i);
                need--;
            }
        }
        return out;
    }

    /** The k-th largest value (1-based) of {@code a}, which is reordered. Requires 1 ≤ k ≤ a.length. */
    static float kthLargest(float[] a, int k) {
        int target = k - 1;          // position in descending order
        int lo = 0;
        int hi = a.length - 1;
        long state = 0x9E3779B97F4A7C15L;
        while (lo < hi) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            int pick = lo + (int) Long.remainderUnsigned(state >>> 17, (long) hi - lo + 1);
            float p = a[pick];
            int lt = lo;
            int i = lo;
            int gt = hi;
            while (i <= gt) {            // [lo,lt) > p, [lt,i) == p, (gt,hi] < p
                float v = a[i];
                if (v > p) {
                    a[i++] = a[lt];
                    a[lt++] = v;
                } else if (v < p) {
                    a[i] = a[gt];
                    a[gt--] = v;
                } else {
                    i++;
                }
            }
            if (target < lt) {
                hi = lt - 1;
            } else if (target > gt) {
                lo = gt + 1;
            } else {
                return p;
            }
        }
        return a[target];
    }
}
