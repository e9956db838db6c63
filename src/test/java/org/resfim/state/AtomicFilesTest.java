package org.resfim.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<String> names(Path d) throws IOException {
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aWriteReplacesTheFileAndLeavesNoTemporaryFile() throws IOException {
        Path f = dir.resolve("sub").resolve("a.txt");
        AtomicFiles.writeString(f, "old");
        AtomicFiles.write(f, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap("new".getBytes())));
        assertEquals("new", Files.readString(f));
        assertEquals(List.of("a.txt"), names(f.getParent()));
    }

    @Test
    void aFailedWriteKeepsTheOldFileAndLeavesNoTemporaryFile() throws IOException {
        Path f = dir.resolve("a.txt");
        AtomicFiles.writeString(f, "old");
        assertThrows(IOException.class, () -> AtomicFiles.write(f, ch -> {
            AtomicFiles.writeFully(ch, ByteBuffer.wrap("partial".getBytes()));
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("a.txt"), names(dir));
    }

    @Test
    void aPrivateWriteIsTheOwnersAlone() throws IOException {
        Path f = dir.resolve("key.pem");
        AtomicFiles.writePrivate(f, "secret".getBytes());
        assertEquals("secret", Files.readString(f));
        if (Files.getFileStore(f).supportsFileAttributeView("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        }
    }

    @Test
    void aFilledFolderReplacesTheOldOne() throws IOException {
        Path target = dir.resolve("round-2");
        Files.createDirectories(target);
        Files.writeString(target.resolve("stale"), "x");
        Path filled = dir.resolve("round-2.tmp");
        Files.createDirectories(filled);
        Files.writeString(filled.resolve("meta.properties"), "a=1");
        AtomicFiles.replaceDirectory(filled, target);
        assertEquals(List.of("round-2"), names(dir));
        assertEquals(List.of("meta.properties"), names(target));
        assertFalse(Files.exists(filled));
    }
}
