package org.resfim.state;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** One unit for data sizes everywhere: MB = 10^6 bytes. */
class BytesTest {
    @Test
    void megabytesAreTenToTheSixBytes() {
        assertEquals("12.76 MB", Bytes.mb(12_758_340));
        assertEquals("1.00 MB", Bytes.mb(1_000_000));
        assertEquals("1.05 MB", Bytes.mb(1 << 20), "a MiB is 1.05 MB");
        assertEquals("0.042 MB", Bytes.mb(42_000));
        assertEquals("0.000 MB", Bytes.mb(0));
        assertEquals("—", Bytes.mb(Double.NaN));
    }
}
