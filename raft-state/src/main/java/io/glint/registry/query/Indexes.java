package io.glint.registry.query;

import io.glint.registry.model.Image;
import io.glint.registry.store.Txn;

/**
 * Maintains the secondary indexes (tables IDX_SORT and IDX_ATTR) that serve the list query.
 * Called by apply for every change of an image record.
 */
public final class Indexes {
    private Indexes() {}

    /**
     * Replaces the index entries of {@code before} by those of {@code after}. Either may be null
     * (created / removed). Images whose status is gone (deleted, pending_delete) or killed have no
     * entries: they are never listed.
     */
    public static void update(Txn txn, Image before, Image after) {
        // implemented by the list-query work (see ImageLister)
    }
}
