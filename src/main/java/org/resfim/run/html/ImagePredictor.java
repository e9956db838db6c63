package org.resfim.run.html;

import org.resfim.report.*;

import org.resfim.data.FederationConfig;
import org.resfim.data.ImageDecoder;
import org.resfim.data.Preprocessing;
import org.resfim.data.RawImage;
import org.resfim.federation.ModelCard;
import org.resfim.model.UNetConfig;
import org.resfim.run.ModelSettings;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A trained personal model applied to image files of any format the data layer reads: each image is
 * prepared as in training (crop, intensity, channels, resize to the training resolution), segmented, and
 * the mask resized (nearest) back to the image's own size.
 */
public final class ImagePredictor implements AutoCloseable {

    /**
     * The model and preprocessing a checkpoint is used with, where they came from, the card the file records
     * (null for a file written before ResFIM recorded one) and what the user should be warned about (one line each).
     */
    public record Setup(UNetConfig unet, Preprocessing preprocessing, String source, ModelCard card, List<String> warnings) {
        public Setup {
            warnings = List.copyOf(warnings);
        }

        Setup(UNetConfig unet, Preprocessing preprocessing, String source) {
            this(unet, preprocessing, source, null, List.of());
        }
    }

    /** One image's result at its original size. */
    public record Result(Path input, boolean[] mask, int height, int width, BufferedImage overlay) {
        public double foreground() {
            int n = 0;
            for (boolean b : mask) {
                n += b ? 1 : 0;
            }
            return n / (double) Math.max(1, mask.length);
        }
    }

    private final Setup setup;
    private final SegmentationModel model;

    public ImagePredictor(Setup setup, ModelCheckpoint checkpoint) {
        this.setup = setup;
        this.model = new SegmentationModel(setup.unet(), checkpoint.state());
    }

    /** {@link #setup(ModelCheckpoint, Path, Integer)} for the checkpoint in {@code checkpoint}. */
    public static Setup setup(Path checkpoint, Path config, Integer size) {
        return setup(ModelCheckpoint.read(checkpoint), config, size);
    }

    /**
     * The model configuration for a checkpoint. A file that records its settings ({@link ModelCard}) is used with
     * them wherever it lies: {@code config} (a YAML configuration or a run directory), when given, must agree with
     * every one of them (else refused, naming the first setting that differs), and {@code size} (when not null)
     * replaces the training resolution with a warning. A file written before ResFIM recorded its settings is used
     * as before, with a warning naming what was assumed: {@code config} when given, else the run directory the
     * checkpoint lies in, else the defaults; {@code size} replaces the training resolution.
     *
     * @throws IllegalArgumentException (one line) for a contradiction, invalid recorded settings or a size the
     *                                  network cannot take
     */
    public static Setup setup(ModelCheckpoint checkpoint, Path config, Integer size) {
        if (size != null && size < 1) {
            throw new IllegalArgumentException("--size must be positive, got " + size);
        }
        Path file = checkpoint.file();
        ModelCard card = checkpoint.card().orElse(null);
        List<String> warnings = new ArrayList<>();
        Setup s;
        if (card != null) {
            if (config != null) {
                Setup given = fromConfig(config);
                List<String> diff = card.differences(given.unet(), given.preprocessing(), "--config");
                if (!diff.isEmpty()) {
                    throw new IllegalArgumentException("--config " + config + " contradicts the settings recorded in " + file + ": "
                            + String.join("; ", diff) + " — the file records what the model was trained with: drop --config"
                            + (diff.stream().allMatch(d -> d.startsWith("data.image_size ")) ? " (use --size to predict at another resolution)" : ""));
                }
            }
            Preprocessing p = card.preprocessing();
            String source = ModelCard.SOURCE;
            if (size != null && (size != p.height() || size != p.width())) {
                warnings.add("predicting at " + size + "x" + size + " (--size) although " + file + " was trained at " + p.height() + "x"
                        + p.width() + ": the masks differ from those at the training resolution");
                p = p.withSize(size, size);
                source += ", --size " + size;
            }
            s = new Setup(card.unet(), p, source, card, warnings);
        } else {
            if (config != null) {
                s = fromConfig(config);
            } else {
                Path run = enclosingRun(file);
                if (run != null) {
                    s = fromRun(run);
                } else {
                    FederationConfig cfg = FederationConfig.defaults();
                    s = new Setup(ModelSettings.from(Map.of()).unet(cfg.channels()), cfg.preprocessing(),
                            "the defaults (no --config, and " + file + " is not inside a run directory)");
                }
            }
            if (size != null) {
                s = new Setup(s.unet(), s.preprocessing().withSize(size, size), s.source() + ", --size " + size);
            }
            warnings.add(file + " records no model settings (written by an older ResFIM); assumed those of " + s.source() + ": U-Net "
                    + ModelCheckpoint.describe(s.unet()) + ", " + describe(s.preprocessing()));
            s = new Setup(s.unet(), s.preprocessing(), s.source(), null, warnings);
        }
        int m = s.unet().sizeMultiple();
        Preprocessing p = s.preprocessing();
        if (size != null && size % m != 0) {
            throw new org.resfim.config.OptionException("--size must be a multiple of " + m + ", which a depth-" + s.unet().depth()
                    + " U-Net needs (" + s.source() + "), got " + size);
        }
        if (p.height() % m != 0 || p.width() % m != 0) {
            throw new IllegalArgumentException("the training resolution " + p.height() + "x" + p.width() + " (" + s.source()
                    + ") is not a multiple of " + m + ", which a depth-" + s.unet().depth() + " U-Net needs: choose another --size");
        }
        return s;
    }

