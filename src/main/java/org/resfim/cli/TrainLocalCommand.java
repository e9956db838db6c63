package org.resfim.cli;

import org.resfim.algorithms.Local;
import org.resfim.data.FederationConfig;
import org.resfim.data.FederationData;
import org.resfim.data.SiteDataset;
import org.resfim.engine.Djl;
import org.resfim.engine.UNet;
import org.resfim.federation.FileSiteStore;
import org.resfim.federation.ImageScore;
import org.resfim.federation.Message;
import org.resfim.federation.ModelCard;
import org.resfim.federation.Phase;
import org.resfim.federation.Reply;
import org.resfim.federation.Request;
import org.resfim.federation.SiteParticipant;
import org.resfim.federation.TrainingSettings;
import org.resfim.model.UNetConfig;
import org.resfim.run.BuildInfo;
import org.resfim.state.ModelState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code resfim train-local}: one U-Net on one folder of images and masks, without federation. The folder
 * is described as a one-site configuration, so every format and label rule of the data layer applies.
 */
@Command(name = "train-local", description = {"Train one U-Net on one folder of images and masks.",
        "Prints per-epoch loss and validation Dice and keeps the best model."})
public final class TrainLocalCommand implements Callable<Integer> {
    @Option(names = "--images", required = true, description = "Folder of images.")
    Path images;
    @Option(names = "--glob", defaultValue = "*", description = "Image file pattern inside --images (default: ${DEFAULT-VALUE}).")
    String glob;
    @Option(names = "--masks", required = true, description = "Folder of masks.")
    Path masks;
    @Option(names = "--mask-name", defaultValue = "{stem}.png",
            description = "Mask file name from the image's {stem}, {name}, {ext} (default: ${DEFAULT-VALUE}).")
    String maskName;
    @Option(names = "--threshold", defaultValue = "128", description = "Mask value >= threshold is foreground (default: ${DEFAULT-VALUE}).")
    int threshold;
    @Option(names = "--invert", description = "Foreground is below the threshold (e.g. 0 = prostate).")
    boolean invert;
    @Option(names = "--size", defaultValue = "128", description = "Training resolution (default: ${DEFAULT-VALUE}).")
    int size;
    @Option(names = "--epochs", defaultValue = "10", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;
    @Option(names = "--batch", defaultValue = "8", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Learning rate (default: ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--val", defaultValue = "0.2", description = "Validation fraction (default: ${DEFAULT-VALUE}).")
    double val;
    @Option(names = "--init", description = "Initial weights: torch-default (the default, as model.init) or kaiming-fan-out.")
    String weightInit;
    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--out", defaultValue = "runs/train-local", description = "Output folder for the model (default: ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--threads", defaultValue = "0", description = "libtorch threads (0 = all cores).")
    int threads;

    @Override
    public Integer call() throws Exception {
        OptionChecks.range("--threshold", threshold, 0, 65535, "a stored mask value");
        OptionChecks.imageSize("--size", size);
        OptionChecks.range("--epochs", epochs, 1, 100_000);
        org.resfim.model.WeightInit weights;
        try {
            weights = weightInit == null ? org.resfim.run.ModelSettings.defaultInit() : org.resfim.model.WeightInit.parse(weightInit);
        } catch (IllegalArgumentException e) {
            throw new org.resfim.config.OptionException("--init must be torch-default or kaiming-fan-out, got '" + weightInit + "'");
        }
        OptionChecks.range("--batch", batch, 1, 4096);
        OptionChecks.range("--lr", lr, 0, 10, false, true);
        OptionChecks.range("--val", val, 0, 1, false, false);
        OptionChecks.threads(threads);
        for (Path p : new Path[] {images, masks}) {
            if (!Files.isDirectory(p)) {
                throw new IllegalArgumentException("folder not found: " + p);
            }
        }
        Djl.setThreads(threads);
        Path imgAbs = images.toAbsolutePath().normalize();
        Path maskRel = imgAbs.relativize(masks.toAbsolutePath().normalize());
        String maskTemplate = (maskRel.toString().isEmpty() ? "" : maskRel.toString().replace('\\', '/') + "/") + maskName;
        String yaml = String.format(Locale.ROOT, """
                seed: %d
                data:
                  root: '%s'
                  image_size: %d
                  split: {train: %s, val: %s, test: 0.0}
                  defaults:
                    label: {threshold: %d, invert: %s}
                  sites:
                    - name: local
                      folder: .
                      images: '%s'
                      mask: '%s'
                """, seed, imgAbs.toString().replace("'", "''"), size, Double.toString(1 - val), Double.toString(val), threshold, invert,
                glob.replace("'", "''"), maskTemplate.replace("'", "''"));
        FederationConfig cfg = FederationConfig.parse(yaml, imgAbs, "train-local " + images);
        SiteDataset site = FederationData.load(cfg).get(0);
        if (site.val().isEmpty()) {
            throw new IllegalArgumentException("no validation images: " + site.size() + " images in " + images + " with --val " + val);
        }
        UNetConfig unet = UNetConfig.reference().withInChannels(cfg.channels());
        ModelState init;
        try (UNet net = new UNet(unet, seed, weights)) {
            init = net.toState();
        }
        Map<String, Object> tr = new LinkedHashMap<>();
        tr.put("lr", lr);
        tr.put("batch_size", batch);
        TrainingSettings training = TrainingSettings.from(tr);
        FileSiteStore store = new FileSiteStore(out, ModelCard.describing(cfg, List.of(site), unet, BuildInfo.version(), BuildInfo.commit(),
                Map.of("method", "train-local", "seed", Long.toString(seed))));
        SiteParticipant p = new SiteParticipant(site, new Local("local", Map.of()).newClient("local"), unet, training, epochs, seed,
                store, 1, cfg.augmentation());
        System.out.printf("train-local: %d training, %d validation images at %dx%d, %d epochs, %d threads%n",
                site.train().size(), site.val().size(), size, size, epochs, Djl.threads());
        p.handle(new Request(Phase.SETUP, 0, Message.of(init)));
        for (int e = 1; e <= epochs; e++) {
            Reply fit = p.handle(new Request(Phase.FIT, e, Message.empty()));
            Reply ev = p.handle(new Request(Phase.EVALUATE, e, Message.empty()));
            double dice = ev.scores().stream().filter(s -> s.split().equals("val")).mapToDouble((ImageScore s) -> s.metrics().dice())
                    .average().orElse(Double.NaN);
            System.out.printf(Locale.ROOT, "epoch %3d  loss %.4f  val Dice %.4f  (%.1fs)%n", e, fit.stats().get("train_loss"), dice,
                    fit.stats().get("fit_seconds"));
        }
        store.pruneRounds();
        System.out.println("best model: " + store.bestFile("local"));
        return 0;
    }
}
