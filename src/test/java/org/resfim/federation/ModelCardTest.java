package org.resfim.federation;

import org.junit.jupiter.api.Test;
import org.resfim.data.FederationConfig;
import org.resfim.data.Preprocessing;
import org.resfim.model.NormType;
import org.resfim.model.UNetConfig;
import org.resfim.state.ModelState;
import org.resfim.state.NetworkPart;
import org.resfim.state.StateFile;
import org.resfim.state.Tensor;
import org.resfim.state.TensorRole;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** The settings a model file records for applying it: written, read back, and refused when they cannot be used. */
class ModelCardTest {
    /** Every setting away from its default, so that a field written or read wrongly shows. */
    static ModelCard unusual() {
        UNetConfig unet = new UNetConfig(1, 1, 12, 4, NormType.GROUP, 4);
        Preprocessing p = new Preprocessing(48, 64, 1, Preprocessing.Crop.SIZE, 200, 300, Preprocessing.Intensity.PERCENTILE,
                1.5, 98.25, Preprocessing.Interpolation.NEAREST);
        return new ModelCard(unet, p, "threshold=10,invert=true", "0.9.1", "0123456789abcdef0123456789abcdef01234567-dirty");
    }

    private static ModelState oneTensor() {
        ModelState s = new ModelState();
        s.put(new Tensor("w", TensorRole.CONV_WEIGHT, NetworkPart.ENCODER, new int[] {2}, new float[] {1, 2}));
        return s;
    }

    @Test
    void theCardRoundTripsThroughAModelFile() throws Exception {
        ModelCard card = unusual();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("site", "A");
        meta.put("round", "3");
        meta.putAll(card.toMetadata());
        byte[] bytes = StateFile.toBytes(oneTensor(), meta);
        StateFile.Contents back = StateFile.fromBytes(bytes, "m.rfim");
        assertEquals(meta, back.metadata());
        ModelCard read = ModelCard.read(back.metadata(), "m.rfim").orElseThrow();
        assertEquals(card, read);
        assertEquals(200, read.preprocessing().cropHeight());
        assertEquals(98.25, read.preprocessing().highPercentile());
        assertEquals("48x64", back.metadata().get("data.image_size"));
        assertEquals("group", back.metadata().get("model.norm"));
        // the defaults round-trip too (crop none: no crop size)
        ModelCard plain = new ModelCard(UNetConfig.reference(), Preprocessing.defaults(32), "synthetic (1 = vessel)", "dev", "unknown");
        assertEquals(plain, ModelCard.read(plain.toMetadata(), "p.rfim").orElseThrow());
        // the binary layout is unchanged: a model file with a card is still format version 1, readable by older builds
        assertEquals(1, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(4));
        assertEquals(1, StateFile.VERSION);
    }

    @Test
    void aFileWithoutACardHasNone() {
        assertEquals(Optional.empty(), ModelCard.read(Map.of("site", "A", "round", "2", "val_dice", "0.5"), "old.rfim"));
        assertEquals(Optional.empty(), ModelCard.read(Map.of(), "old.rfim"));
    }

    @Test
    void unusableCardsAreRefusedNamingTheFileAndTheEntry() {
        Map<String, String> m = new LinkedHashMap<>(unusual().toMetadata());
        m.put(ModelCard.KEY, "2");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelCard.read(m, "new.rfim"));
        assertEquals("model file new.rfim: metadata entry 'resfim.model_card': model card version 2 is not one this ResFIM reads (1 to 1):"
                + " the file was written by a newer ResFIM", e.getMessage());

        Map<String, String> missing = new LinkedHashMap<>(unusual().toMetadata());
        missing.remove("data.preprocess.intensity");
        e = assertThrows(IllegalArgumentException.class, () -> ModelCard.read(missing, "m.rfim"));
        assertTrue(e.getMessage().startsWith("model file m.rfim: metadata entry 'data.preprocess.intensity' is missing"), e.getMessage());

