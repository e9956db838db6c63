package org.resfim.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class MaskTest {

    private static ModelState layout() {
        ModelState s = new ModelState();
        s.put(Fixtures.tensor("conv", new int[] {2, 5}, new float[10]));   // 10 elements: 2 bytes of bits
        s.put(Fixtures.tensor("bias", new int[] {3}, new float[3]));
        s.put(Fixtures.tensor("empty", new int[] {0}, new float[0]));
        return s;
    }

    @Test
    void allInvariantThenSetCountAndFractions() {
        Mask m = Mask.allInvariant(layout());
        assertEquals(List.of("conv", "bias", "empty"), m.names());
        assertEquals(0, m.total());
        assertEquals(13, m.numElements());
        m.set("conv", 0, true);
        m.set("conv", 9, true);
        m.set("conv", 4, true);
        m.set("bias", 1, true);
        m.set("conv", 4, false);
        assertTrue(m.get("conv", 9));
        assertFalse(m.get("conv", 4));
        assertEquals(2, m.count("conv"));
        assertEquals(0.2, m.fraction("conv"), 0.0);
        assertEquals(1.0 / 3, m.fraction("bias"), 1e-15);
        assertEquals(0.0, m.fraction("empty"), 0.0);
        assertEquals(3, m.total());
        assertEquals(3.0 / 13, m.totalFraction(), 1e-15);
        assertThrows(IndexOutOfBoundsException.class, () -> m.get("conv", 10));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.count("nope"));
        assertTrue(e.getMessage().contains("'nope'"));
    }

    @Test
    void wholeTensorFactoriesAndInversion() {
        Mask personal = Mask.allPersonal(layout());
        assertEquals(13, personal.total());
        Mask bias = Mask.wholeTensors(layout(), t -> t.name().equals("bias"));
        assertEquals(3, bias.count("bias"));
        assertEquals(0, bias.count("conv"));
        Mask inv = bias.inverted();
        assertEquals(0, inv.count("bias"));
        assertEquals(10, inv.count("conv"));
        assertEquals(Mask.allInvariant(layout()), personal.inverted());
    }

    @Test
    void copyIsIndependentAndEqualityIsByContent() {
        Mask a = Mask.allInvariant(layout());
        a.set("conv", 3, true);
        Mask b = a.copy();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        b.set("conv", 3, false);
        assertTrue(a.get("conv", 3));
        assertNotEquals(a, b);
        Mask otherSize = new Mask();
        otherSize.addTensor("conv", 11);
        otherSize.addTensor("bias", 3);
        otherSize.addTensor("empty", 0);
        assertNotEquals(Mask.allInvariant(layout()), otherSize);
    }

    @Test
    void byteEncodingRoundTrip() {
        Mask m = Mask.allInvariant(layout());
        m.set("conv", 0, true);
        m.set("conv", 9, true);
        m.set("bias", 2, true);
        byte[] bytes = m.toBytes();
        // 12 header + conv (4+4 name, 4 count, 2 bits) + bias (4+4, 4, 1) + empty (4+5, 4, 0)
        assertEquals(12 + 14 + 13 + 13, bytes.length);
        Mask back = Mask.fromBytes(bytes);
        assertEquals(m, back);
        assertEquals(List.of("conv", "bias", "empty"), back.names());
        // bit i of a tensor is bit i%8 of byte i/8: conv bits 0 and 9 -> bytes 0x01, 0x02
        int convBits = 12 + 4 + 4 + 4;
        assertArrayEquals(new byte[] {0x01, 0x02}, Arrays.copyOfRange(bytes, convBits, convBits + 2));
    }

    @Test
    void truncatedOrCorruptEncodingNamesTheTensor() {
        Mask m = Mask.allInvariant(layout());
        byte[] bytes = m.toBytes();
        // cut inside the bias bits (the last byte of 'bias' is at 12 + 14 + 12)
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Mask.fromBytes(Arrays.copyOf(bytes, 12 + 14 + 12)));
        assertTrue(e.getMessage().contains("tensor 'bias'") && e.getMessage().contains("truncated"), e.getMessage());
        // every cut is refused
        for (int cut = 0; cut < bytes.length; cut++) {
            byte[] part = Arrays.copyOf(bytes, cut);
            assertThrows(IllegalArgumentException.class, () -> Mask.fromBytes(part), "cut at " + cut);
        }
        // a bit set beyond the tensor size (conv has 10 elements; set bit 7 of its second byte = element 15)
        byte[] bad = bytes.clone();
        bad[12 + 12 + 1] = (byte) 0x80;
        e = assertThrows(IllegalArgumentException.class, () -> Mask.fromBytes(bad));
        assertTrue(e.getMessage().contains("tensor 'conv'") && e.getMessage().contains("bit 15"), e.getMessage());
        byte[] trailing = Arrays.copyOf(bytes, bytes.length + 1);
        assertThrows(IllegalArgumentException.class, () -> Mask.fromBytes(trailing));
        byte[] magic = bytes.clone();
        magic[0] = 'X';
        assertThrows(IllegalArgumentException.class, () -> Mask.fromBytes(magic));
    }

    @Test
    void requireMatchesNamesTheTensor() {
        Mask m = Mask.allInvariant(layout());
        m.requireMatches(layout());
        ModelState other = new ModelState();
        other.put(Fixtures.tensor("conv", new int[] {11}, new float[11]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.requireMatches(other));
        assertTrue(e.getMessage().contains("'conv'") && e.getMessage().contains("10") && e.getMessage().contains("11"));
        ModelState fewer = new ModelState(List.of(layout().get("conv")));
        e = assertThrows(IllegalArgumentException.class, () -> m.requireMatches(fewer));
        assertTrue(e.getMessage().contains("'bias'"), e.getMessage());
    }
}
