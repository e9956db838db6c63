package org.resfim.run;

import org.resfim.data.FederationConfig;
import org.resfim.federation.EvaluationSettings;
import org.resfim.federation.FederationSettings;
import org.resfim.federation.TrainingSettings;
import org.resfim.model.UNetConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything a simulation needs, resolved: the data configuration, methods (specs), seeds, round,
 * training and evaluation settings, the network options, where to write the run, and the command-line
 * settings it came from (saved as run.json so {@code simulate --resume} rebuilds the same plan).
 */
public record RunPlan(FederationConfig data, List<String> methods, Map<String, Map<String, Object>> methodParams,
                             List<Long> seeds, FederationSettings federation, TrainingSettings training,
                             EvaluationSettings evaluation, ModelSettings model, Path out,
                             Plans.Overrides origin) {
}
