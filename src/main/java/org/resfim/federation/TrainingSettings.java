package org.resfim.federation;

import org.resfim.config.ConfigKey;
import org.resfim.config.Origin;
import org.resfim.config.Section;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Local-training settings shared by every algorithm (METHOD.md: Adam, weight decay 5e-4, lr 1e-3
 * halved every T/4 rounds, batch 8, E = 1).
 */
public record TrainingSettings(double learningRate, double weightDecay, int batchSize, int localEpochs,
                               double lrDecayFactor, double lrDecayEvery, String device) {
    /** What {@code training.device} accepts: the CPU, or a CUDA GPU (the first, or by its index). */
    public static final String DEVICE_PATTERN = "cpu|cuda(:\\d{1,3})?";

    public TrainingSettings(double learningRate, double weightDecay, int batchSize, int localEpochs, double lrDecayFactor, double lrDecayEvery) {
        this(learningRate, weightDecay, batchSize, localEpochs, lrDecayFactor, lrDecayEvery, "cpu");
    }

    public static final List<ConfigKey> KEYS = List.of(
            new ConfigKey("training", "lr", 1e-3, "Adam learning rate (1e-3 vessels/glands, 1e-4 prostate)"),
            new ConfigKey("training", "weight_decay", 5e-4, "Adam L2 weight decay"),
            new ConfigKey("training", "batch_size", 8, "mini-batch size"),
            new ConfigKey("training", "local_epochs", 1, "local epochs per round (E)"),
            new ConfigKey("training", "lr_decay", 0.5, "learning-rate factor applied every lr_decay_every of the rounds"),
            new ConfigKey("training", "lr_decay_every", 0.25, "fraction of the rounds T after which the learning rate is multiplied by lr_decay (T/4)"),
            new ConfigKey("training", "device", "cpu", "where libtorch trains: cpu, cuda (the first GPU) or cuda:N; cuda needs the CUDA build (mvn -Pcuda)"));

    public static TrainingSettings from(Map<String, Object> section) {
        return from(section, Origin.NONE);
    }

    /** The {@code training:} section; errors name {@code origin}'s file, or the option that set a key. */
    public static TrainingSettings from(Map<String, Object> section, Origin origin) {
        Section s = new Section("training", section, KEYS, origin);
        return new TrainingSettings(
                s.getDouble("lr", 0, 10, false, true),
                s.getDouble("weight_decay", 0, 1, true, true),
                s.getInt("batch_size", 1, 4096),
                s.getInt("local_epochs", 1, 1000),
                s.getDouble("lr_decay", 0, 1, false, true),
                s.getDouble("lr_decay_every", 0, 1, false, true),
                device(s));
    }

    private static String device(Section s) {
        String d = s.getString("device");
        String v = d == null ? "cpu" : d.trim().toLowerCase(java.util.Locale.ROOT);
        if (!v.matches(DEVICE_PATTERN)) {
            throw s.badValue("device", "must be cpu, cuda or cuda:N (a GPU's index), got '" + d + "'");
        }
        return v;
    }

    /** The settings under their configuration keys, as a configuration file writes them. */
    public Map<String, Object> toConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lr", learningRate);
        m.put("weight_decay", weightDecay);
        m.put("batch_size", batchSize);
        m.put("local_epochs", localEpochs);
        m.put("lr_decay", lrDecayFactor);
        m.put("lr_decay_every", lrDecayEvery);
        if (!device.equals("cpu")) { // absent on the CPU: the settings (and their hash) of CPU runs are those of before
            m.put("device", device);
        }
        return m;
    }

    public TrainingSettings withLocalEpochs(int e) {
        return new TrainingSettings(learningRate, weightDecay, batchSize, e, lrDecayFactor, lrDecayEvery, device);
    }

    /** Learning rate of {@code round} (1-based) in a run of {@code rounds} rounds: lr·factor^⌊(round−1)/max(1, ⌊T·every⌋)⌋. */
    public double learningRate(int round, int rounds) {
        int every = Math.max(1, (int) Math.floor(rounds * lrDecayEvery));
        return learningRate * Math.pow(lrDecayFactor, (round - 1) / every);
    }
}
