package io.glint.registry.rocks;

import org.rocksdb.NativeLibraryLoader;
import org.rocksdb.RocksDB;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads RocksDB's native library from a directory the caller owns.
 *
 * <p>By default RocksJava copies its 17 MB library into a new temporary file in
 * {@code java.io.tmpdir} on every JVM start, with a new name each time, and deletes it only at a
 * normal JVM exit. A node that is killed (SIGKILL, OOM killer, a service manager's stop timeout, a
 * power cut of the process) leaves its copy behind, and the next start writes another one: a host
 * whose nodes restart often fills {@code /tmp}. Given a directory, RocksJava writes the library
 * there under a fixed name and replaces the old copy, so at most one copy exists per directory,
 * whatever way the process ended.
 *
 * <p>Where the directory can not take it (not writable, or on a {@code noexec} mount, where the
 * loader may not map it), the library is loaded RocksJava's default way, from a temporary file, and
 * a warning says why: the node starts as it did before.
 *
 * <p>Only the first call in a JVM does anything. {@link RocksRegistryStore}'s own
 * {@code RocksDB.loadLibrary()} then finds the library loaded. Two processes must not share a
 * directory (each node passes its own data directory).
 */
public final class RocksNative {
    private static final Logger LOG = LoggerFactory.getLogger(RocksNative.class);
    private static boolean loaded;

    private RocksNative() {}

    /** Loads the library, extracted into {@code dir} (created if missing), unless it is loaded already. */
    public static synchronized void loadInto(Path dir) {
        if (loaded) return;
        try {
            Files.createDirectories(dir);
            NativeLibraryLoader.getInstance().loadLibrary(dir.toAbsolutePath().toString());
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            LOG.warn("RocksDB's native library could not be loaded from {} ({}); it is loaded from a temporary file in {}"
                    + " instead, which stays there if this process is killed", dir, e, System.getProperty("java.io.tmpdir"));
        }
        RocksDB.loadLibrary();
        loaded = true;
    }
}
