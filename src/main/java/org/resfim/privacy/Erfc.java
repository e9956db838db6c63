package org.resfim.privacy;

/**
 * The complementary error function and its logarithm in double precision (the JDK has neither): a series of positive
 * terms for |x| ≤ 2 (erf(x) = 2/√π e^−x² Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)), no cancellation) and a continued fraction
 * beyond, evaluated in log space so that log erfc(x) stays finite for large x.
 */
final class Erfc {
    private static final double LOG_SQRT_PI = 0.5 * Math.log(Math.PI);

    private Erfc() {
    }

    static double erfc(double x) {
        return Math.exp(log(x));
    }

    /** log erfc(x). */
    static double log(double x) {
        if (Double.isNaN(x)) {
            return Double.NaN;
        }
        if (x < -2) {
            // erfc(x) = 2 − erfc(−x), erfc(−x) < 0.0047
            return Math.log(2 - Math.exp(logTail(-x)));
        }
        if (x <= 2) {
            return Math.log(1 - erf(x));
        }
        return logTail(x);
    }

    /** erf(x) for |x| ≤ 3 by the positive series. */
    private static double erf(double x) {
        double ax = Math.abs(x);
        double term = ax;
        double sum = ax;
        for (int n = 1; n < 200; n++) {
            term *= 2 * ax * ax / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) {
                break;
            }
        }
        double v = 2 / Math.sqrt(Math.PI) * Math.exp(-ax * ax) * sum;
        return x < 0 ? -v : v;
    }

    /** log erfc(x) for x > 3: −x² − log √π − log of the continued fraction x + 1/2/(x + 1/(x + 3/2/(x + …))) (modified Lentz). */
    private static double logTail(double x) {
        double tiny = 1e-300;
        double f = x;
        double c = x;
        double d = 0;
        for (int n = 1; n < 500; n++) {
            double a = n / 2.0;
            d = x + a * d;
            d = Math.abs(d) < tiny ? tiny : d;
            c = x + a / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) {
                break;
            }
        }
        return -x * x - LOG_SQRT_PI - Math.log(f);
    }
}
