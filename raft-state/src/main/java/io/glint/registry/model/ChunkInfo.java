package io.glint.registry.model;

/**
 * One chunk of an image: its content address (SHA-256 hex of its bytes), its length and the
 * CRC32C the read path checks before sending bytes (DESIGN §4).
 */
public record ChunkInfo(String id, int lengthBytes, int crc32c) {
    public ChunkInfo {
        if (id == null || id.length() != 64) throw new IllegalArgumentException("chunk id must be 64 hex chars: " + id);
        if (lengthBytes <= 0) throw new IllegalArgumentException("chunk length must be positive: " + lengthBytes);
    }

    /** Placement group of a chunk: its first 4 bytes, unsigned, mod the group count (DESIGN §4). */
    public static int placementGroup(String chunkId, int pgCount) {
        long first4 = Long.parseLong(chunkId.substring(0, 8), 16);
        return (int) (first4 % pgCount);
    }
}
