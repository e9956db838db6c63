package org.resfim.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/** Write-then-rename helpers: readers see either the old file or the complete new one, never a partial one. */
final class AtomicFiles {
    private AtomicFiles() {
    }

    /** A fresh, not yet existing hidden temporary path next to {@code target} (same directory, same file system). */
    static Path tempSibling(Path target) {
        Path abs = target.toAbsolutePath();
        String name = "." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp";
        return abs.resolveSibling(name);
    }

    /** Opens {@code tmp} for writing; fails if it exists. Permissions follow the process umask. */
    static FileChannel create(Path tmp) throws IOException {
        return FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    /** Writes all of {@code buf} to {@code ch}. */
    static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Writes {@code bytes} to {@code target} atomically (temporary sibling, flushed to disk, then moved). */
    static void write(Path target, byte[] bytes) throws IOException {
        Path abs = target.toAbsolutePath();
        if (abs.getParent() != null) {
            Files.createDirectories(abs.getParent());
        }
        Path tmp = tempSibling(abs);
        try {
            try (FileChannel ch = create(tmp)) {
                writeFully(ch, ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            move(tmp, abs);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Moves {@code from} over {@code to}, atomically where the file system allows. */
    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
