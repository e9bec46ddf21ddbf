package io.glint.registry.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Keys of the META table and the encoding of the applied index kept there. */
public final class MetaKeys {
    public static final byte[] APPLIED = "applied".getBytes(StandardCharsets.US_ASCII);
    public static final byte[] SETTINGS = "settings".getBytes(StandardCharsets.US_ASCII);

    private MetaKeys() {}

    public static byte[] encodeApplied(long term, long index) {
        return ByteBuffer.allocate(16).putLong(term).putLong(index).array();
    }

    public static RegistryStore.AppliedIndex decodeApplied(byte[] v) {
        if (v == null) return RegistryStore.AppliedIndex.NONE;
        ByteBuffer b = ByteBuffer.wrap(v);
        return new RegistryStore.AppliedIndex(b.getLong(), b.getLong());
    }
}
