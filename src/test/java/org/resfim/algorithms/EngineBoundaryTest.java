package org.resfim.algorithms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Algorithms train through the engine's API (the one training loop, Adam, gradients); only the engine imports DJL. */
class EngineBoundaryTest {
    @Test
    void noAlgorithmImportsDjl() throws IOException {
        Path dir = Path.of("src/main/java/org/resfim/algorithms");
        assertTrue(Files.isDirectory(dir), dir.toAbsolutePath().toString());
        List<String> offenders;
        try (Stream<Path> files = Files.walk(dir)) {
            offenders = files.filter(p -> p.toString().endsWith(".java")).filter(p -> {
                try {
                    return Files.readAllLines(p).stream().anyMatch(l -> l.startsWith("import ai.djl") || l.contains(" ai.djl."));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(List.of(), offenders);
    }
}
