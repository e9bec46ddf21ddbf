package io.glint.registry.query;

import io.glint.registry.query.ListImagesRequest.SortField;
import io.glint.registry.store.Bytes;
import io.glint.registry.store.Cursor;
import io.glint.registry.store.KeyValueView;
import io.glint.registry.store.Table;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A stream of image positions for one sort field (see {@link Indexes}), ascending or descending,
 * restricted to a window {@code [low, high)} of position space. The lister reads a page from one
 * stream, or from the merge of several (the sources of a non-admin caller's candidate set, or the
 * values of an {@code in:} filter), which is how it seeks directly past a marker instead of
 * scanning from the start.
 */
interface PositionStream extends AutoCloseable {
    /** Moves to the next position; false at the end. */
    boolean next();

    byte[] position();

    String imageId();

    @Override
    void close();

    /** A window of position space: {@code low} inclusive, {@code high} exclusive; null is open. */
    record Window(byte[] low, byte[] high) {
        static final Window ALL = new Window(null, null);

        /** This window narrowed to the positions that start with {@code prefix}. */
        Window within(byte[] prefix) {
            byte[] end = Bytes.prefixEnd(prefix);
            byte[] lo = low == null || Bytes.ORDER.compare(prefix, low) > 0 ? prefix : low;
            byte[] hi = high == null || (end != null && Bytes.ORDER.compare(end, high) < 0) ? end : high;
            return new Window(lo, hi);
        }

        boolean contains(byte[] pos) {
            return Bytes.inRange(pos, low, high);
        }

        boolean isEmpty() {
            return low != null && high != null && Bytes.ORDER.compare(low, high) >= 0;
        }
    }

    /** The entries of {@code table} under {@code prefix} whose remainder (a position) is in {@code window}. */
    static PositionStream range(KeyValueView view, Table table, byte[] prefix, Window window, boolean descending,
                                SortField field) {
        if (window.isEmpty()) return empty();
        byte[] from = Indexes.concat(prefix, window.low() == null ? Bytes.EMPTY : window.low());
        byte[] to = window.high() == null ? Bytes.prefixEnd(prefix) : Indexes.concat(prefix, window.high());
        if (to != null && Bytes.ORDER.compare(from, to) >= 0) return empty();
        Cursor cursor = view.scan(table, from, to, descending);
        int offset = prefix.length;
        return new PositionStream() {
            @Override
            public boolean next() {
                return cursor.next();
            }

            @Override
            public byte[] position() {
                byte[] key = cursor.key();
                byte[] pos = new byte[key.length - offset];
                System.arraycopy(key, offset, pos, 0, pos.length);
                return pos;
            }

            @Override
            public String imageId() {
                return Indexes.idOf(cursor.key(), offset, field);
            }

            @Override
            public void close() {
                cursor.close();
            }
        };
    }

    /** One entry of an in-memory stream. */
    record Entry(byte[] position, String imageId) {}

    /** Positions computed in memory (images shared with the caller), sorted here, filtered to the window. */
    static PositionStream of(List<Entry> entries, Window window, boolean descending) {
        Comparator<Entry> order = (a, b) -> Bytes.ORDER.compare(a.position(), b.position());
        List<Entry> sorted = new ArrayList<>();
        for (Entry e : entries) {
            if (window.contains(e.position())) sorted.add(e);
        }
        sorted.sort(descending ? order.reversed() : order);
        return new PositionStream() {
            private int next = 0;
            private Entry cur;

            @Override
            public boolean next() {
                cur = next < sorted.size() ? sorted.get(next++) : null;
                return cur != null;
            }

            @Override
            public byte[] position() {
                return cur.position();
            }

            @Override
            public String imageId() {
                return cur.imageId();
            }

            @Override
            public void close() {}
        };
    }

    static PositionStream empty() {
        return of(List.of(), Window.ALL, false);
    }

    /**
     * The ordered union of streams of the same field and direction; an image found by several
     * (public and owned by the caller, say) comes out once, since equal positions are one image.
     */
    static PositionStream merge(List<PositionStream> streams, boolean descending) {
        if (streams.size() == 1) return streams.get(0);
        Comparator<Head> byPosition = (a, b) -> Bytes.ORDER.compare(a.position, b.position);
        PriorityQueue<Head> heads = new PriorityQueue<>(Math.max(1, streams.size()),
                descending ? byPosition.reversed() : byPosition);
        return new PositionStream() {
            private boolean started;
            private Head cur;

            @Override
            public boolean next() {
                if (!started) {
                    started = true;
                    for (PositionStream s : streams) advance(s);
                } else {
                    advance(cur.stream);
                }
                cur = heads.poll();
                if (cur == null) return false;
                while (!heads.isEmpty() && Bytes.ORDER.compare(heads.peek().position, cur.position) == 0) {
                    advance(heads.poll().stream);
                }
                return true;
            }

            private void advance(PositionStream s) {
                if (s.next()) heads.add(new Head(s, s.position(), s.imageId()));
            }

            @Override
            public byte[] position() {
                return cur.position;
            }

            @Override
            public String imageId() {
                return cur.imageId;
            }

            @Override
            public void close() {
                for (PositionStream s : streams) s.close();
            }
        };
    }

    /** The current entry of one merged stream. */
    final class Head {
        final PositionStream stream;
        final byte[] position;
        final String imageId;

        Head(PositionStream stream, byte[] position, String imageId) {
            this.stream = stream;
            this.position = position;
            this.imageId = imageId;
        }
    }
}
