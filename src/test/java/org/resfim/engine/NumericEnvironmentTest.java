package org.resfim.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class NumericEnvironmentTest {
    static final String ZEN5 = """
            processor	: 0
            vendor_id	: AuthenticAMD
            cpu family	: 26
            model		: 2
            model name	: AMD EPYC
            stepping	: 1
            flags		: fpu sse sse2 sse4_1 sse4_2 avx fma avx2 avx_vnni avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16 avx512_vnni avx512vbmi

            processor	: 1
            model name	: another CPU, not read
            """;

    @Test
    void describesTheFirstProcessorItsKernelFlagsCachesAndEnvironment(@TempDir Path sys) throws Exception {
        cache(sys, "index0", "1", "Data", "48K");
        cache(sys, "index1", "1", "Instruction", "32K");
        cache(sys, "index2", "2", "Unified", "1024K");
        cache(sys, "index3", "3", "Unified", "32768K");
        Map<String, Object> m = NumericEnvironment.describe(ZEN5, sys, Map.of("MKL_CBWR", "COMPATIBLE")::get);
        assertEquals("AMD EPYC", m.get("cpu"));
        assertEquals("AuthenticAMD family 26 model 2 stepping 1", m.get("cpu_id"));
        assertEquals("sse4_1 avx fma avx2 avx_vnni avx512f avx512dq avx512bw avx512vl avx512_vnni avx512_bf16", m.get("kernel_flags"));
        assertEquals("avx512_core_bf16", m.get("onednn_isa"));
        assertEquals("L1d 48K, L2 1024K, L3 32768K", m.get("caches"));
        @SuppressWarnings("unchecked")
        Map<String, String> env = (Map<String, String>) m.get("environment");
        assertEquals("COMPATIBLE", env.get("MKL_CBWR"));
        assertEquals("(unset)", env.get("ONEDNN_MAX_CPU_ISA"));
        assertEquals("unknown", NumericEnvironment.describe(ZEN5, sys.resolve("missing"), k -> null).get("caches"));
    }

    @Test
    void onednnIsaFollowsOnednnsLevelsAndTheCap() {
        Set<String> zen5 = Set.of("sse4_1", "avx", "avx2", "avx_vnni", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16");
        assertEquals("avx512_core_bf16", NumericEnvironment.onednnIsa(zen5, null));
        assertEquals("avx2 (capped by ONEDNN_MAX_CPU_ISA; the CPU has avx512_core_bf16)", NumericEnvironment.onednnIsa(zen5, "AVX2"));
        assertEquals("avx512_core_bf16", NumericEnvironment.onednnIsa(zen5, "avx512_core_amx"), "a cap above the CPU changes nothing");
        assertEquals("avx512_core_bf16 (ONEDNN_MAX_CPU_ISA=AVX9 is not a level oneDNN knows)", NumericEnvironment.onednnIsa(zen5, "AVX9"));
        assertEquals("avx2_vnni", NumericEnvironment.onednnIsa(Set.of("sse4_1", "avx", "avx2", "avx_vnni"), null), "Alder Lake");
        assertEquals("avx512_core", NumericEnvironment.onednnIsa(Set.of("sse4_1", "avx", "avx2", "avx512f", "avx512dq", "avx512bw", "avx512vl"),
                null), "Skylake-SP");
        assertEquals("avx2", NumericEnvironment.onednnIsa(Set.of("sse4_1", "avx", "avx2", "avx512f"), null), "AVX-512 without BW/VL/DQ");
        assertEquals("avx512_core_amx", NumericEnvironment.onednnIsa(Set.of("sse4_1", "avx", "avx2", "avx512f", "avx512dq", "avx512bw",
                "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_int8", "amx_bf16"), null), "Sapphire Rapids");
        assertEquals("none", NumericEnvironment.onednnIsa(Set.of("sse2"), null));
    }

    private static void cache(Path sys, String index, String level, String type, String size) throws Exception {
        Path d = Files.createDirectories(sys.resolve(index));
        Files.writeString(d.resolve("level"), level + "\n");
        Files.writeString(d.resolve("type"), type + "\n");
        Files.writeString(d.resolve("size"), size + "\n");
    }
}
