package org.resfim.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one way ResFIM replaces a file: written to a temporary sibling (same directory, same file system), flushed
 * to disk, moved over the target in one rename, and the folder flushed. Readers see either the old file or the
 * complete new one, never a partial one; and the data and the rename are on disk when a write returns, so a power
 * cut right after cannot leave an empty or missing file. {@link #replaceDirectory} does the same for a folder of
 * files.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** What writes a file's content into the channel of its temporary sibling. */
    @FunctionalInterface
    public interface Content {
        void writeTo(FileChannel ch) throws IOException;
    }

    /** Writes {@code text} (UTF-8) to {@code target} as {@link #write(Path, byte[])} does. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} to {@code target} atomically (temporary sibling, flushed to disk, moved, folder flushed). */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, false, ch -> writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    /** Writes what {@code content} writes to {@code target} atomically, as {@link #write(Path, byte[])} does. */
    public static void write(Path target, Content content) throws IOException {
        write(target, false, content);
    }

    /**
     * Writes a secret as {@link #write(Path, byte[])} does, its temporary file created with mode 0600 (never
     * readable by others, whatever the umask) where the file system is POSIX.
     */
    public static void writePrivate(Path target, byte[] bytes) throws IOException {
        write(target, true, ch -> writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    private static void write(Path target, boolean ownerOnly, Content content) throws IOException {
        Path abs = target.toAbsolutePath();
        if (abs.getParent() != null) {
            Files.createDirectories(abs.getParent());
        }
        Path tmp = tempSibling(abs);
        try {
            try (FileChannel ch = create(tmp, ownerOnly)) {
                content.writeTo(ch);
                ch.force(true);
            }
            move(tmp, abs);
            syncDirectory(abs.getParent());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Puts the folder {@code filled} (a sibling of {@code target}, its files written) in place of {@code target}:
     * the files and the folder are flushed to disk, an existing {@code target} is deleted, then {@code filled} is
     * renamed to {@code target} and the parent flushed. A crash leaves {@code target} complete or absent (with
     * {@code filled} beside it), never partly written.
     */
    public static void replaceDirectory(Path filled, Path target) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(filled)) {
            for (Path f : files) {
                if (Files.isRegularFile(f)) {
                    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                        ch.force(true);
                    }
                }
            }
        }
        syncDirectory(filled);
        deleteTree(target);
        Files.move(filled, target, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(target.toAbsolutePath().getParent());
    }

    /** Deletes {@code p} and everything under it; nothing when absent. Links are deleted, never followed. */
    public static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (java.util.stream.Stream<Path> s = Files.list(p)) {
                for (Path q : s.toList()) {
                    deleteTree(q);
                }
            }
        }
        Files.deleteIfExists(p);
    }

    /** A fresh, not yet existing hidden temporary path next to {@code target} (same directory, same file system). */
    static Path tempSibling(Path target) {
        Path abs = target.toAbsolutePath();
        String name = "." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp";
        return abs.resolveSibling(name);
    }

    /** Opens {@code tmp} for writing; fails if it exists. Permissions follow the process umask, or 0600 with {@code ownerOnly}. */
    private static FileChannel create(Path tmp, boolean ownerOnly) throws IOException {
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        if (ownerOnly) {
            FileAttribute<?> mode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
            try {
                return FileChannel.open(tmp, options, mode);
            } catch (UnsupportedOperationException notPosix) {
                // e.g. Windows: no POSIX modes; the file gets the folder's default access
            }
        }
        return FileChannel.open(tmp, options);
    }

    /** Writes all of {@code buf} to {@code ch}. */
    public static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
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
