package org.resfim.run;

import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A planned run directory's cells as cluster jobs: a Slurm job array (one array task per cell) or a Kubernetes Indexed
 * Job (one completion index per cell). Every task runs {@code resfim simulate --resume DIR --cell INDEX} in the shared
 * run directory; the cell that completes the plan writes the tables.
 */
public final class ClusterJobs {
    private ClusterJobs() {
    }

    /** What a Slurm array task asks for; null fields are left to the cluster's defaults. */
    public record SlurmOptions(String partition, String time, int cpus, int gpus, String memory, Integer maxParallel, String resfim) {
    }

    /** What a Kubernetes pod asks for, where the run directory is and which image runs. */
    public record K8sOptions(String image, String claim, Path mountPath, int cpus, String memory, int gpus, Integer parallelism,
                             int retries, String namespace) {
    }

    /** The sbatch script: one array index per cell, a log per cell under {@code DIR/sweep/logs}. */
    public static String slurm(Path runDir, List<Cell> cells, SlurmOptions o) {
        Path dir = runDir.toAbsolutePath().normalize();
        if (cells.isEmpty()) {
            throw new IllegalArgumentException(dir + ": the plan has no cells");
        }
        StringBuilder b = new StringBuilder("#!/bin/bash\n");
        b.append("#SBATCH --job-name=").append(jobName(dir)).append('\n');
        b.append("#SBATCH --array=0-").append(cells.size() - 1).append(o.maxParallel() == null ? "" : "%" + o.maxParallel()).append('\n');
        b.append("#SBATCH --output=").append(dir.resolve("sweep").resolve("logs")).append("/cell-%a.log\n");
        b.append("#SBATCH --ntasks=1\n");
        b.append("#SBATCH --cpus-per-task=").append(o.cpus()).append('\n');
        if (o.partition() != null) {
            b.append("#SBATCH --partition=").append(o.partition()).append('\n');
        }
        if (o.time() != null) {
            b.append("#SBATCH --time=").append(o.time()).append('\n');
        }
        if (o.memory() != null) {
            b.append("#SBATCH --mem=").append(o.memory()).append('\n');
        }
        if (o.gpus() > 0) {
            b.append("#SBATCH --gres=gpu:").append(o.gpus()).append('\n');
        }
        b.append("# ResFIM: the ").append(cells.size()).append(" cells of ").append(dir).append(", one array task each.\n");
        b.append("# Submit: sbatch ").append(dir.resolve("sweep").resolve("slurm.sbatch")).append('\n');
        b.append("# A task that was stopped (time limit, preemption) continues from its cell's checkpoint when it runs again:\n");
        b.append("#   sbatch --array=I ").append(dir.resolve("sweep").resolve("slurm.sbatch")).append('\n');
        b.append("# Missing cells: resfim report ").append(dir).append('\n');
        for (Cell c : cells) {
            b.append("# cell ").append(c.index()).append(": ").append(c.id()).append('\n');
        }
        b.append("set -euo pipefail\n");
        b.append("export OMP_WAIT_POLICY=\"${OMP_WAIT_POLICY:-PASSIVE}\"\n");
        b.append("exec ").append(o.resfim()).append(" simulate --resume ").append(shell(dir.toString()))
                .append(" --cell \"$SLURM_ARRAY_TASK_ID\"\n");
        return b.toString();
    }

