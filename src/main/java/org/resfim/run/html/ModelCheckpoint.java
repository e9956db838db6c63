package org.resfim.run.html;

import org.resfim.report.*;

import org.resfim.federation.ModelCard;
import org.resfim.model.UNetArchitecture;
import org.resfim.model.UNetConfig;
import org.resfim.state.ModelState;
import org.resfim.state.StateFile;
import org.resfim.state.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A personal model saved by a run ({@code <method>/seed-S/sites/<site>/selected-model.rfim}), read and checked
 * against the U-Net it is meant for. A checkpoint of another architecture is refused with the first tensor
 * that differs (name and both shapes) and what the checkpoint looks like (width, depth, input channels, norm).
 */
public record ModelCheckpoint(Path file, ModelState state, Map<String, String> metadata) {

    /**
     * Reads {@code file} and checks it holds exactly the tensors of {@code expected}.
     *
     * @param configSource where {@code expected} came from, named in the refusal
     * @throws IllegalArgumentException for a missing, unreadable or mismatched checkpoint
     */
    public static ModelCheckpoint read(Path file, UNetConfig expected, String configSource) {
        return read(file).requireModel(expected, configSource);
    }

    /**
     * Reads {@code file} without checking its tensors against a model.
     *
     * @throws IllegalArgumentException for a missing or unreadable checkpoint
     */
    public static ModelCheckpoint read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("checkpoint " + file + " does not exist" + (Files.isDirectory(file) ? " (it is a folder)" : ""));
        }
        StateFile.Contents c;
        try {
            c = StateFile.readContents(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("checkpoint " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read checkpoint " + e.getMessage(), e);
        }
        return new ModelCheckpoint(file, c.state(), c.metadata());
    }

    /**
     * The settings the file records for applying it, or empty for a file written before ResFIM recorded them.
     *
     * @throws IllegalArgumentException naming the file and the entry when the recorded settings are not valid
     */
    public Optional<ModelCard> card() {
        return ModelCard.read(metadata, file.toString());
    }

    /**
     * This checkpoint when it holds exactly the tensors of {@code expected}.
     *
     * @param configSource where {@code expected} came from, named in the refusal
     * @throws IllegalArgumentException naming the first tensor that differs
     */
    public ModelCheckpoint requireModel(UNetConfig expected, String configSource) {
        String mismatch = mismatch(state, layout(expected));
        if (mismatch != null) {
            boolean fromCard = configSource.startsWith(ModelCard.SOURCE);
            throw new IllegalArgumentException("checkpoint " + file + " does not match the model configuration (" + describe(expected)
                    + ", from " + configSource + "): " + mismatch + "; the checkpoint looks like " + describe(state)
                    + (fromCard ? " — the settings recorded in the file do not describe its tensors (the file was edited or damaged)"
                    : " — give the configuration it was trained with (--config CONFIG.yaml or the run directory)"));
        }
        return this;
    }

    private static final Map<UNetConfig, ModelState> LAYOUTS = new java.util.concurrent.ConcurrentHashMap<>();

    private static ModelState layout(UNetConfig c) {
        return LAYOUTS.computeIfAbsent(c, UNetArchitecture::layout);
    }

    /** The first difference between a state and the layout of a model, or null when they match. */
    static String mismatch(ModelState state, ModelState layout) {
        for (Tensor e : layout.tensors()) {
            if (!state.contains(e.name())) {
                return "tensor '" + e.name() + "' " + Arrays.toString(e.shape()) + " is expected by the model but missing from the checkpoint";
            }
            Tensor t = state.get(e.name());
            if (!Arrays.equals(t.shape(), e.shape())) {
                return "tensor '" + e.name() + "' has shape " + Arrays.toString(t.shape()) + " in the checkpoint, the model expects "
                        + Arrays.toString(e.shape());
            }
        }
        for (Tensor t : state.tensors()) {
            if (!layout.contains(t.name())) {
                return "tensor '" + t.name() + "' " + Arrays.toString(t.shape()) + " is in the checkpoint but not part of the model";
            }
        }
        return null;
    }

    public static String describe(UNetConfig c) {
        return "width " + c.width() + ", depth " + c.depth() + ", " + c.inChannels() + " input channel" + (c.inChannels() == 1 ? "" : "s")
                + ", norm " + c.norm().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** What a state's tensors say about the U-Net that made it. */
    static String describe(ModelState s) {
        Tensor first = s.contains("d.0.c1.weight") ? s.get("d.0.c1.weight") : null;
        if (first == null || first.shape().length != 4) {
            return "no U-Net of this project (no tensor 'd.0.c1.weight'; " + s.size() + " tensors)";
        }
        TreeSet<Integer> stages = new TreeSet<>();
        for (String n : s.names()) {
            if (n.startsWith("d.")) {
                int dot = n.indexOf('.', 2);
                try {
                    stages.add(Integer.parseInt(n.substring(2, dot)));
                } catch (RuntimeException ignored) {
                    // not a stage tensor
                }
            }
        }
        String norm = s.contains("d.0.b1.running_mean") ? "batch" : s.contains("d.0.b1.weight") ? "group or instance" : "none";
        int cin = first.shape()[1];
        return "width " + first.shape()[0] + ", depth " + stages.size() + ", " + cin + " input channel" + (cin == 1 ? "" : "s") + ", norm " + norm;
    }
}
