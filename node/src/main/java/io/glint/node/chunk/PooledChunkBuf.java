package io.glint.node.chunk;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;

import java.nio.ByteBuffer;

/**
 * A chunk's bytes in a buffer from a {@link DirectBufferPool}, handed to Netty to send without a
 * copy: when Netty (or a failure) releases it, the buffer goes back to the pool and
 * {@code onRelease} runs (a peer request returns its share of the in-flight budget there).
 */
public final class PooledChunkBuf extends UnpooledDirectByteBuf {
    private final ByteBuffer pooled;
    private final DirectBufferPool pool;
    private final Runnable onRelease;

    /** Readable bytes: {@code [0, length)} of {@code pooled}. */
    public PooledChunkBuf(ByteBuffer pooled, int length, DirectBufferPool pool, Runnable onRelease) {
        super(UnpooledByteBufAllocator.DEFAULT, pooled.duplicate().clear(), pooled.capacity());
        this.pooled = pooled;
        this.pool = pool;
        this.onRelease = onRelease;
        setIndex(0, length);
    }

    @Override
    protected void deallocate() {
        pool.give(pooled);
        onRelease.run();
    }
}