        for (String[] bad : new String[][] {{"model.width", "sixteen", "not a whole number"}, {"model.norm", "layer", "not one of batch, group"},
                {"data.image_size", "32", "not HEIGHTxWIDTH"}, {"data.preprocess.percentiles", "1;2", "not LOW,HIGH"},
                {"model.width", "7", "model.width must be an even number"}, {"data.channels", "3", "model.in_channels 1 differs from data.channels 3"}}) {
            Map<String, String> b = new LinkedHashMap<>(unusual().toMetadata());
            b.put(bad[0], bad[1]);
            e = assertThrows(IllegalArgumentException.class, () -> ModelCard.read(b, "b.rfim"), bad[0]);
            assertTrue(e.getMessage().startsWith("model file b.rfim: "), e.getMessage());
            assertTrue(e.getMessage().contains(bad[2]), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line");
        }
    }

    @Test
    void differencesNameEverySettingThatDiffers() {
        ModelCard card = unusual();
        assertEquals(List.of(), card.differences(card.unet(), card.preprocessing(), "--config"));
        List<String> d = card.differences(new UNetConfig(1, 1, 8, 4, NormType.GROUP, 4), card.preprocessing().withSize(64, 64), "--config");
        assertEquals(List.of("model.width 12 in the file, 8 in --config", "data.image_size 48x64 in the file, 64x64 in --config"), d);
    }

    @Test
    void aSiteCardHasTheSizeOfItsSamplesAndItsLabelRule() {
        FederationConfig cfg = FederationConfig.parse("""
                data:
                  root: '.'
                  image_size: 32
                  preprocess: {intensity: minmax}
                  sites:
                    - {name: A, folder: a, images: '*.png', mask: '{stem}.png', label: {threshold: 1, invert: true}}
                    - {name: B, folder: b, images: '*.png', mask: '{stem}.png'}
                """, Path.of("."), "test");
        assertEquals("threshold=1,invert=true", ModelCard.labelConvention(cfg, "A"));
        assertEquals("threshold=128,invert=false", ModelCard.labelConvention(cfg, "B"));
        assertEquals("synthetic (1 = vessel)", ModelCard.labelConvention(FederationConfig.defaults(), "synthetic-1"));
        // the training size recorded is the size the samples have, not what the configuration asked for
        org.resfim.data.SiteDataset site = org.resfim.data.SyntheticSites.generate(1, 4, 24, 0).get(0);
        ModelCard c = ModelCard.of(FederationConfig.synthetic(1, 4, 32, 0), site, UNetConfig.reference(), "v", "c");
        assertEquals(24, c.preprocessing().height());
        assertEquals(24, c.preprocessing().width());
        Map<String, String> m = ModelCard.describing(FederationConfig.synthetic(1, 4, 24, 0), List.of(site), UNetConfig.reference(), "v", "c",
                Map.of("method", "fedavg")).apply(site.name());
        assertEquals("fedavg", m.get("method"));
        assertEquals("24x24", m.get("data.image_size"));
        assertThrows(IllegalStateException.class, () -> ModelCard.describing(FederationConfig.synthetic(1, 4, 24, 0), List.of(site),
                UNetConfig.reference(), "v", "c", Map.of()).apply("nowhere"));
    }

    @Test
    void aSiteStoreWritesTheCardIntoEveryModelFile(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        ModelCard card = unusual();
        Map<String, String> description = new LinkedHashMap<>(card.toMetadata());
        description.put("method", "fedavg");
        FileSiteStore store = new FileSiteStore(dir, site -> description);
        store.saveBest("A", 4, 0.75, oneTensor());
        store.save("A", 4, new ProcedureState(Map.of("model", oneTensor()), Map.of()));
        StateFile.Contents best = StateFile.readContents(store.bestFile("A"));
        assertEquals(card, ModelCard.read(best.metadata(), "best").orElseThrow());
        assertEquals("A", best.metadata().get("site"));
        assertEquals("4", best.metadata().get("round"));
        assertEquals("fedavg", best.metadata().get("method"));
        StateFile.Contents round = StateFile.readContents(dir.resolve("A/round-4/model.rfim"));
        assertEquals(card, ModelCard.read(round.metadata(), "round").orElseThrow());
        // a store without a description (the coordinator's checkpoints) writes none
        FileSiteStore plain = new FileSiteStore(dir.resolve("plain"));
        plain.saveBest("A", 1, 0.5, oneTensor());
        assertEquals(Optional.empty(), ModelCard.read(StateFile.readContents(plain.bestFile("A")).metadata(), "plain"));
    }
}
