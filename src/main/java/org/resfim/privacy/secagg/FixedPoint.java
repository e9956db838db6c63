package org.resfim.privacy.secagg;

/**
 * Fixed-point encoding of real values into the ring Z_{2^64} (Java's {@code long} arithmetic wraps modulo 2^64): a
 * value is clipped to [−range, range] and rounded to a multiple of 2^−bits. A sum of n encoded values decodes exactly
 * as long as n·range·2^bits &lt; 2^63; each term is off by at most 2^−(bits+1) from its clipped value.
 *
 * @param bits  fractional bits
 * @param range the clipping bound of one value
 */
public record FixedPoint(int bits, double range) {
    public FixedPoint {
        if (bits < 0 || bits > 52) {
            throw new IllegalArgumentException("privacy.secagg.bits must be in [0, 52], got " + bits);
        }
        if (!(range > 0 && Double.isFinite(range))) {
            throw new IllegalArgumentException("privacy.secagg.range must be a finite number > 0, got " + range);
        }
    }

    /** The most values that can be summed without wrapping around the ring. */
    public long capacity() {
        double one = range * Math.scalb(1.0, bits);
        return (long) Math.min(Long.MAX_VALUE, Math.floor(Math.scalb(1.0, 63) / Math.max(1, one)));
    }

    public long encode(double x) {
        double c = Math.max(-range, Math.min(range, x));
        return Math.round(Math.scalb(c, bits));
    }

    public double decode(long v) {
        return Math.scalb((double) v, -bits);
    }

    /** The largest difference between the decoded sum of n values and the sum of the clipped values: n·2^−(bits+1). */
    public double bound(int n) {
        return n * Math.scalb(0.5, -bits);
    }
}
