package io.glint.registry.store;

import java.util.Arrays;
import java.util.Comparator;

/** Byte-array helpers shared by every store; keys compare as unsigned bytes everywhere. */
public final class Bytes {
    public static final Comparator<byte[]> ORDER = Arrays::compareUnsigned;
    public static final byte[] EMPTY = new byte[0];

    private Bytes() {}

    /** The smallest key greater than every key that starts with {@code prefix}, or null if none. */
    public static byte[] prefixEnd(byte[] prefix) {
        byte[] end = Arrays.copyOf(prefix, prefix.length);
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xFF) {
                end[i]++;
                return Arrays.copyOf(end, i + 1);
            }
        }
        return null;
    }

    /** The smallest key strictly greater than {@code key}. */
    public static byte[] successor(byte[] key) {
        return Arrays.copyOf(key, key.length + 1);
    }

    public static boolean inRange(byte[] key, byte[] from, byte[] to) {
        return (from == null || ORDER.compare(key, from) >= 0) && (to == null || ORDER.compare(key, to) < 0);
    }

    public static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) sb.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
        return sb.toString();
    }
}
