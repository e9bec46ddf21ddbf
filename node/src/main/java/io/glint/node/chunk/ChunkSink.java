package io.glint.node.chunk;

import io.glint.registry.model.ChunkInfo;

import java.io.IOException;

/** Where an upload's chunks go: the local store on one node, the chunk's replica set in a cluster. */
public interface ChunkSink {
    /**
     * Makes chunk {@code info} durable from {@code bytes} at {@code offset}; returns only once it is
     * (the caller reuses the array afterwards).
     *
     * @return true if any copy was newly written, false if every target already had it
     */
    boolean put(ChunkInfo info, byte[] bytes, int offset) throws IOException;
}
