package io.glint.registry.rocks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Replacing a store's directory with a checkpoint, so that a crash at any point leaves either the
 * old store or the new one, never a mix and never nothing. The checkpoint is first moved to a
 * sibling {@code <db>.installing} (complete once it has that name), then two renames swap it in:
 * {@code <db> -> <db>.retired}, {@code <db>.installing -> <db>}. {@link #finishInterruptedInstall}
 * runs before every open and completes or discards whatever a crash left behind.
 */
public final class StoreDirs {
    private StoreDirs() {}

    static Path staging(Path db) {
        return db.resolveSibling(db.getFileName() + ".installing");
    }

    static Path stagingCopy(Path db) {
        return db.resolveSibling(db.getFileName() + ".installing.tmp");
    }

    static Path retired(Path db) {
        return db.resolveSibling(db.getFileName() + ".retired");
    }

    /** Swaps {@code checkpoint} in as {@code db}; {@code checkpoint} no longer exists afterwards. */
    static void swapIn(Path checkpoint, Path db) {
        Path staging = staging(db);
        Path retired = retired(db);
        try {
            deleteTree(stagingCopy(db));
            deleteTree(staging);
            deleteTree(retired);
            Files.createDirectories(db.getParent());
            moveToStaging(checkpoint, db);
            fsyncDirectory(db.getParent());
            if (Files.exists(db)) Files.move(db, retired, StandardCopyOption.ATOMIC_MOVE);
            Files.move(staging, db, StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(db.getParent());
            deleteTree(retired);
        } catch (IOException e) {
            throw new UncheckedIOException("installing checkpoint " + checkpoint + " as " + db, e);
        }
    }

    /** A rename when on the same file system; otherwise a copy that becomes visible by a rename. */
    private static void moveToStaging(Path checkpoint, Path db) throws IOException {
        try {
            Files.move(checkpoint, staging(db), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException crossDevice) {
            Path copy = stagingCopy(db);
            copyTree(checkpoint, copy);
            fsyncDirectory(copy);
            Files.move(copy, staging(db), StandardCopyOption.ATOMIC_MOVE);
            deleteTree(checkpoint);
        }
    }

    /**
     * Completes an install a crash interrupted between the two renames, or discards one that had
     * not reached them (the old store is then intact and the Raft layer will fetch again).
     */
    static void finishInterruptedInstall(Path db) {
        try {
            deleteTree(stagingCopy(db));
            Path staging = staging(db);
            if (Files.exists(staging)) {
                if (Files.exists(db)) {
                    deleteTree(staging);
                } else {
                    Files.move(staging, db, StandardCopyOption.ATOMIC_MOVE);
                    fsyncDirectory(db.getParent());
                }
            }
            if (Files.exists(db)) deleteTree(retired(db));
        } catch (IOException e) {
            throw new UncheckedIOException("recovering an interrupted checkpoint install at " + db, e);
        }
    }

    /** Deletes a directory tree (or nothing, if it does not exist). */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path target = to.resolve(from.relativize(file).toString());
                Files.copy(file, target);
                try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Makes renames inside {@code dir} durable (Linux allows fsync on a directory opened read-only). */
    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
