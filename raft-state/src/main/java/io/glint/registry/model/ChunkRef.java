package io.glint.registry.model;

import java.util.List;

/**
 * How many live images reference one chunk, filed under the chunk's placement group, with the
 * chunk's length and CRC32C (what any copy of it must match). A length of 0 means unknown: the
 * reference was written by a version that did not keep it.
 */
public record ChunkRef(int placementGroup, String chunkId, long refCount, int lengthBytes, int crc32c) {
    public boolean knowsLength() {
        return lengthBytes > 0;
    }

    /** The chunk's description; null when the reference does not know the length. */
    public ChunkInfo info() {
        return knowsLength() ? new ChunkInfo(chunkId, lengthBytes, crc32c) : null;
    }

    public record Refs(int placementGroup, List<ChunkRef> refs) implements Payload {
        public Refs {
            refs = List.copyOf(refs);
        }
    }
}
