package org.resfim.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * What decides the float results of libtorch on this machine, recorded with every run ({@code provenance.json}):
 * the CPU (vendor, family, model, stepping, name), the instruction-set extensions oneDNN's and MKL's kernels
 * dispatch on, the cache sizes their blocking depends on, the oneDNN ISA level those flags qualify for (capped by
 * {@code ONEDNN_MAX_CPU_ISA}), the environment variables that change kernels or summation order, and the threads.
 * Two runs with the same configuration, seed and all of these entries give the same numbers; when an entry
 * differs, numbers may move (README, "Reproducibility").
 */
public final class NumericEnvironment {
    /** The flags of /proc/cpuinfo that select float32 kernels in oneDNN and MKL. */
    static final List<String> KERNEL_FLAGS = List.of("sse4_1", "avx", "fma", "avx2", "avx_vnni", "avx512f", "avx512dq", "avx512bw",
            "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8");
    /** Environment variables that change which kernels run or how they sum. */
    static final List<String> VARIABLES = List.of("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS",
            "OMP_NUM_THREADS", "OMP_WAIT_POLICY");

    private NumericEnvironment() {
    }

    /** This machine's entries, with libtorch's thread count. */
    public static Map<String, Object> describe() {
        Map<String, Object> m = describe(read(Path.of("/proc/cpuinfo")), Path.of("/sys/devices/system/cpu/cpu0/cache"), System::getenv);
        m.put("threads", Djl.threads());
        return m;
    }

    static Map<String, Object> describe(String cpuinfo, Path cacheDir, Function<String, String> env) {
        Map<String, String> cpu = firstProcessor(cpuinfo);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpu.getOrDefault("model name", "unknown"));
        m.put("cpu_id", cpu.getOrDefault("vendor_id", "?") + " family " + cpu.getOrDefault("cpu family", "?") + " model "
                + cpu.getOrDefault("model", "?") + " stepping " + cpu.getOrDefault("stepping", "?"));
        Set<String> flags = new TreeSet<>(List.of(cpu.getOrDefault("flags", "").trim().split("\\s+")));
        List<String> kernelFlags = new ArrayList<>();
        for (String f : KERNEL_FLAGS) {
            if (flags.contains(f)) {
                kernelFlags.add(f);
            }
        }
        m.put("kernel_flags", String.join(" ", kernelFlags));
        m.put("onednn_isa", onednnIsa(flags, env.apply("ONEDNN_MAX_CPU_ISA") != null ? env.apply("ONEDNN_MAX_CPU_ISA")
                : env.apply("DNNL_MAX_CPU_ISA")));
        m.put("caches", caches(cacheDir));
        Map<String, String> vars = new LinkedHashMap<>();
        for (String v : VARIABLES) {
            String value = env.apply(v);
            vars.put(v, value == null ? "(unset)" : value);
        }
        m.put("environment", vars);
        return m;
    }

    /** oneDNN's CPU ISA levels in its order, from the lowest. */
    private static final List<String> ISA_LEVELS = List.of("sse41", "avx", "avx2", "avx2_vnni", "avx512_core", "avx512_core_vnni",
            "avx512_core_bf16", "avx512_core_fp16", "avx512_core_amx");

    /**
     * The highest oneDNN ISA level these flags qualify for, by oneDNN's rules, capped by {@code max} (the value of
     * ONEDNN_MAX_CPU_ISA, case-insensitive, or null).
     */
    static String onednnIsa(Set<String> flags, String max) {
        boolean sse41 = flags.contains("sse4_1");
        boolean avx = sse41 && flags.contains("avx");
        boolean avx2 = avx && flags.contains("avx2");
        boolean core = avx2 && flags.containsAll(List.of("avx512f", "avx512bw", "avx512vl", "avx512dq"));
        boolean vnni = core && flags.contains("avx512_vnni");
        boolean bf16 = vnni && flags.contains("avx512_bf16");
        boolean[] has = {sse41, avx, avx2, avx2 && flags.contains("avx_vnni"), core, vnni, bf16, bf16 && flags.contains("avx512_fp16"),
                bf16 && flags.containsAll(List.of("amx_tile", "amx_int8", "amx_bf16"))};
        int bestAt = -1;
        for (int i = 0; i < has.length; i++) {
            if (has[i]) {
                bestAt = i;
            }
        }
        String best = bestAt < 0 ? "none" : ISA_LEVELS.get(bestAt);
        if (max == null || max.isBlank() || max.equalsIgnoreCase("all") || max.equalsIgnoreCase("default")) {
            return best;
        }
        int capAt = indexOf(max.trim().toLowerCase(Locale.ROOT));
        if (capAt < 0) {
            return best + " (ONEDNN_MAX_CPU_ISA=" + max + " is not a level oneDNN knows)";
        }
        return capAt < bestAt ? ISA_LEVELS.get(capAt) + " (capped by ONEDNN_MAX_CPU_ISA; the CPU has " + best + ")" : best;
    }

    private static int indexOf(String isa) {
        return ISA_LEVELS.indexOf(isa);
    }

    /** "L1d 48K, L2 1024K, L3 32768K" from a sysfs cache directory, or "unknown". */
    static String caches(Path dir) {
        List<String> out = new ArrayList<>();
        try (var entries = Files.list(dir)) {
            for (Path p : entries.filter(e -> e.getFileName().toString().startsWith("index")).sorted().toList()) {
                String level = read(p.resolve("level")).trim();
                String type = read(p.resolve("type")).trim();
                String size = read(p.resolve("size")).trim();
                if (type.equals("Instruction")) {
                    continue;
                }
                out.add("L" + level + (type.equals("Data") ? "d" : "") + " " + size);
            }
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
        return out.isEmpty() ? "unknown" : String.join(", ", out);
    }

    private static Map<String, String> firstProcessor(String cpuinfo) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : cpuinfo.split("\n")) {
            if (line.isBlank()) {
                if (!m.isEmpty()) {
                    break;
                }
                continue;
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                m.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
        }
        return m;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}
