package org.resfim.run;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.resfim.state.Jackson;

/** {@code run.json}: the command-line settings of a run, so {@code simulate --resume DIR} rebuilds the same plan. */
public final class ResumeInfo {
    public static final String FILE = "run.json";

    private ResumeInfo() {
    }

    public static void write(Path runDir, Plans.Overrides o) {
        write(runDir, o, true);
    }

    /**
     * {@code engine}: whether this process runs libtorch; a deployment's coordinator does not (its sites train), so
     * it records no thread count and loads no libtorch to ask for one.
     */
    public static void write(Path runDir, Plans.Overrides o, boolean engine) {
        String startedBy = startedBy(runDir);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config", o.config() == null ? null : o.config().toString());
        m.put("data_root", o.dataRoot() == null ? null : o.dataRoot().toString());
        m.put("methods", o.methods());
        m.put("seeds", o.seeds());
        m.put("rounds", o.rounds());
        m.put("local_epochs", o.localEpochs());
        m.put("folds", o.folds());
        m.put("threads", engine ? org.resfim.engine.Djl.threads() : null);
        m.put("started_by", startedBy != null ? startedBy : BuildInfo.commit());
        m.put("last_run_by", BuildInfo.commit());
        Simulation.write(runDir.resolve(FILE), Simulation.json(m));
    }

    /** The ResFIM commit that started the run in {@code runDir}; null when unknown (no run yet, or an older run.json). */
    public static String startedBy(Path runDir) {
        Path f = runDir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            JsonNode n = Jackson.MAPPER.readTree(f.toFile()).path("started_by");
            return n.isTextual() ? n.asText() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** libtorch threads of the original run (float reductions, hence results, depend on it); 0 when unknown. */
    public static int threads(Path runDir) {
        try {
            return Jackson.MAPPER.readTree(runDir.resolve(FILE).toFile()).path("threads").asInt(0);
        } catch (IOException e) {
            return 0;
        }
    }

    public static Plans.Overrides read(Path runDir) {
        Path f = runDir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException("cannot resume: " + f + " not found (is " + runDir + " a run directory?)");
        }
        try {
            JsonNode n = Jackson.MAPPER.readTree(f.toFile());
            List<String> methods = new ArrayList<>();
            n.path("methods").forEach(x -> methods.add(x.asText()));
            List<Long> seeds = new ArrayList<>();
            n.path("seeds").forEach(x -> seeds.add(x.asLong()));
            return new Plans.Overrides(n.path("config").isNull() ? null : Path.of(n.path("config").asText()),
                    n.path("data_root").isNull() ? null : Path.of(n.path("data_root").asText()),
                    methods, seeds, n.path("rounds").asInt(), n.path("local_epochs").asInt(), n.path("folds").asInt(), runDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }
}
