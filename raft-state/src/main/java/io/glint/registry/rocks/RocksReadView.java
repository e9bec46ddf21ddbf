package io.glint.registry.rocks;

import io.glint.registry.store.Cursor;
import io.glint.registry.store.MetaKeys;
import io.glint.registry.store.ReadView;
import io.glint.registry.store.Table;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.Snapshot;

/**
 * A point-in-time view backed by a RocksDB snapshot: every get and scan reads at the snapshot's
 * sequence number, and so does {@link #appliedIndex()}, which is therefore exactly the last entry
 * whose writes the view contains (a commit writes its mutations and the applied index in one
 * batch). Closing the view closes its cursors, then releases the snapshot so compaction may drop
 * the versions it pinned. A view is meant for one query on one thread; its methods are serialised.
 */
final class RocksReadView implements ReadView, NativeResource {
    private final Lock storeLock;
    private final Set<NativeResource> storeRegistry;
    private final Set<NativeResource> cursors = ConcurrentHashMap.newKeySet();
    private final RocksRegistryStore store;
    private final RocksDB db;
    private final Snapshot snapshot;
    private final ReadOptions readOptions;
    private final long appliedIndex;
    private boolean closed;

    /** Call with the store's lifecycle read lock held; registers itself in {@code storeRegistry}. */
    RocksReadView(Lock storeLock, Set<NativeResource> storeRegistry, RocksRegistryStore store, RocksDB db) {
        this.storeLock = storeLock;
        this.storeRegistry = storeRegistry;
        this.store = store;
        this.db = db;
        this.snapshot = db.getSnapshot();
        this.readOptions = new ReadOptions().setSnapshot(snapshot).setFillCache(true);
        try {
            this.appliedIndex = MetaKeys.decodeApplied(db.get(store.handle(Table.META), readOptions, MetaKeys.APPLIED)).index();
        } catch (RocksDBException e) {
            readOptions.close();
            db.releaseSnapshot(snapshot);
            throw new RocksStoreException("reading the applied index through a snapshot", e);
        }
        storeRegistry.add(this);
    }

    @Override
    public long appliedIndex() {
        return appliedIndex;
    }

    @Override
    public byte[] get(Table table, byte[] key) {
        storeLock.lock();
        try {
            synchronized (this) {
                ensureOpen();
                ColumnFamilyHandle cf = store.handle(table);
                return cf == null ? null : db.get(cf, readOptions, key);
            }
        } catch (RocksDBException e) {
            throw new RocksStoreException("get from " + table.cfName() + " through a read view", e);
        } finally {
            storeLock.unlock();
        }
    }

    @Override
    public Cursor scan(Table table, byte[] from, byte[] to, boolean descending) {
        storeLock.lock();
        try {
            synchronized (this) {
                ensureOpen();
                ColumnFamilyHandle cf = store.handle(table);
                if (cf == null || RocksRegistryStore.isEmptyRange(from, to)) return RocksRegistryStore.EMPTY_CURSOR;
                return new RocksCursor(storeLock, cursors, db, cf, from, to, descending, snapshot);
            }
        } finally {
            storeLock.unlock();
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("read view is closed (or its store is)");
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
        storeRegistry.remove(this);
        for (NativeResource c : List.copyOf(cursors)) c.release();
        readOptions.close();
        db.releaseSnapshot(snapshot);
        snapshot.close();
    }
}
