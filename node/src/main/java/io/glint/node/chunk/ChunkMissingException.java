package io.glint.node.chunk;

import java.io.IOException;

/** A chunk the caller expected is not on this volume (never written, reaped or quarantined). */
public final class ChunkMissingException extends IOException {
    private final String chunkId;

    public ChunkMissingException(String chunkId) {
        super("chunk " + chunkId + " is not on this volume");
        this.chunkId = chunkId;
    }

    public String chunkId() {
        return chunkId;
    }
}
