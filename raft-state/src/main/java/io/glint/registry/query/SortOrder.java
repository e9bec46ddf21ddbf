package io.glint.registry.query;

import io.glint.registry.model.Image;
import io.glint.registry.query.ListImagesRequest.SortField;
import io.glint.registry.query.ListImagesRequest.SortKey;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The order of a list request's sort keys over images, as the index encodes it (spec §4.3.4):
 * nulls first ascending and last descending, strings by unsigned UTF-8 bytes (which is code point
 * order), numbers as longs. The lister sorts in memory with it where an index range does not
 * already give the requested order.
 */
final class SortOrder {
    private SortOrder() {}

    static Comparator<Image> comparator(List<SortKey> keys) {
        List<SortKey> ks = List.copyOf(keys);
        return (a, b) -> {
            for (SortKey k : ks) {
                int c = compareField(k.field(), a, b);
                if (c != 0) return k.descending() ? -c : c;
            }
            return 0;
        };
    }

    /** Ascending comparison of one field, nulls first. */
    static int compareField(SortField f, Image a, Image b) {
        if (Indexes.isNumeric(f)) {
            Long x = Indexes.numberValue(f, a);
            Long y = Indexes.numberValue(f, b);
            if (x == null || y == null) return x == null ? (y == null ? 0 : -1) : 1;
            return Long.compare(x, y);
        }
        String x = Indexes.stringValue(f, a);
        String y = Indexes.stringValue(f, b);
        if (x == null || y == null) return x == null ? (y == null ? 0 : -1) : 1;
        return compareCodePoints(x, y);
    }

    /** Code point order, which equals the unsigned order of the UTF-8 encodings. */
    static int compareCodePoints(String x, String y) {
        int i = 0;
        int j = 0;
        while (i < x.length() && j < y.length()) {
            int a = x.codePointAt(i);
            int b = y.codePointAt(j);
            if (a != b) return Integer.compare(a, b);
            i += Character.charCount(a);
            j += Character.charCount(b);
        }
        return Boolean.compare(i < x.length(), j < y.length());
    }

    /**
     * The keys that decide the order: a field already seen adds nothing, and nothing after
     * {@code id} (unique) does either.
     */
    static List<SortKey> effective(List<SortKey> keys) {
        List<SortKey> out = new ArrayList<>();
        Set<SortField> seen = EnumSet.noneOf(SortField.class);
        for (SortKey k : keys) {
            if (!seen.add(k.field())) continue;
            out.add(k);
            if (k.field() == SortField.ID) break;
        }
        return out;
    }

    /**
     * True when the order of positions for the first key's field, read in that key's direction,
     * is exactly the requested order: then an index range needs no sorting in memory.
     */
    static boolean positionOrderIsRequested(List<SortKey> keys) {
        SortKey first = keys.get(0);
        List<SortKey> positionOrder = List.of(first, new SortKey(SortField.CREATED_AT, first.descending()),
                new SortKey(SortField.ID, first.descending()));
        return effective(keys).equals(effective(positionOrder));
    }
}
