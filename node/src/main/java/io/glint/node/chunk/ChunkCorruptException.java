package io.glint.node.chunk;

import java.io.IOException;

/**
 * A stored chunk failed its check (length or CRC32C on read, SHA-256 on a deep audit). The bad
 * file has already been moved to the volume's quarantine directory when this is thrown, so a
 * second read sees the chunk as missing and the replicator can fetch a good copy.
 */
public final class ChunkCorruptException extends IOException {
    private final String chunkId;

    public ChunkCorruptException(String chunkId, String message) {
        super(message);
        this.chunkId = chunkId;
    }

    public String chunkId() {
        return chunkId;
    }
}
