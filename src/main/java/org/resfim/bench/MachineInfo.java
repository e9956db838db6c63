package org.resfim.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/** The line a benchmark prints about where it ran: CPU, cores, and the environment that changes its figures. */
public final class MachineInfo {
    /** Variables the launcher sets or passes through that move the figures (see ./resfim). */
    static final List<String> VARIABLES = List.of("OMP_WAIT_POLICY", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES", "MKL_CBWR", "OMP_NUM_THREADS");

    private MachineInfo() {
    }

    public static String describe() {
        java.util.Map<String, Object> n = org.resfim.engine.NumericEnvironment.describe();
        return describe(readCpuModel(Path.of("/proc/cpuinfo")), Runtime.getRuntime().availableProcessors(), System::getenv)
                + ", " + n.get("cpu_id") + ", oneDNN ISA " + n.get("onednn_isa") + ", caches " + n.get("caches");
    }

    static String describe(String cpu, int cores, Function<String, String> env) {
        StringBuilder b = new StringBuilder();
        b.append(cpu).append(", ").append(cores).append(cores == 1 ? " core" : " cores");
        for (String v : VARIABLES) {
            String value = env.apply(v);
            b.append(", ").append(v).append('=').append(value == null ? "(unset)" : value);
        }
        return b.toString();
    }

    /** The first "model name" of a /proc/cpuinfo-style file, or "unknown CPU". */
    static String readCpuModel(Path cpuinfo) {
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals("model name")) {
                    return line.substring(colon + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unknown CPU";
        }
        return "unknown CPU";
    }
}
