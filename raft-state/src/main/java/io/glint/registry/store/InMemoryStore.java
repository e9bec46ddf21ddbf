package io.glint.registry.store;

import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The in-memory twin of the RocksDB store: sorted maps behind the same interface, for tests and
 * for checking the RocksDB store against (both must give the same state digest for the same log).
 * Commits are serialised; readers see committed entries, a {@link #openReadView} is a copy.
 */
public final class InMemoryStore implements RegistryStore {
    private final Map<Table, ConcurrentSkipListMap<byte[], byte[]>> tables = new EnumMap<>(Table.class);
    private volatile AppliedIndex applied = AppliedIndex.NONE;

    public InMemoryStore() {
        for (Table t : Table.values()) tables.put(t, new ConcurrentSkipListMap<>(Bytes.ORDER));
    }

    @Override
    public AppliedIndex applied() {
        return applied;
    }

    @Override
    public synchronized void commit(List<Mutation> mutations, long term, long index) {
        for (Mutation m : mutations) {
            if (m.isDelete()) tables.get(m.table()).remove(m.key());
            else tables.get(m.table()).put(m.key(), m.value());
        }
        tables.get(Table.META).put(MetaKeys.APPLIED, MetaKeys.encodeApplied(term, index));
        applied = new AppliedIndex(term, index);
    }

    @Override
    public byte[] get(Table table, byte[] key) {
        return tables.get(table).get(key);
    }

    @Override
    public Cursor scan(Table table, byte[] from, byte[] to, boolean descending) {
        return scanMap(tables.get(table), from, to, descending);
    }

    static Cursor scanMap(NavigableMap<byte[], byte[]> m, byte[] from, byte[] to, boolean descending) {
        NavigableMap<byte[], byte[]> range = m;
        if (from != null && to != null) {
            if (Bytes.ORDER.compare(from, to) >= 0) range = m.subMap(from, true, from, false);
            else range = m.subMap(from, true, to, false);
        } else if (from != null) range = m.tailMap(from, true);
        else if (to != null) range = m.headMap(to, false);
        if (descending) range = range.descendingMap();
        Iterator<Map.Entry<byte[], byte[]>> it = range.entrySet().iterator();
        return new Cursor() {
            Map.Entry<byte[], byte[]> cur;

            @Override
            public boolean next() {
                cur = it.hasNext() ? it.next() : null;
                return cur != null;
            }

            @Override
            public byte[] key() {
                return cur.getKey();
            }

            @Override
            public byte[] value() {
                return cur.getValue();
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public synchronized ReadView openReadView() {
        Map<Table, NavigableMap<byte[], byte[]>> copy = new EnumMap<>(Table.class);
        tables.forEach((t, m) -> copy.put(t, new ConcurrentSkipListMap<>(m)));
        long index = applied.index();
        return new ReadView() {
            @Override
            public long appliedIndex() {
                return index;
            }

            @Override
            public byte[] get(Table table, byte[] key) {
                return copy.get(table).get(key);
            }

            @Override
            public Cursor scan(Table table, byte[] from, byte[] to, boolean descending) {
                return scanMap(copy.get(table), from, to, descending);
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public void close() {}
}
