package io.glint.registry.model;

import java.util.List;

/**
 * Where an image's bytes are and what they hash to: the chunk list plus the whole-image values the
 * API exposes ({@code size}, {@code checksum} = MD5, {@code os_hash_algo}/{@code os_hash_value}).
 * Kept in its own table so that list pages never decode chunk lists.
 */
public record ChunkManifest(String imageId, List<ChunkInfo> chunks, long sizeBytes, String checksum,
                            String osHashAlgo, String osHashValue) implements Payload {
    public ChunkManifest {
        chunks = List.copyOf(chunks);
        long sum = 0;
        for (ChunkInfo c : chunks) sum += c.lengthBytes();
        if (sum != sizeBytes) {
            throw new IllegalArgumentException("manifest size " + sizeBytes + " != sum of chunk lengths " + sum);
        }
    }
}