    /** What the data layer does to an image before the network, in words. */
    public static String describe(Preprocessing p) {
        String crop = switch (p.crop()) {
            case NONE -> "no crop";
            case SQUARE -> "square centre crop";
            case SIZE -> "centre crop " + p.cropHeight() + "x" + p.cropWidth();
        };
        String intensity = switch (p.intensity()) {
            case SCALE -> "intensity scaled by the bit depth";
            case MINMAX -> "intensity min-max stretched";
            case PERCENTILE -> "intensity stretched between percentiles " + p.lowPercentile() + " and " + p.highPercentile();
        };
        return "images at " + p.height() + "x" + p.width() + ", " + p.channels() + " channel" + (p.channels() == 1 ? "" : "s") + ", " + crop
                + ", " + intensity + ", " + p.interpolation().name().toLowerCase(java.util.Locale.ROOT) + " resize";
    }

    private static Setup fromConfig(Path config) {
        if (Files.isDirectory(config)) {
            return fromRun(config);
        }
        if (!Files.isRegularFile(config)) {
            throw new IllegalArgumentException("configuration " + config + " does not exist");
        }
        FederationConfig cfg = FederationConfig.load(config);
        ModelSettings m = ModelSettings.from(cfg.section("model"));
        return new Setup(m.unet(cfg.channels()), cfg.preprocessing(), config.toString());
    }

    private static Setup fromRun(Path runDir) {
        RunResults run = RunResults.read(runDir);
        FederationConfig cfg = run.dataConfig();
        return new Setup(run.model().unet(cfg.channels()), cfg.preprocessing(), "run directory " + runDir);
    }

    /** The nearest folder at or above the checkpoint that holds a resolved run configuration, or null. */
    static Path enclosingRun(Path checkpoint) {
        Path p = checkpoint.toAbsolutePath().normalize().getParent();
        while (p != null) {
            if (Files.isRegularFile(p.resolve(RunResults.RESOLVED))) {
                return p;
            }
            p = p.getParent();
        }
        return null;
    }

    public Setup setup() {
        return setup;
    }

    /** Segments one image file; an unreadable file is refused with its name. */
    public Result predict(Path file, double threshold) {
        if (!(threshold > 0 && threshold < 1)) {
            throw new IllegalArgumentException("--threshold must be in (0, 1), got " + threshold);
        }
        if (ImageDecoder.isNifti(file.getFileName().toString())) {
            throw new IllegalArgumentException(file + ": NIfTI volumes are not segmented by predict; export the slices as images");
        }
        RawImage raw = ImageDecoder.read(file);
        Preprocessing p = setup.preprocessing();
        ImagePreparation.Prepared in = ImagePreparation.prepare(raw, p);
        boolean[] small = model.predict(in.input(), in.channels(), in.height(), in.width(), threshold);
        boolean[] mask = ImagePreparation.restore(small, in);
        float[] shown = ImagePreparation.display(raw, p);
        BufferedImage overlay = Overlays.overlay(shown, raw.channels(), raw.height(), raw.width(), mask, Overlays.PREDICTION_RGB, 0.4);
        return new Result(file, mask, raw.height(), raw.width(), overlay);
    }

    @Override
    public void close() {
        model.close();
    }
}
