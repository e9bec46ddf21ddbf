package io.glint.registry.rocks;

/**
 * RocksDB reported an error (I/O, corruption, out of space) while reading or writing the
 * registry. The registry cannot continue from an unknown state, so callers treat this as fatal
 * for the store; it is unchecked so that the pure core's {@code KeyValueView} stays free of it.
 */
public final class RocksStoreException extends RuntimeException {
    public RocksStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
