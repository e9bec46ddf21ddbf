package io.glint.node.chunk;

import io.glint.registry.model.ChunkInfo;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * Chunk ids are the SHA-256 of the chunk's bytes as 64 lowercase hex characters (DESIGN §4). Ids
 * arrive from the registry and from peers, and they become file names, so every id is checked here
 * before any path is built from it: nothing but [0-9a-f]{64} can reach the file system.
 */
public final class ChunkIds {
    public static final int ID_LENGTH_CHARS = 64;
    private static final HexFormat HEX = HexFormat.of();

    private ChunkIds() {}

    public static boolean isValid(String id) {
        if (id == null || id.length() != ID_LENGTH_CHARS) return false;
        for (int i = 0; i < ID_LENGTH_CHARS; i++) {
            char c = id.charAt(i);
            boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            if (!hex) return false;
        }
        return true;
    }

    /** Returns the id, or throws IllegalArgumentException for anything that is not 64 lowercase hex. */
    public static String require(String id) {
        if (!isValid(id)) throw new IllegalArgumentException("not a chunk id (64 lowercase hex): " + id);
        return id;
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    public static String hex(byte[] digest) {
        return HEX.formatHex(digest);
    }

    public static int crc32c(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /** The content address, length and CRC32C of {@code length} bytes: what a manifest lists. */
    public static ChunkInfo describe(byte[] bytes, int offset, int length) {
        MessageDigest sha = sha256();
        sha.update(bytes, offset, length);
        return new ChunkInfo(hex(sha.digest()), length, crc32c(bytes, offset, length));
    }
}
