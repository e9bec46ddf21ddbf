package io.glint.registry.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds keys whose unsigned byte order equals the order of the values they encode, so that an
 * index scan returns rows already sorted. Each element starts with a type byte: null (0x01) sorts
 * before a string (0x02) or a number (0x03). Strings are UTF-8 with 0x00 escaped as 0x00 0xFF and
 * end with 0x00 0x01, so a string never sorts after a longer one it prefixes; longs are big-endian
 * with the sign bit flipped. The shape follows FoundationDB's tuple layer.
 */
public final class KeyWriter {
    static final byte NULL = 0x01;
    static final byte STRING = 0x02;
    static final byte LONG = 0x03;

    /** Keys are built on the apply path of every command: a plain growable array, no locking. */
    private byte[] buf = new byte[64];
    private int len;

    public static KeyWriter key() {
        return new KeyWriter();
    }

    private void put(int b) {
        if (len == buf.length) buf = Arrays.copyOf(buf, buf.length * 2);
        buf[len++] = (byte) b;
    }

    public KeyWriter raw(byte b) {
        put(b);
        return this;
    }

    public KeyWriter nil() {
        put(NULL);
        return this;
    }

    public KeyWriter str(String s) {
        if (s == null) return nil();
        put(STRING);
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            put(b);
            if (b == 0) put(0xFF);
        }
        put(0x00);
        put(0x01);
        return this;
    }

    public KeyWriter num(Long v) {
        if (v == null) return nil();
        put(LONG);
        long x = v ^ Long.MIN_VALUE;
        for (int i = 7; i >= 0; i--) put((int) (x >>> (i * 8)) & 0xFF);
        return this;
    }

    public KeyWriter num(long v) {
        return num(Long.valueOf(v));
    }

    public byte[] build() {
        return Arrays.copyOf(buf, len);
    }
}
