package io.glint.registry.query;

import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Visibility;
import io.glint.registry.query.ListImagesRequest.SortField;
import io.glint.registry.store.Bytes;
import io.glint.registry.store.KeyReader;
import io.glint.registry.store.KeyWriter;
import io.glint.registry.store.Table;
import io.glint.registry.store.Txn;

import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * Maintains the secondary indexes (tables IDX_SORT and IDX_ATTR) that serve the list query
 * (spec §4.3) and owns their key layout. Called by apply for every change of an image record.
 *
 * <p>Every entry ends with the image's <em>position</em> for one sort field F: the
 * {@link KeyWriter}-encoded value of F, then created_at, then id ({@code [created_at][id]} for
 * F = created_at itself). Its unsigned byte order is (F, created_at, id), nulls first, strings by
 * UTF-8 bytes; read backwards it is the same order descending. Values are empty.
 * <pre>
 *   IDX_SORT  [F]                              position(F)   for each of the 8 sort fields
 *   IDX_ATTR  [OWNER] [owner]      [F]         position(F)   for each of the 8 sort fields
 *   IDX_ATTR  [VISIBILITY] [vis]   [F]         position(F)   for each of the 8 sort fields
 *   IDX_ATTR  [TAG] [tag]                      position(created_at)   per tag
 * </pre>
 * So the images of one owner or one visibility can be read in any sort order, and a range
 * {@code IDX_SORT [F][value]} (F a string field) holds the images whose F equals value, in
 * (created_at, id) order: the name, status and format filters need no index of their own. Shared
 * images are found through {@code SHARED_WITH}, which Records keeps in step with the members, so
 * membership changes never touch these indexes.
 *
 * <p>Images that are never listed (deleted, pending_delete, killed) have no entries. The layout is
 * part of the stored state: the tag bytes below must never change meaning.
 */
public final class Indexes {
    private Indexes() {}

    static final byte ATTR_OWNER = 0x01;
    static final byte ATTR_VISIBILITY = 0x02;
    static final byte ATTR_TAG = 0x03;

    /**
     * Replaces the index entries of {@code before} by those of {@code after}. Either may be null
     * (created / removed). Images whose status is gone (deleted, pending_delete) or killed have no
     * entries: they are never listed. Writes only the entries that differ.
     */
    public static void update(Txn txn, Image before, Image after) {
        if (before != null && after != null && !before.id().equals(after.id())) {
            throw new IllegalArgumentException("index update across images: " + before.id() + " -> " + after.id());
        }
        for (Table table : new Table[] {Table.IDX_SORT, Table.IDX_ATTR}) {
            NavigableSet<byte[]> old = entries(table, before);
            NavigableSet<byte[]> now = entries(table, after);
            for (byte[] k : old) {
                if (!now.contains(k)) txn.delete(table, k);
            }
            for (byte[] k : now) {
                if (!old.contains(k)) txn.put(table, k, Bytes.EMPTY);
            }
        }
    }

    /** True for images that appear in list results at all (spec §4.3.2: never deleted or killed). */
    public static boolean isListable(Image image) {
        return image != null && !image.status().isGone() && image.status() != ImageStatus.KILLED;
    }

    /** The keys of {@code table} that index {@code image} (none for a null or unlisted image). */
    static NavigableSet<byte[]> entries(Table table, Image image) {
        NavigableSet<byte[]> out = new TreeSet<>(Bytes.ORDER);
        if (!isListable(image)) return out;
        for (SortField f : SortField.values()) {
            byte[] pos = position(f, image);
            if (table == Table.IDX_SORT) {
                out.add(concat(sortPrefix(f), pos));
            } else {
                out.add(concat(ownerPrefix(image.owner(), f), pos));
                out.add(concat(visibilityPrefix(image.visibility(), f), pos));
            }
        }
        if (table == Table.IDX_ATTR) {
            byte[] pos = position(SortField.CREATED_AT, image);
            for (String tag : image.tags()) out.add(concat(tagPrefix(tag), pos));
        }
        return out;
    }

    // --- layout ------------------------------------------------------------------------------

    /** The stored tag of a sort field; fixed forever, independent of the enum's order. */
    static byte fieldTag(SortField f) {
        switch (f) {
            case NAME: return 0x11;
            case STATUS: return 0x12;
            case CONTAINER_FORMAT: return 0x13;
            case DISK_FORMAT: return 0x14;
            case SIZE: return 0x15;
            case ID: return 0x16;
            case CREATED_AT: return 0x17;
            case UPDATED_AT: return 0x18;
            default: throw new IllegalArgumentException("unknown sort field " + f);
        }
    }

    static boolean isNumeric(SortField f) {
        return f == SortField.SIZE || f == SortField.CREATED_AT || f == SortField.UPDATED_AT;
    }

    /** The string value of a string sort field (status as its wire name). */
    static String stringValue(SortField f, Image image) {
        switch (f) {
            case NAME: return image.name();
            case STATUS: return image.status().wire();
            case CONTAINER_FORMAT: return image.containerFormat();
            case DISK_FORMAT: return image.diskFormat();
            case ID: return image.id();
            default: throw new IllegalArgumentException("not a string field: " + f);
        }
    }

    /** The value of a numeric sort field (size may be null). */
    static Long numberValue(SortField f, Image image) {
        switch (f) {
            case SIZE: return image.size();
            case CREATED_AT: return image.createdAtMillis();
            case UPDATED_AT: return image.updatedAtMillis();
            default: throw new IllegalArgumentException("not a numeric field: " + f);
        }
    }

    private static KeyWriter writeValue(KeyWriter w, SortField f, Image image) {
        return isNumeric(f) ? w.num(numberValue(f, image)) : w.str(stringValue(f, image));
    }

    /** The encoded value of {@code f} alone: the common prefix of the positions of one run of equal values. */
    static byte[] valueBytes(SortField f, Image image) {
        return writeValue(KeyWriter.key(), f, image).build();
    }

    /** The encoded string {@code value}, as it starts the positions of a string field. */
    static byte[] stringBytes(String value) {
        return KeyWriter.key().str(value).build();
    }

    /** The image's position for sort field {@code f}: value, created_at, id (see the class comment). */
    static byte[] position(SortField f, Image image) {
        KeyWriter w = KeyWriter.key();
        if (f != SortField.CREATED_AT) writeValue(w, f, image);
        return w.num(image.createdAtMillis()).str(image.id()).build();
    }

    /** The image id at the end of a position for {@code f} that starts at {@code offset} of {@code key}. */
    static String idOf(byte[] key, int offset, SortField f) {
        KeyReader r = new KeyReader(key, offset);
        if (f != SortField.CREATED_AT) {
            if (isNumeric(f)) r.num();
            else r.str();
        }
        r.num();
        String id = r.str();
        if (!r.atEnd()) throw new IllegalStateException("index key has trailing bytes: " + Bytes.hex(key));
        return id;
    }

    static byte[] sortPrefix(SortField f) {
        return new byte[] {fieldTag(f)};
    }

    static byte[] ownerPrefix(String owner, SortField f) {
        return KeyWriter.key().raw(ATTR_OWNER).str(owner).raw(fieldTag(f)).build();
    }

    static byte[] visibilityPrefix(Visibility v, SortField f) {
        return KeyWriter.key().raw(ATTR_VISIBILITY).str(v.wire()).raw(fieldTag(f)).build();
    }

    /** Entries of one tag; their positions are for created_at. */
    static byte[] tagPrefix(String tag) {
        return KeyWriter.key().raw(ATTR_TAG).str(tag).build();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
