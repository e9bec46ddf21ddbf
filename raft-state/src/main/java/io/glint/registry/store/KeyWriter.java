package io.glint.registry.store;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

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

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

    public static KeyWriter key() {
        return new KeyWriter();
    }

    public KeyWriter raw(byte b) {
        out.write(b);
        return this;
    }

    public KeyWriter nil() {
        out.write(NULL);
        return this;
    }

    public KeyWriter str(String s) {
        if (s == null) return nil();
        out.write(STRING);
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            out.write(b);
            if (b == 0) out.write(0xFF);
        }
        out.write(0x00);
        out.write(0x01);
        return this;
    }

    public KeyWriter num(Long v) {
        if (v == null) return nil();
        out.write(LONG);
        long x = v ^ Long.MIN_VALUE;
        for (int i = 7; i >= 0; i--) out.write((int) (x >>> (i * 8)) & 0xFF);
        return this;
    }

    public KeyWriter num(long v) {
        return num(Long.valueOf(v));
    }

    public byte[] build() {
        return out.toByteArray();
    }
}
