package io.glint.registry.store;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Reads back the elements a {@link KeyWriter} wrote, in order. */
public final class KeyReader {
    private final byte[] key;
    private int pos;

    public KeyReader(byte[] key, int offset) {
        this.key = key;
        this.pos = offset;
    }

    public byte raw() {
        return key[pos++];
    }

    public boolean atEnd() {
        return pos >= key.length;
    }

    public String str() {
        byte t = key[pos++];
        if (t == KeyWriter.NULL) return null;
        if (t != KeyWriter.STRING) throw new IllegalStateException("not a string element at " + (pos - 1));
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            byte x = key[pos++];
            if (x == 0) {
                byte n = key[pos++];
                if (n == 0x01) break;
                b.write(0);
            } else {
                b.write(x);
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    public Long num() {
        byte t = key[pos++];
        if (t == KeyWriter.NULL) return null;
        if (t != KeyWriter.LONG) throw new IllegalStateException("not a number element at " + (pos - 1));
        long x = 0;
        for (int i = 0; i < 8; i++) x = (x << 8) | (key[pos++] & 0xFFL);
        return x ^ Long.MIN_VALUE;
    }
}
