package org.resfim.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.resfim.cli.Main;
import org.yaml.snakeyaml.Yaml;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** {@code resfim sweep slurm|k8s}: the job array and the Indexed Job of a planned run directory, read back. */
class ClusterJobsTest {
    /** 2 methods × 2 seeds × 2 folds = 8 cells. */
    private static Path plan(Path tmp) throws Exception {
        Path cfg = tmp.resolve("c.yaml");
        Files.writeString(cfg, TinyRuns.yaml(2).replace("seeds: [0]", "seeds: [0, 1]") + "evaluation: {folds: 2}\n");
        Path run = tmp.resolve("study");
        assertEquals(0, Main.execute("simulate", "--config", cfg.toString(), "--out", run.toString(), "--threads", "1", "--plan-only"));
        return run;
    }

    private static String stdout(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.execute(args), String.join(" ", args));
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    @SuppressWarnings("unchecked")
    void kubernetesIndexedJobCoversEveryCellOnce(@TempDir Path tmp) throws Exception {
        Path run = plan(tmp);
        List<Cell> cells = Cell.of(run);
        assertEquals(8, cells.size());
        String printed = stdout("sweep", "k8s", run.toString(), "--gpus", "1", "--cpus", "2", "--mem", "6Gi", "--parallelism", "3",
                "--claim", "study-pvc");
        Path file = run.resolve("sweep/k8s-job.yaml");
        assertTrue(printed.contains("kubectl apply -f " + file.toAbsolutePath().normalize()), printed);

        Map<String, Object> job = new Yaml().load(Files.readString(file));
        assertEquals("batch/v1", job.get("apiVersion"));
        assertEquals("Job", job.get("kind"));
        Map<String, Object> meta = (Map<String, Object>) job.get("metadata");
        String name = (String) meta.get("name");
        assertTrue(name.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"), "an RFC 1123 name: " + name);
        Map<String, Object> spec = (Map<String, Object>) job.get("spec");
        assertEquals("Indexed", spec.get("completionMode"));
        assertEquals(8, spec.get("completions"));
        assertEquals(3, spec.get("parallelism"));
        Map<String, Object> pod = (Map<String, Object>) ((Map<String, Object>) spec.get("template")).get("spec");
        assertEquals("Never", pod.get("restartPolicy"));
        List<Map<String, Object>> containers = (List<Map<String, Object>>) pod.get("containers");
        assertEquals(1, containers.size());
        Map<String, Object> c = containers.get(0);
        assertEquals("resfim:" + BuildInfo.version(), c.get("image"));
        String dir = run.toAbsolutePath().normalize().toString();
        assertEquals(List.of("simulate", "--resume", dir, "--cell", "$(JOB_COMPLETION_INDEX)"), c.get("args"));
        Map<String, Object> indexEnv = ((List<Map<String, Object>>) c.get("env")).stream()
                .filter(e -> "JOB_COMPLETION_INDEX".equals(e.get("name"))).findFirst().orElseThrow();
        assertEquals("metadata.annotations['batch.kubernetes.io/job-completion-index']",
                ((Map<String, Object>) ((Map<String, Object>) indexEnv.get("valueFrom")).get("fieldRef")).get("fieldPath"));
        Map<String, Object> res = (Map<String, Object>) c.get("resources");
        Map<String, Object> requests = (Map<String, Object>) res.get("requests");
        assertEquals("2", requests.get("cpu"));
        assertEquals("6Gi", requests.get("memory"));
        assertEquals("1", requests.get("nvidia.com/gpu"));
        assertEquals("1", ((Map<String, Object>) res.get("limits")).get("nvidia.com/gpu"));
        // the run directory lies on the claim's mount
        Map<String, Object> runsVolume = ((List<Map<String, Object>>) pod.get("volumes")).stream().filter(v -> "runs".equals(v.get("name")))
                .findFirst().orElseThrow();
        assertEquals("study-pvc", ((Map<String, Object>) runsVolume.get("persistentVolumeClaim")).get("claimName"));
        String mount = ((List<Map<String, Object>>) c.get("volumeMounts")).stream().filter(v -> "runs".equals(v.get("name")))
                .map(v -> (String) v.get("mountPath")).findFirst().orElseThrow();
        assertTrue(Path.of(dir).startsWith(Path.of(mount)), mount + " holds " + dir);

        // index → cell: every index 0..completions-1 exactly once, each the cell --cell INDEX runs
        String annotation = (String) ((Map<String, Object>) meta.get("annotations")).get("resfim/cells");
        Set<Integer> indices = new HashSet<>();
        Set<String> ids = new HashSet<>();
        for (String line : annotation.split("\n")) {
            String[] kv = line.split("=", 2);
            int i = Integer.parseInt(kv[0]);
            assertTrue(indices.add(i), "index " + i + " twice");
            assertTrue(ids.add(kv[1]), "cell " + kv[1] + " twice");
            assertEquals(cells.get(i).id(), kv[1]);
            assertEquals(i, Cell.find(cells, Integer.toString(i)).index());
        }
        assertEquals(8, indices.size());
        assertTrue(indices.stream().allMatch(i -> i >= 0 && i < 8));
        assertEquals(Set.copyOf(cells.stream().map(Cell::id).toList()), ids);
    }

    @Test
    void slurmArrayScriptHasOneTaskPerCell(@TempDir Path tmp) throws Exception {
        Path run = plan(tmp);
        List<Cell> cells = Cell.of(run);
        String printed = stdout("sweep", "slurm", run.toString(), "--partition", "gpu", "--time", "04:00:00", "--cpus", "4", "--gpus", "1",
                "--mem", "16G", "--resfim", "/opt/resfim/resfim");
        Path script = run.resolve("sweep/slurm.sbatch").toAbsolutePath().normalize();
        assertTrue(printed.strip().endsWith("sbatch " + script), printed);
        assertTrue(Files.isDirectory(script.getParent().resolve("logs")), "Slurm does not create the log folder");
        String s = Files.readString(script);
        assertTrue(s.startsWith("#!/bin/bash\n"));
        Matcher array = Pattern.compile("(?m)^#SBATCH --array=(\\d+)-(\\d+)$").matcher(s);
        assertTrue(array.find(), s);
        assertEquals(0, Integer.parseInt(array.group(1)));
        assertEquals(cells.size() - 1, Integer.parseInt(array.group(2)));
        for (String line : List.of("#SBATCH --partition=gpu", "#SBATCH --time=04:00:00", "#SBATCH --cpus-per-task=4", "#SBATCH --gres=gpu:1",
                "#SBATCH --mem=16G", "#SBATCH --output=" + script.getParent().resolve("logs") + "/cell-%a.log")) {
            assertTrue(s.lines().anyMatch(line::equals), line + " in\n" + s);
        }
        // every #SBATCH line precedes the first command (sbatch stops reading them there)
        List<String> lines = s.lines().toList();
        int firstCommand = 1;
        while (firstCommand < lines.size() && lines.get(firstCommand).startsWith("#")) {
            firstCommand++;
        }
        assertTrue(lines.subList(firstCommand, lines.size()).stream().noneMatch(l -> l.startsWith("#SBATCH")));
        List<String> mapped = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^# cell (\\d+): (.+)$").matcher(s);
        while (m.find()) {
            assertEquals(mapped.size(), Integer.parseInt(m.group(1)));
            mapped.add(m.group(2));
        }
        assertEquals(cells.stream().map(Cell::id).toList(), mapped);
        assertTrue(s.contains("exec /opt/resfim/resfim simulate --resume " + run.toAbsolutePath().normalize() + " --cell \"$SLURM_ARRAY_TASK_ID\"\n"), s);
        Process bash = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
        assertTrue(bash.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, bash.exitValue(), new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8));

        String list = stdout("sweep", "list", run.toString());
        assertEquals(8, list.lines().filter(l -> l.endsWith("missing")).count(), list);
    }

    @Test
    void badSweepInputIsRefusedByName(@TempDir Path tmp) throws Exception {
        Path run = plan(tmp);
        assertEquals(2, Main.execute("sweep", "slurm", run.toString(), "--time", "four hours"));
        assertEquals(2, Main.execute("sweep", "k8s", run.toString(), "--mem", "lots"));
        assertEquals(2, Main.execute("sweep", "slurm", run.toString(), "--cpus", "0"));
        assertNotEquals(0, Main.execute("sweep", "k8s", run.toString(), "--mount-path", tmp.resolve("elsewhere").toString()));
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cell.of(empty));
        assertTrue(e.getMessage().contains("--plan-only"), e.getMessage());
        assertNotEquals(0, Main.execute("sweep", "slurm", empty.toString()));
    }
}
