package io.glint.registry.model;

import java.util.List;

/** How many live images reference one chunk, filed under the chunk's placement group. */
public record ChunkRef(int placementGroup, String chunkId, long refCount) {
    public record Refs(int placementGroup, List<ChunkRef> refs) implements Payload {
        public Refs {
            refs = List.copyOf(refs);
        }
    }
}
