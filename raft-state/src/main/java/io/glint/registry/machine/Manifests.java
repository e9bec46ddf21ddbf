package io.glint.registry.machine;

import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.store.Records;
import io.glint.registry.store.Txn;

import java.util.HashSet;
import java.util.Set;

/**
 * An image's manifest and the chunk reference counts move together: a chunk's count is the number
 * of manifests (of live, pending-delete or staged images) that list it, each manifest counting a
 * chunk once however often it repeats. The reaper may delete a chunk only at count zero.
 */
final class Manifests {
    private Manifests() {}

    /** Sets (or, with null, drops) an image's manifest, moving chunk references accordingly. */
    static void replace(Txn txn, String imageId, ChunkManifest next) {
        int pgCount = Records.settings(txn).placementGroups();
        ChunkManifest previous = Records.manifest(txn, imageId);
        if (next != null) adjust(txn, next, +1, pgCount);
        if (previous != null) adjust(txn, previous, -1, pgCount);
        if (next != null) Records.putManifest(txn, next);
        else if (previous != null) Records.deleteManifest(txn, imageId);
    }

    private static void adjust(Txn txn, ChunkManifest m, long delta, int pgCount) {
        Set<String> seen = new HashSet<>();
        for (ChunkInfo c : m.chunks()) {
            if (seen.add(c.id())) Records.addChunkRef(txn, ChunkInfo.placementGroup(c.id(), pgCount), c, delta);
        }
    }
}
