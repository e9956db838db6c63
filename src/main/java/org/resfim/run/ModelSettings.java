package org.resfim.run;

import org.resfim.config.ConfigKey;
import org.resfim.config.Origin;
import org.resfim.config.Section;
import org.resfim.model.NormType;
import org.resfim.model.UNetArchitecture;
import org.resfim.model.UNetConfig;
import org.resfim.model.WeightInit;
import org.resfim.state.ModelState;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The {@code model:} section: U-Net width, depth and normalisation (input channels come from the data). */
public record ModelSettings(int width, int depth, NormType norm, int groups, WeightInit init) {
    public static final List<ConfigKey> KEYS = List.of(
            new ConfigKey("model", "width", 16, "channels of the first U-Net stage (doubled per stage)"),
            new ConfigKey("model", "depth", 5, "encoder stages"),
            new ConfigKey("model", "norm", "batch", "normalisation: batch, group, instance or none"),
            new ConfigKey("model", "groups", 8, "groups of GroupNorm (norm = group)"),
            new ConfigKey("model", "init", "torch-default", "initial weights: torch-default (PyTorch's Conv2d initialisation: uniform, "
                    + "bound 1/sqrt(fan_in), weights and biases; +5.7 Dice on the vessel sites' Local, see README) or kaiming-fan-out "
                    + "(Kaiming normal, fan_out, zero conv biases: the default before 2026-12)"));

    public static ModelSettings from(Map<String, Object> section) {
        return from(section, Origin.NONE);
    }

    /** The {@code model:} section; errors name {@code origin}'s file. */
    public static ModelSettings from(Map<String, Object> section, Origin origin) {
        Section s = new Section("model", section, KEYS, origin);
        NormType norm = NormType.valueOf(s.getChoice("norm", List.of("batch", "group", "instance", "none")).toUpperCase(Locale.ROOT));
        WeightInit init = s.getChoice("init", WeightInit.class);
        return new ModelSettings(s.getInt("width", 2, 1024), s.getInt("depth", 2, 7), norm, s.getInt("groups", 1, 1024), init);
    }

    /** The initialisation when the configuration names none. */
    public static WeightInit defaultInit() {
        return WeightInit.parse((String) KEYS.stream().filter(k -> k.name().equals("init")).findFirst().orElseThrow().defaultValue());
    }

    /**
     * The initial model of this configuration, its weights drawn by {@link #init} from {@code seed}: the state a
     * site's network of the same seed starts from, bit for bit, built without a deep-learning engine (the server
     * needs none).
     */
    public ModelState initialState(int inChannels, long seed) {
        return UNetArchitecture.initialState(unet(inChannels), seed, init);
    }

    /** The settings under their configuration keys, as a configuration file writes them ({@code norm: batch}). */
    public Map<String, Object> toConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("width", width);
        m.put("depth", depth);
        m.put("norm", norm.name().toLowerCase(Locale.ROOT));
        m.put("groups", groups);
        m.put("init", init.key());
        return m;
    }

    public UNetConfig unet(int inChannels) {
        return new UNetConfig(inChannels, 1, width, depth, norm, groups);
    }
}
