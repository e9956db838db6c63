package org.resfim.cli;

import org.resfim.data.ImageDecoder;
import org.resfim.federation.ModelCard;
import org.resfim.run.html.ImagePredictor;
import org.resfim.run.html.ModelCheckpoint;
import org.resfim.run.html.Overlays;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code resfim predict --model CHECKPOINT --input IMAGE_OR_DIR --out DIR}: masks and overlays from a trained personal model. */
@Command(name = "predict", description = {
        "Segment images with a trained personal model.",
        "For each image write NAME_mask.png (0/255, the image's own size) and NAME_overlay.png (the prediction drawn",
        "over the image). Reads PNG, JPEG, GIF, BMP, TIFF and PPM/PGM/PBM.",
        "A model file records the settings it was trained with (U-Net, training size, preprocessing) and is applied with them",
        "wherever it lies; --config must agree with them, --size predicts at another resolution (with a warning).",
        "A file written by an older ResFIM records none: then the settings come from --config, else from the run directory",
        "the checkpoint lies in, else the defaults (with a warning naming them); a checkpoint that does not match them is",
        "refused, naming the first tensor that differs."})
public final class PredictCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "CHECKPOINT",
            description = "A model file (.rfim) written by a run, e.g. RUN/pfl-resfim/seed-0/sites/SITE/selected-model.rfim.")
    Path model;
    @Option(names = "--input", required = true, paramLabel = "IMAGE_OR_DIR", description = "An image, or a folder whose images are all segmented.")
    Path input;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for the masks and overlays (created).")
    Path out;
    @Option(names = "--config", paramLabel = "CONFIG", description = "The configuration the model was trained with (YAML) or its run directory:"
            + " needed only for a model file written by an older ResFIM; for a newer one it must agree with the settings the file records.")
    Path config;
    @Option(names = "--size", description = "Resolution (square) to predict at instead of the training resolution (warned when it differs from the one the file records).")
    Integer size;
    @Option(names = "--threshold", defaultValue = "0.5", description = "Foreground where sigmoid(logit) > threshold (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Override
    public Integer call() {
        OptionChecks.range("--threshold", threshold, 0, 1, false, false);
        if (size != null) {
            OptionChecks.range("--size", size, 1, 100_000);
        }
        List<Path> images = inputs(input);
        ModelCheckpoint ck = ModelCheckpoint.read(model);
        ImagePredictor.Setup setup = ImagePredictor.setup(ck, config, size);
        ck.requireModel(setup.unet(), setup.source());
        setup.warnings().forEach(w -> System.err.println("warning: " + w));
        ModelCard card = setup.card();
        System.out.printf("model %s%s: U-Net %s, images at %dx%d (configuration: %s)%n", model,
                ck.metadata().containsKey("site") ? " (site " + ck.metadata().get("site") + ", round " + ck.metadata().getOrDefault("round", "?") + ")" : "",
                ModelCheckpoint.describe(setup.unet()), setup.preprocessing().height(), setup.preprocessing().width(), setup.source());
        if (card != null) {
            System.out.printf("  trained by ResFIM %s (commit %s) on %s; foreground (255 in the masks) is label 1 of its training masks (%s)%n",
                    card.version(), card.commit(), ImagePredictor.describe(card.preprocessing()), card.label());
        }
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + out + ": " + e.getMessage(), e);
        }
        List<String> failed = new ArrayList<>();
        Set<String> used = new HashSet<>();
        try (ImagePredictor predictor = new ImagePredictor(setup, ck)) {
            for (Path f : images) {
                ImagePredictor.Result r;
                try {
                    r = predictor.predict(f, threshold);
                } catch (RuntimeException e) {
                    if (images.size() == 1) {
                        throw e;
                    }
                    System.err.println("error: " + Main.oneLine(e));
                    failed.add(f.toString());
                    continue;
                }
                String stem = stem(f, used);
                Path mask = out.resolve(stem + "_mask.png");
                Path overlay = out.resolve(stem + "_overlay.png");
                write(Overlays.mask(r.mask(), r.height(), r.width()), mask);
                write(r.overlay(), overlay);
                System.out.printf(Locale.ROOT, "%s -> %s, %s (%dx%d, foreground %.1f%%)%n", f, mask, overlay, r.width(), r.height(), 100 * r.foreground());
            }
        }
        if (!failed.isEmpty()) {
            System.err.println("error: " + failed.size() + " of " + images.size() + " images could not be segmented: " + String.join(", ", failed));
            return 1;
        }
        return 0;
    }

    static List<Path> inputs(Path input) {
        if (!Files.exists(input)) {
            throw new IllegalArgumentException("input " + input + " does not exist");
        }
        if (!Files.isDirectory(input)) {
            return List.of(input);
        }
        List<Path> out;
        try (Stream<Path> s = Files.list(input)) {
            out = s.filter(Files::isRegularFile).filter(p -> ImageDecoder.IMAGE_EXTENSIONS.contains(ImageDecoder.extension(p.getFileName().toString())))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + input + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no image in " + input + " (looked for ." + String.join(", .", ImageDecoder.IMAGE_EXTENSIONS.stream().sorted().toList()) + ")");
        }
        return out;
    }

    private static String stem(Path f, Set<String> used) {
        String name = f.getFileName().toString();
        String ext = ImageDecoder.extension(name);
        String stem = ext.isEmpty() ? name : name.substring(0, name.length() - ext.length() - 1);
        if (!used.add(stem)) {
            stem = name.replace('.', '_');
            used.add(stem);
        }
        return stem;
    }

    private static void write(java.awt.image.BufferedImage img, Path file) {
        try {
            if (!ImageIO.write(img, "png", file.toFile())) {
                throw new IllegalStateException("no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
