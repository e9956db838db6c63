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

/**
 * Write-then-rename helpers: readers see either the old file or the complete new one, never a partial one; and the
 * data and the rename are on disk when {@link #write} returns (the file and its folder are fsync'ed), so a power cut
 * right after cannot leave an empty or missing file.
 */
public final class AtomicFiles {
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

    /** Writes {@code text} (UTF-8) to {@code target} as {@link #write(Path, byte[])} does. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} to {@code target} atomically (temporary sibling, flushed to disk, moved, folder flushed). */
    public static void write(Path target, byte[] bytes) throws IOException {
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
            syncDirectory(abs.getParent());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Flushes a folder's entries (the rename) to disk; where the platform cannot open a folder, nothing. */
    static void syncDirectory(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // e.g. Windows cannot open a directory; the file's own data was flushed
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
