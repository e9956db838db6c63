package org.resfim.run;

import org.resfim.algorithms.AlgorithmRegistry;
import org.resfim.config.TopLevel;
import org.resfim.config.TopLevelSection;

import java.util.ArrayList;
import java.util.List;

/**
 * The top-level sections {@link Plans} reads besides the data package's own ({@code seed}, {@code data}, …): the
 * settings sections and every registered algorithm's own sections. Found by the file parser through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/org.resfim.config.TopLevel}).
 */
public final class ConfigSections implements TopLevel {
    /** The sections read by the settings classes (federation, training, evaluation, model, privacy) and the method list. */
    public static final List<String> SETTINGS = List.of("federation", "method", "training", "evaluation", "model", "privacy");

    @Override
    public List<String> sections() {
        List<String> out = new ArrayList<>(SETTINGS);
        for (TopLevelSection s : AlgorithmRegistry.topLevelSections()) {
            out.add(s.name());
        }
        return out;
    }
}
