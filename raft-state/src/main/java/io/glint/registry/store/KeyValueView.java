package io.glint.registry.store;

/**
 * Read access to the tables, the only thing the pure core reads. Implemented by the RocksDB store,
 * the in-memory twin and by {@link Txn}, which layers uncommitted writes over another view.
 */
public interface KeyValueView {
    /** The value under {@code key}, or null. */
    byte[] get(Table table, byte[] key);

    /**
     * Entries with {@code from <= key < to} (unsigned byte order), ascending, or descending when
     * {@code descending}. A null bound is open.
     */
    Cursor scan(Table table, byte[] from, byte[] to, boolean descending);
}
