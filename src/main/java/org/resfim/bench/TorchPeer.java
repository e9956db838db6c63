package org.resfim.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs ../shared/bench/torch_unet_bench.py (the PyTorch peer) and parses its figures. */
public final class TorchPeer {
    private static final Pattern KV = Pattern.compile("(\\w+)=([0-9.]+)");

    private TorchPeer() {
    }

    /** What the peer printed: its version line and its key=value figures. */
    public record Result(String header, Map<String, Double> figures) {
        public double get(String key) {
            Double v = figures.get(key);
            if (v == null) {
                throw new IllegalStateException("peer benchmark printed no '" + key + "' (got " + figures.keySet() + ")");
            }
            return v;
        }
    }

    public static String python() {
        String env = System.getenv("RESFIM_PYTHON");
        if (env != null && !env.isBlank()) {
            return env;
        }
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    public static Result run(Path script, int size, int batch, int threads, int steps) throws IOException, InterruptedException {
        if (!Files.isRegularFile(script)) {
            throw new IOException("peer benchmark not found: " + script.toAbsolutePath());
        }
        List<String> cmd = List.of(python(), script.toString(), "--size", String.valueOf(size), "--batch", String.valueOf(batch),
                "--threads", String.valueOf(threads), "--steps", String.valueOf(steps));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("peer benchmark failed (" + String.join(" ", cmd) + "): " + out.strip()
                    + (out.contains("No module named 'torch'") ? " — install it with: apt-get install -y python3-torch" : ""));
        }
        String header = "";
        Map<String, Double> figures = new HashMap<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("torch ")) {
                header = line.strip();
            }
            if (line.contains("images_per_s=")) {
                Matcher m = KV.matcher(line);
                while (m.find()) {
                    figures.put(m.group(1), Double.parseDouble(m.group(2)));
                }
            }
        }
        return new Result(header, figures);
    }
}
