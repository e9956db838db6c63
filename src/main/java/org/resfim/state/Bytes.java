package org.resfim.state;

import java.util.Locale;

/**
 * The one unit ResFIM reports data sizes in (uploads, model files, messages on the wire): MB = 10^6 bytes,
 * in the console, the results files, the audit table and the HTML report alike.
 */
public final class Bytes {
    /** One megabyte: 10^6 bytes. */
    public static final long MB = 1_000_000L;

    private Bytes() {
    }

    /** {@code bytes} in MB, e.g. "12.74 MB"; "0.042 MB" below a tenth; "—" for NaN. */
    public static String mb(double bytes) {
        if (Double.isNaN(bytes)) {
            return "—";
        }
        double mb = bytes / MB;
        return String.format(Locale.ROOT, Math.abs(mb) < 0.1 ? "%.3f MB" : "%.2f MB", mb);
    }
}
