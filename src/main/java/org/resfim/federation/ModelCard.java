package org.resfim.federation;

import org.resfim.data.FederationConfig;
import org.resfim.data.LabelRule;
import org.resfim.data.Preprocessing;
import org.resfim.data.SiteConfig;
import org.resfim.data.SiteDataset;
import org.resfim.model.NormType;
import org.resfim.model.UNetConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * What applying a model file needs, written into the file's metadata so that the file is enough wherever it
 * is copied: the U-Net (its {@link UNetConfig}), the preprocessing the data layer applied to every training
 * image before the network ({@link Preprocessing}: training size, channels, crop, intensity rule, resize
 * interpolation), how the site's masks became labels (what the predicted foreground means), and the ResFIM
 * version and commit that trained it.
 *
 * <p>The entries are plain strings in the {@code .rfim} metadata map, named after the configuration keys they
 * come from ({@code model.width}, {@code data.image_size}, ...). {@link #KEY} holds the version of this
 * description; a file without it was written by a ResFIM that did not record it.
 *
 * @param unet          the network
 * @param preprocessing what turned a training image into the network's input (size = the training size)
 * @param label         how the training masks became labels (label 1 is the foreground the model predicts)
 * @param version       ResFIM version that trained the model
 * @param commit        ResFIM git commit that trained the model
 */
public record ModelCard(UNetConfig unet, Preprocessing preprocessing, String label, String version, String commit) {
    /** Metadata key whose presence marks a model card; its value is the card's version. */
    public static final String KEY = "resfim.model_card";
    /** Version of the card written by this build (readers accept this version and below). */
    public static final int VERSION = 1;
    /** How messages name settings that came from a card. */
    public static final String SOURCE = "the settings recorded in the model file";

    /** The metadata keys that determine what the network computes from an image, in the order they are written. */
    public static final List<String> INFERENCE_KEYS = List.of(
            "model.in_channels", "model.classes", "model.width", "model.depth", "model.norm", "model.groups",
            "data.image_size", "data.channels", "data.preprocess.center_crop", "data.preprocess.intensity",
            "data.preprocess.percentiles", "data.preprocess.interpolation");

    public ModelCard {
        Objects.requireNonNull(unet, "unet");
        Objects.requireNonNull(preprocessing, "preprocessing");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(commit, "commit");
        if (unet.inChannels() != preprocessing.channels()) {
            throw new IllegalArgumentException("model.in_channels " + unet.inChannels() + " differs from data.channels " + preprocessing.channels());
        }
    }

    /**
     * The card of a site's model: the network, the configuration's preprocessing at the size the site's samples
     * actually have, and the site's label rule.
     */
    public static ModelCard of(FederationConfig config, SiteDataset site, UNetConfig unet, String version, String commit) {
        Preprocessing p = config.preprocessing().withSize(site.height(), site.width());
        return new ModelCard(unet, p, labelConvention(config, site.name()), version, commit);
    }

    /**
     * For a {@link FileSiteStore}: per site of {@code sites}, the metadata of its card followed by
     * {@code provenance} (method, seed, ...).
     */
    public static Function<String, Map<String, String>> describing(FederationConfig config, List<SiteDataset> sites, UNetConfig unet,
                                                                  String version, String commit, Map<String, String> provenance) {
        Map<String, Map<String, String>> bySite = new LinkedHashMap<>();
        for (SiteDataset d : sites) {
            Map<String, String> m = new LinkedHashMap<>(of(config, d, unet, version, commit).toMetadata());
            m.putAll(provenance);
            bySite.put(d.name(), java.util.Collections.unmodifiableMap(m));
        }
        return site -> {
            Map<String, String> m = bySite.get(site);
            if (m == null) {
                throw new IllegalStateException("no model description for site '" + site + "' (described: " + bySite.keySet() + ")");
            }
            return m;
        };
    }

    /** How a site's masks become labels: its label rule, or the synthetic generator's convention. */
    public static String labelConvention(FederationConfig config, String site) {
        if (config.isSynthetic()) {
            return "synthetic (1 = vessel)";
        }
        for (SiteConfig sc : config.sites()) {
            if (sc.name().equals(site)) {
                return sc.label().signature();
            }
        }
        return LabelRule.DEFAULT.signature();
    }

    // ---------------------------------------------------------------- writing

    /** The metadata entries of this card (insertion-ordered). */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(KEY, Integer.toString(VERSION));
        m.put("resfim.version", version);
        m.put("resfim.commit", commit);
        m.putAll(inference(unet, preprocessing));
        m.put("data.label", label);
        return m;
    }

    /** The {@link #INFERENCE_KEYS} entries of a network and a preprocessing. */
    public static Map<String, String> inference(UNetConfig unet, Preprocessing p) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("model.in_channels", Integer.toString(unet.inChannels()));
        m.put("model.classes", Integer.toString(unet.classes()));
        m.put("model.width", Integer.toString(unet.width()));
        m.put("model.depth", Integer.toString(unet.depth()));
        m.put("model.norm", unet.norm().name().toLowerCase(Locale.ROOT));
        m.put("model.groups", Integer.toString(unet.groups()));
        m.put("data.image_size", p.height() + "x" + p.width());
        m.put("data.channels", Integer.toString(p.channels()));
        m.put("data.preprocess.center_crop", switch (p.crop()) {
            case NONE -> "none";
            case SQUARE -> "square";
            case SIZE -> p.cropHeight() + "x" + p.cropWidth();
        });
        m.put("data.preprocess.intensity", p.intensity().name().toLowerCase(Locale.ROOT));
        m.put("data.preprocess.percentiles", p.lowPercentile() + "," + p.highPercentile());
        m.put("data.preprocess.interpolation", p.interpolation().name().toLowerCase(Locale.ROOT));
        return m;
    }

    // ---------------------------------------------------------------- reading

    /**
     * The card recorded in a model file's metadata, or empty when the file has none (written by a ResFIM that
     * did not record it).
     *
     * @param source names the file in error messages
     * @throws IllegalArgumentException (one line naming {@code source} and the entry) for a card of a newer
     *                                  version, a missing entry or a value that is not valid
     */
    public static Optional<ModelCard> read(Map<String, String> metadata, String source) {
        String v = metadata.get(KEY);
        if (v == null) {
            return Optional.empty();
        }
        Fields f = new Fields(metadata, source);
        int version = f.integer(KEY);
        if (version < 1 || version > VERSION) {
            throw f.bad(KEY, "model card version " + version + " is not one this ResFIM reads (1 to " + VERSION
                    + "): the file was written by a newer ResFIM");
        }
        int inChannels = f.integer("model.in_channels");
        int classes = f.integer("model.classes");
        int width = f.integer("model.width");
        int depth = f.integer("model.depth");
        NormType norm = f.choice("model.norm", NormType.class);
        int groups = f.integer("model.groups");
        int[] size = f.size("data.image_size");
        int channels = f.integer("data.channels");
        String crop = f.string("data.preprocess.center_crop");
        Preprocessing.Crop cropMode = crop.equals("none") ? Preprocessing.Crop.NONE
                : crop.equals("square") ? Preprocessing.Crop.SQUARE : Preprocessing.Crop.SIZE;
        int[] cropSize = cropMode == Preprocessing.Crop.SIZE ? f.size("data.preprocess.center_crop") : new int[] {0, 0};
        Preprocessing.Intensity intensity = f.choice("data.preprocess.intensity", Preprocessing.Intensity.class);
        double[] pct = f.percentiles("data.preprocess.percentiles");
        Preprocessing.Interpolation interpolation = f.choice("data.preprocess.interpolation", Preprocessing.Interpolation.class);
        String label = f.string("data.label");
        String resfim = f.string("resfim.version");
        String commit = f.string("resfim.commit");
        try {
            UNetConfig unet = new UNetConfig(inChannels, classes, width, depth, norm, groups);
            Preprocessing p = new Preprocessing(size[0], size[1], channels, cropMode, cropSize[0], cropSize[1], intensity, pct[0], pct[1],
                    interpolation);
            return Optional.of(new ModelCard(unet, p, label, resfim, commit));
        } catch (IllegalArgumentException e) {
            throw f.wrap(e);
        }
    }

    /**
     * The recorded settings that differ from a network and preprocessing given otherwise, as
     * {@code "key: VALUE in the file, OTHER in WHERE"} phrases (empty when none differs).
     */
    public List<String> differences(UNetConfig otherUnet, Preprocessing otherPreprocessing, String where) {
        Map<String, String> mine = inference(unet, preprocessing);
        Map<String, String> other = inference(otherUnet, otherPreprocessing);
        List<String> out = new ArrayList<>();
        for (String k : INFERENCE_KEYS) {
            if (!mine.get(k).equals(other.get(k))) {
                out.add(k + " " + mine.get(k) + " in the file, " + other.get(k) + " in " + where);
            }
        }
        return out;
    }

    /** Bounds- and type-checked access to the card's entries. */
    private record Fields(Map<String, String> metadata, String source) {
        String string(String key) {
            String v = metadata.get(key);
            if (v == null) {
                throw new IllegalArgumentException("model file " + source + ": metadata entry '" + key + "' is missing (model card "
                        + metadata.get(KEY) + ")");
            }
            return v;
        }

        int integer(String key) {
            String v = string(key);
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw bad(key, "'" + v + "' is not a whole number");
            }
        }

        <E extends Enum<E>> E choice(String key, Class<E> type) {
            String v = string(key);
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(v.trim())) {
                    return e;
                }
            }
            List<String> names = new ArrayList<>();
            for (E e : type.getEnumConstants()) {
                names.add(e.name().toLowerCase(Locale.ROOT));
            }
            throw bad(key, "'" + v + "' is not one of " + String.join(", ", names));
        }

        int[] size(String key) {
            String v = string(key);
            String[] hw = v.split("x", -1);
            try {
                if (hw.length == 2) {
                    return new int[] {Integer.parseInt(hw[0].trim()), Integer.parseInt(hw[1].trim())};
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw bad(key, "'" + v + "' is not HEIGHTxWIDTH");
        }

        double[] percentiles(String key) {
            String v = string(key);
            String[] lh = v.split(",", -1);
            try {
                if (lh.length == 2) {
                    return new double[] {Double.parseDouble(lh[0].trim()), Double.parseDouble(lh[1].trim())};
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw bad(key, "'" + v + "' is not LOW,HIGH");
        }

        IllegalArgumentException bad(String key, String why) {
            return new IllegalArgumentException("model file " + source + ": metadata entry '" + key + "': " + why);
        }

        IllegalArgumentException wrap(IllegalArgumentException e) {
            return new IllegalArgumentException("model file " + source + ": recorded settings are not valid: " + e.getMessage(), e);
        }
    }
}
