package io.glint.registry.rocks;

import io.glint.registry.store.Cursor;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;

/**
 * A RocksDB iterator over {@code [from, to)} of one column family. The bounds are given to
 * RocksDB (iterate_lower_bound / iterate_upper_bound) so it stops at the range edge itself and
 * never reads past it. An iterator sees the database as of its creation (or as of the read view's
 * snapshot), so commits made while it is open are invisible to it.
 *
 * <p>Owns, and frees in reverse order: the iterator, its ReadOptions, and the two bound slices
 * (which must outlive the iterator, since RocksDB keeps pointers to them).
 */
final class RocksCursor implements Cursor, NativeResource {
    private final Lock storeLock;
    private final Set<NativeResource> registry;
    private final boolean descending;
    private final Slice lower;
    private final Slice upper;
    private final ReadOptions readOptions;
    private final RocksIterator iterator;
    private boolean started;
    private boolean exhausted;
    private boolean closed;
    private byte[] key;
    private byte[] value;

    /** Call with the store's lifecycle read lock held; registers itself in {@code registry}. */
    RocksCursor(
            Lock storeLock,
            Set<NativeResource> registry,
            RocksDB db,
            ColumnFamilyHandle cf,
            byte[] from,
            byte[] to,
            boolean descending,
            Snapshot snapshot) {
        this.storeLock = storeLock;
        this.registry = registry;
        this.descending = descending;
        this.lower = from == null || from.length == 0 ? null : new Slice(from);
        this.upper = to == null ? null : new Slice(to);
        this.readOptions = new ReadOptions();
        readOptions.setFillCache(true);
        if (snapshot != null) readOptions.setSnapshot(snapshot);
        if (lower != null) readOptions.setIterateLowerBound(lower);
        if (upper != null) readOptions.setIterateUpperBound(upper);
        this.iterator = db.newIterator(cf, readOptions);
        registry.add(this);
    }

    @Override
    public boolean next() {
        storeLock.lock();
        try {
            return advance();
        } finally {
            storeLock.unlock();
        }
    }

    private synchronized boolean advance() {
        if (closed) throw new IllegalStateException("cursor is closed (or its store or read view was)");
        if (exhausted) return false;
        if (!started) {
            started = true;
            if (descending) iterator.seekToLast();
            else iterator.seekToFirst();
        } else if (descending) {
            iterator.prev();
        } else {
            iterator.next();
        }
        if (!iterator.isValid()) {
            exhausted = true;
            key = null;
            value = null;
            checkStatus();
            return false;
        }
        key = iterator.key();
        value = iterator.value();
        return true;
    }

    private void checkStatus() {
        try {
            iterator.status();
        } catch (RocksDBException e) {
            throw new RocksStoreException("iteration failed", e);
        }
    }

    @Override
    public synchronized byte[] key() {
        if (key == null) throw new IllegalStateException("no current entry");
        return key;
    }

    @Override
    public synchronized byte[] value() {
        if (value == null) throw new IllegalStateException("no current entry");
        return value;
    }

    @Override
    public void close() {
        storeLock.lock();
        try {
            release();
        } finally {
            storeLock.unlock();
        }
    }

    @Override
    public synchronized void release() {
        if (closed) return;
        closed = true;
        registry.remove(this);
        iterator.close();
        readOptions.close();
        if (upper != null) upper.close();
        if (lower != null) lower.close();
    }
}
