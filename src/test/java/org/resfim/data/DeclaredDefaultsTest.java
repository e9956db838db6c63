package org.resfim.data;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The data keys are declared once ({@code FederationConfig.KEYS}: what {@code resfim config explain} prints); the parser
 * reads its defaults from that declaration, and the default objects used where a whole section is absent must say the
 * same. A default changed in one place only fails here.
 */
class DeclaredDefaultsTest {
    private static double number(String section, String key) {
        return ((Number) FederationConfig.declared(section, key)).doubleValue();
    }

    @Test
    void whatAnAbsentKeyParsesToIsTheDeclaredDefault() {
        // every data section present but empty: each value below comes from a key's declared default
        FederationConfig c = FederationConfig.parse("data: {synthetic: {}, augment: {}, preprocess: {}, split: {}}\n", Path.of("."), "test.yaml");
        assertEquals(new Augmentation(number("data.augment", "hflip"), number("data.augment", "vflip"), number("data.augment", "rot90")),
                c.augmentation());
        assertEquals(new SplitRatios(number("data.split", "train"), number("data.split", "val"), number("data.split", "test")), c.splitRatios());
        assertEquals((int) number("data", "channels"), c.channels());
        assertEquals(FederationConfig.declared("data.preprocess", "intensity"), c.preprocessing().intensity().name().toLowerCase(java.util.Locale.ROOT));
        assertEquals(FederationConfig.declared("data.preprocess", "interpolation"),
                c.preprocessing().interpolation().name().toLowerCase(java.util.Locale.ROOT));
        assertEquals((int) number("data.synthetic", "sites"), FederationConfig.defaults().synthetic().sites());
    }

    @Test
    void theDefaultObjectsForAbsentSectionsSayTheSame() {
        assertEquals(new SplitRatios(number("data.split", "train"), number("data.split", "val"), number("data.split", "test")), SplitRatios.DEFAULT);
        assertEquals(LabelRule.threshold((int) number("data.sites[].label", "threshold"),
                (Boolean) FederationConfig.declared("data.sites[].label", "invert")).signature(), LabelRule.DEFAULT.signature());
        NiftiOptions n = NiftiOptions.DEFAULT;
        assertEquals(FederationConfig.declared("data.sites[].nifti", "clip"), "[" + n.lowPercentile() + ", " + n.highPercentile() + "]");
        assertEquals("z", FederationConfig.declared("data.sites[].nifti", "axis"));
        assertEquals(2, n.axis());
        assertEquals("all", FederationConfig.declared("data.sites[].nifti", "slices"));
        assertEquals(false, n.foregroundSlicesOnly());
    }
}
