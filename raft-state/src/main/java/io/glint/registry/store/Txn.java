package io.glint.registry.store;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Uncommitted writes layered over a base view, with read-your-writes: gets and scans see the
 * base as changed by this transaction. The state machine applies each command in its own Txn
 * over the Txn of the whole log entry, so a rejected command leaves no trace and later commands
 * of a group-committed entry see earlier ones. Pure: no I/O of its own.
 */
public final class Txn implements KeyValueView {
    private static final byte[] TOMBSTONE = new byte[0];

    private final KeyValueView base;
    private final Map<Table, NavigableMap<byte[], byte[]>> writes = new EnumMap<>(Table.class);

    public Txn(KeyValueView base) {
        this.base = base;
    }

    public void put(Table table, byte[] key, byte[] value) {
        if (value == null) throw new IllegalArgumentException("null value; use delete");
        table(table).put(key, value);
    }

    public void delete(Table table, byte[] key) {
        table(table).put(key, TOMBSTONE);
    }

    private NavigableMap<byte[], byte[]> table(Table t) {
        return writes.computeIfAbsent(t, k -> new TreeMap<>(Bytes.ORDER));
    }

    public boolean isEmpty() {
        return writes.values().stream().allMatch(Map::isEmpty);
    }

    /** Replays this transaction's writes into {@code parent}. */
    public void mergeInto(Txn parent) {
        for (Map.Entry<Table, NavigableMap<byte[], byte[]>> t : writes.entrySet()) {
            for (Map.Entry<byte[], byte[]> e : t.getValue().entrySet()) {
                if (e.getValue() == TOMBSTONE) parent.delete(t.getKey(), e.getKey());
                else parent.put(t.getKey(), e.getKey(), e.getValue());
            }
        }
    }

    /** The writes, in table then key order (a deterministic order for every member). */
    public List<Mutation> mutations() {
        List<Mutation> out = new ArrayList<>();
        for (Table t : Table.values()) {
            NavigableMap<byte[], byte[]> m = writes.get(t);
            if (m == null) continue;
            for (Map.Entry<byte[], byte[]> e : m.entrySet()) {
                out.add(new Mutation(t, e.getKey(), e.getValue() == TOMBSTONE ? null : e.getValue()));
            }
        }
        return out;
    }

    @Override
    public byte[] get(Table table, byte[] key) {
        NavigableMap<byte[], byte[]> m = writes.get(table);
        if (m != null) {
            byte[] v = m.get(key);
            if (v != null) return v == TOMBSTONE ? null : v;
        }
        return base.get(table, key);
    }

    @Override
    public Cursor scan(Table table, byte[] from, byte[] to, boolean descending) {
        NavigableMap<byte[], byte[]> m = writes.get(table);
        if (m == null || m.isEmpty()) return base.scan(table, from, to, descending);
        NavigableMap<byte[], byte[]> range = m;
        if (from != null && to != null) range = m.subMap(from, true, to, false);
        else if (from != null) range = m.tailMap(from, true);
        else if (to != null) range = m.headMap(to, false);
        if (descending) range = range.descendingMap();
        return new MergeCursor(base.scan(table, from, to, descending), range.entrySet().iterator(), descending);
    }

    /** Merges the base cursor with this transaction's sorted writes; the writes win on equal keys. */
    private static final class MergeCursor implements Cursor {
        private final Cursor base;
        private final Iterator<Map.Entry<byte[], byte[]>> overlay;
        private final int sign;
        private boolean baseValid;
        private boolean baseStarted;
        private Map.Entry<byte[], byte[]> over;
        private byte[] key;
        private byte[] value;

        MergeCursor(Cursor base, Iterator<Map.Entry<byte[], byte[]>> overlay, boolean descending) {
            this.base = base;
            this.overlay = overlay;
            this.sign = descending ? -1 : 1;
            this.over = overlay.hasNext() ? overlay.next() : null;
        }

        @Override
        public boolean next() {
            if (!baseStarted) {
                baseValid = base.next();
                baseStarted = true;
            }
            while (true) {
                if (!baseValid && over == null) return false;
                int c;
                if (!baseValid) c = 1;
                else if (over == null) c = -1;
                else c = sign * Bytes.ORDER.compare(base.key(), over.getKey());
                if (c < 0) {
                    key = base.key();
                    value = base.value();
                    baseValid = base.next();
                    return true;
                }
                Map.Entry<byte[], byte[]> o = over;
                over = overlay.hasNext() ? overlay.next() : null;
                if (c == 0) baseValid = base.next();
                if (o.getValue() == TOMBSTONE) continue;
                key = o.getKey();
                value = o.getValue();
                return true;
            }
        }

        @Override
        public byte[] key() {
            return key;
        }

        @Override
        public byte[] value() {
            return value;
        }

        @Override
        public void close() {
            base.close();
        }
    }
}
