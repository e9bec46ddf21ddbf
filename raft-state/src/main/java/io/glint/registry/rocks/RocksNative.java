package io.glint.registry.rocks;

import org.rocksdb.NativeLibraryLoader;
import org.rocksdb.RocksDB;

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
 * <p>The first call in a JVM extracts and loads; later calls, and {@link RocksRegistryStore}'s own
 * {@code RocksDB.loadLibrary()}, find the library loaded and do nothing. Two processes must not
 * share a directory (each node passes its own data directory).
 */
public final class RocksNative {
    private RocksNative() {}

    /** Loads the library, extracting it into {@code dir} (created if missing) if it is not loaded yet. */
    public static synchronized void loadInto(Path dir) throws IOException {
        Files.createDirectories(dir);
        NativeLibraryLoader.getInstance().loadLibrary(dir.toAbsolutePath().toString());
        RocksDB.loadLibrary();
    }
}
