package org.resfim.report.html;

import org.resfim.report.*;

import org.resfim.data.FederationConfig;
import org.resfim.data.ImageDecoder;
import org.resfim.data.Preprocessing;
import org.resfim.data.RawImage;
import org.resfim.engine.UNetConfig;
import org.resfim.run.ModelSettings;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A trained personal model applied to image files of any format the data layer reads: each image is
 * prepared as in training (crop, intensity, channels, resize to the training resolution), segmented, and
 * the mask resized (nearest) back to the image's own size.
 */
public final class ImagePredictor implements AutoCloseable {

    /** The model and preprocessing a checkpoint is used with, and where they came from. */
    public record Setup(UNetConfig unet, Preprocessing preprocessing, String source) {
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

    /**
     * The model configuration for a checkpoint: from {@code config} (a YAML configuration or a run
     * directory) when given, else from the run directory the checkpoint lies in, else the defaults;
     * {@code size} (when not null) replaces the training resolution.
     */
    public static Setup setup(Path checkpoint, Path config, Integer size) {
        Setup s;
        if (config != null) {
            if (Files.isDirectory(config)) {
                s = fromRun(config);
            } else if (!Files.isRegularFile(config)) {
                throw new IllegalArgumentException("configuration " + config + " does not exist");
            } else {
                FederationConfig cfg = FederationConfig.load(config);
                ModelSettings m = ModelSettings.from(cfg.section("model"));
                s = new Setup(m.unet(cfg.channels()), cfg.preprocessing(), config.toString());
            }
        } else {
            Path run = enclosingRun(checkpoint);
            if (run != null) {
                s = fromRun(run);
            } else {
                FederationConfig cfg = FederationConfig.defaults();
                s = new Setup(ModelSettings.from(Map.of()).unet(cfg.channels()), cfg.preprocessing(),
                        "the defaults (no --config, and " + checkpoint + " is not inside a run directory)");
            }
        }
        if (size != null) {
            if (size < 1) {
                throw new IllegalArgumentException("--size must be positive, got " + size);
            }
            s = new Setup(s.unet(), s.preprocessing().withSize(size, size), s.source() + ", --size " + size);
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