    /** The Indexed Job manifest: completions = cells, completion index = cell index, the run directory on a claim. */
    public static String kubernetes(Path runDir, List<Cell> cells, K8sOptions o) {
        Path dir = runDir.toAbsolutePath().normalize();
        if (cells.isEmpty()) {
            throw new IllegalArgumentException(dir + ": the plan has no cells");
        }
        if (!dir.startsWith(o.mountPath())) {
            throw new IllegalArgumentException("--mount-path " + o.mountPath() + " does not hold the run directory " + dir
                    + ": the claim is mounted where the plan was written, so that run.json's paths hold in every pod");
        }
        Map<String, Object> labels = new LinkedHashMap<>();
        labels.put("app.kubernetes.io/name", "resfim");
        labels.put("resfim/run", jobName(dir));
        StringBuilder index = new StringBuilder();
        for (Cell c : cells) {
            index.append(index.length() == 0 ? "" : "\n").append(c.index()).append('=').append(c.id());
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("name", jobName(dir));
        if (o.namespace() != null) {
            meta.put("namespace", o.namespace());
        }
        meta.put("labels", labels);
        meta.put("annotations", map("resfim/cells", index.toString()));

        Map<String, Object> requests = new LinkedHashMap<>();
        requests.put("cpu", Integer.toString(o.cpus()));
        requests.put("memory", o.memory());
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("memory", o.memory());
        if (o.gpus() > 0) {
            requests.put("nvidia.com/gpu", Integer.toString(o.gpus()));
            limits.put("nvidia.com/gpu", Integer.toString(o.gpus()));
        }
        Map<String, Object> container = new LinkedHashMap<>();
        container.put("name", "cell");
        container.put("image", o.image());
        container.put("args", List.of("simulate", "--resume", dir.toString(), "--cell", "$(JOB_COMPLETION_INDEX)"));
        container.put("env", List.of(
                map("name", "JOB_COMPLETION_INDEX", "valueFrom",
                        map("fieldRef", map("fieldPath", "metadata.annotations['batch.kubernetes.io/job-completion-index']"))),
                map("name", "OMP_WAIT_POLICY", "value", "PASSIVE")));
        container.put("resources", map("requests", requests, "limits", limits));
        container.put("volumeMounts", List.of(map("name", "runs", "mountPath", o.mountPath().toString()),
                map("name", "djl-cache", "mountPath", "/var/cache/resfim/djl")));
        Map<String, Object> pod = new LinkedHashMap<>();
        pod.put("restartPolicy", "Never");
        pod.put("containers", List.of(container));
        pod.put("volumes", List.of(map("name", "runs", "persistentVolumeClaim", map("claimName", o.claim())),
                map("name", "djl-cache", "emptyDir", map())));
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("completionMode", "Indexed");
        spec.put("completions", cells.size());
        spec.put("parallelism", o.parallelism() == null ? cells.size() : Math.min(o.parallelism(), cells.size()));
        spec.put("backoffLimit", o.retries() * cells.size());
        spec.put("template", map("metadata", map("labels", new LinkedHashMap<>(labels)), "spec", pod)); // a copy: no YAML anchor
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("apiVersion", "batch/v1");
        job.put("kind", "Job");
        job.put("metadata", meta);
        job.put("spec", spec);

        DumperOptions d = new DumperOptions();
        d.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        d.setIndicatorIndent(2);
        d.setIndentWithIndicator(true);
        String header = "# ResFIM: the " + cells.size() + " cells of " + dir + " as a Kubernetes Indexed Job (completion index = cell index,\n"
                + "# annotation resfim/cells). The claim " + o.claim() + " holds the run directory and is mounted at " + o.mountPath() + ",\n"
                + "# where the plan was written (run.json's configuration and data paths must hold in the pod).\n"
                + "# Apply: kubectl apply -f " + dir.resolve("sweep").resolve("k8s-job.yaml") + "\n";
        return header + new Yaml(d).dump(job);
    }

    /** A mapping in the order given (Map.of's order is not fixed, and a manifest reads best name first). */
    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** A name Slurm and Kubernetes accept (RFC 1123 label, 63 characters at most): resfim-&lt;run folder&gt;. */
    static String jobName(Path dir) {
        Path f = dir.getFileName();
        String n = ("resfim-" + (f == null ? "run" : f.toString())).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-")
                .replaceAll("-+", "-");
        n = n.length() > 63 ? n.substring(0, 63) : n;
        return n.replaceAll("-+$", "");
    }

    private static String shell(String s) {
        return s.matches("[A-Za-z0-9_./=:+-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    /** The cells with their state, one a line: "0  pfl-resfim/0/0  done". */
    public static List<String> list(Path runDir, List<Cell> cells, int rounds) {
        RunDirectory d = new RunDirectory(runDir);
        List<String> out = new ArrayList<>();
        for (Cell c : cells) {
            boolean done = RunDirectory.cellComplete(d.runDir(c.method(), c.seed(), c.fold(), c.folds()), rounds);
            out.add(String.format(Locale.ROOT, "%4d  %-40s %s", c.index(), c.id(), done ? "complete" : "missing"));
        }
        return out;
    }
}
