package io.glint.registry.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 over every table of a view, in table and key order, with lengths framed so that no two
 * different states hash the same stream. Equal digests mean byte-identical registries: this is
 * what the determinism test and the consistency audit compare across members.
 */
public final class StateDigest {
    private StateDigest() {}

    public static byte[] compute(KeyValueView view) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] len = new byte[4];
        for (Table t : Table.values()) {
            md.update((byte) t.ordinal());
            try (Cursor c = view.scan(t, null, null, false)) {
                while (c.next()) {
                    frame(md, len, c.key());
                    frame(md, len, c.value());
                }
            }
            md.update((byte) 0xFF);
        }
        return md.digest();
    }

    private static void frame(MessageDigest md, byte[] len, byte[] b) {
        len[0] = (byte) (b.length >>> 24);
        len[1] = (byte) (b.length >>> 16);
        len[2] = (byte) (b.length >>> 8);
        len[3] = (byte) b.length;
        md.update(len);
        md.update(b);
    }

    public static String hex(KeyValueView view) {
        return Bytes.hex(compute(view));
    }
}
