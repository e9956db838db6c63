package org.resfim.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MachineInfoTest {
    @Test
    void namesTheCpuCoresAndEveryVariableThatMovesTheFigures(@TempDir Path tmp) throws IOException {
        Path cpuinfo = tmp.resolve("cpuinfo");
        Files.writeString(cpuinfo, "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14\nflags\t\t: fpu\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 9R14\n");
        String cpu = MachineInfo.readCpuModel(cpuinfo);
        assertEquals("AMD EPYC 9R14", cpu);
        Map<String, String> env = Map.of("MALLOC_ARENA_MAX", "1", "OMP_WAIT_POLICY", "PASSIVE");
        assertEquals("AMD EPYC 9R14, 2 cores, OMP_WAIT_POLICY=PASSIVE, MALLOC_ARENA_MAX=1, GLIBC_TUNABLES=(unset), MKL_CBWR=(unset), "
                + "OMP_NUM_THREADS=(unset)", MachineInfo.describe(cpu, 2, env::get));
        assertEquals("unknown CPU", MachineInfo.readCpuModel(tmp.resolve("missing")));
        Files.writeString(cpuinfo, "processor\t: 0\n");
        assertEquals("unknown CPU", MachineInfo.readCpuModel(cpuinfo));
    }
}
