package org.resfim.fisher;

import java.util.BitSet;
import java.util.Random;

/**
 * Selection of the k largest scores in O(n): a three-way quickselect on a copy finds the k-th largest value t,
 * then every element above t is taken and elements equal to t fill the remaining places. Ties at t are broken
 * either deterministically, <b>the lower index wins</b> ({@link #select(float[], int)}, {@code resfim.ties =
 * lowest-index}, the default), or by a seeded uniform draw among the tied elements ({@link #select(float[], int,
 * Random)}, {@code resfim.ties = random}): where many scores tie (dead channels whose Fisher is exactly 0), the
 * first rule is a structured bias toward the first channels of a tensor, the second is not. Comparisons are
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
        return select(scores, k, null);
    }

    /**
     * The indices of the {@code k} largest entries of {@code scores}; among the m entries equal to the k-th largest
     * value, the j still needed are a uniform draw of j out of m from {@code ties} (a partial Fisher–Yates shuffle
     * of the tied indices in increasing order, one {@code ties.nextInt} per place), or the j lowest indices when
     * {@code ties} is null. {@code ties} is not touched when no choice is needed (j = 0 or j = m).
     *
     * @param k clipped to [0, n]
     */
    public static BitSet select(float[] scores, int k, Random ties) {
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
        if (ties == null) {
            for (int i = 0; i < n && need > 0; i++) {
                if (scores[i] == t) {
                    out.set(i);
                    need--;
                }
            }
            return out;
        }
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (scores[i] == t) {
                m++;
            }
        }
        int[] tied = new int[m];
        m = 0;
        for (int i = 0; i < n; i++) {
            if (scores[i] == t) {
                tied[m++] = i;
            }
        }
        if (need == m) {
            for (int i : tied) {
                out.set(i);
            }
            return out;
        }
        for (int j = 0; j < need; j++) {
            int r = j + ties.nextInt(m - j);
            int x = tied[r];
            tied[r] = tied[j];
            tied[j] = x;
            out.set(x);
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
