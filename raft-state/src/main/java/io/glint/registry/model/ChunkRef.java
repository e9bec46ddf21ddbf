package io.glint.registry.model;

import java.util.List;

/**
 * How many live images reference one chunk, filed under the chunk's placement group, with the
 * chunk's length and CRC32C (what any copy of it must match).
 */
public record ChunkRef(int placementGroup, String chunkId, long refCount, int lengthBytes, int crc32c) {
    public ChunkInfo info() {
        return new ChunkInfo(chunkId, lengthBytes, crc32c);
    }

    public record Refs(int placementGroup, List<ChunkRef> refs) implements Payload {
        public Refs {
            refs = List.copyOf(refs);
        }
    }
}
