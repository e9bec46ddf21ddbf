package io.glint.registry.store;

/** A forward-only iteration over a key range; close it to release what the store holds for it. */
public interface Cursor extends AutoCloseable {
    /** Moves to the next entry; false when the range is exhausted. */
    boolean next();

    byte[] key();

    byte[] value();

    @Override
    void close();
}
