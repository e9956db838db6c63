package org.resfim.privacy.secagg;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Map;

/**
 * Shamir's t-of-n secret sharing over the prime field of p = 2^521 − 1 (a Mersenne prime, larger than every 256-bit
 * secret): share x is f(x) for a random polynomial f of degree t − 1 with f(0) = the secret; any t shares give it back
 * by Lagrange interpolation at 0, fewer reveal nothing about it.
 */
public final class Shamir {
    public static final BigInteger P = BigInteger.TWO.pow(521).subtract(BigInteger.ONE);
    /** Bytes of a share in its fixed-length encoding. */
    public static final int SHARE_BYTES = 66;

    private Shamir() {
    }

    /** Shares of {@code secret} (0 ≤ secret &lt; p) at the points {@code xs} (distinct, 1 ≤ x &lt; p), any t of which recover it. */
    public static BigInteger[] split(BigInteger secret, int t, int[] xs, SecureRandom rng) {
        if (t < 1 || t > xs.length) {
            throw new IllegalArgumentException("threshold must be in [1, " + xs.length + "], got " + t);
        }
        if (secret.signum() < 0 || secret.compareTo(P) >= 0) {
            throw new IllegalArgumentException("secret out of the field");
        }
        BigInteger[] coef = new BigInteger[t];
        coef[0] = secret;
        for (int i = 1; i < t; i++) {
            coef[i] = new BigInteger(P.bitLength() + 64, rng).mod(P);
        }
        BigInteger[] out = new BigInteger[xs.length];
        for (int k = 0; k < xs.length; k++) {
            BigInteger x = BigInteger.valueOf(xs[k]);
            BigInteger y = BigInteger.ZERO;
            for (int i = t - 1; i >= 0; i--) {
                y = y.multiply(x).add(coef[i]).mod(P);
            }
            out[k] = y;
        }
        return out;
    }

    /** The secret from shares x → f(x) (at least t of them; more are harmless when consistent). */
    public static BigInteger combine(Map<Integer, BigInteger> shares) {
        BigInteger s = BigInteger.ZERO;
        for (Map.Entry<Integer, BigInteger> i : shares.entrySet()) {
            BigInteger num = BigInteger.ONE;
            BigInteger den = BigInteger.ONE;
            BigInteger xi = BigInteger.valueOf(i.getKey());
            for (Integer j : shares.keySet()) {
                if (!j.equals(i.getKey())) {
                    BigInteger xj = BigInteger.valueOf(j);
                    num = num.multiply(xj).mod(P);
                    den = den.multiply(xj.subtract(xi)).mod(P);
                }
            }
            s = s.add(i.getValue().multiply(num).multiply(den.modInverse(P))).mod(P);
        }
        return s;
    }

    /** A share in its fixed-length big-endian encoding ({@link #SHARE_BYTES}), as federation.secagg's wire format carries it. */
    public static byte[] encode(BigInteger share) {
        byte[] raw = share.toByteArray();
        byte[] out = new byte[SHARE_BYTES];
        int n = Math.min(raw.length, SHARE_BYTES);
        System.arraycopy(raw, raw.length - n, out, SHARE_BYTES - n, n);
        return out;
    }

    /** The share encoded at {@code offset} of {@code b} ({@link #encode}). */
    public static BigInteger decode(byte[] b, int offset) {
        byte[] x = new byte[SHARE_BYTES];
        System.arraycopy(b, offset, x, 0, SHARE_BYTES);
        return new BigInteger(1, x);
    }
}
