package io.glint.registry.rocks;

/**
 * Something a store hands out that holds native RocksDB memory (a cursor's iterator, a read
 * view's snapshot). The store keeps every open one so that closing the store can release them
 * first; RocksDB must never see an iterator or snapshot outlive its database.
 */
interface NativeResource {
    /** Frees the native objects; idempotent. Called with the store's lifecycle lock held. */
    void release();
}
