package io.glint.node.chunk;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reusable direct buffers for whole chunks, aligned for O_DIRECT. {@code ByteBuffer.allocateDirect}
 * zeroes every new buffer and the kernel faults its pages in one by one: per 4 MiB chunk that was
 * the largest CPU cost of a download besides the socket copy. Buffers are handed back after use;
 * at most {@code idleMax} wait here (the rest are left to the GC), so the memory a pool keeps is
 * bounded by {@code idleMax x bufferBytes}.
 */
public final class DirectBufferPool {
    private final int bufferBytes;
    private final int alignment;
    private final int idleMax;
    private final ArrayDeque<ByteBuffer> idle = new ArrayDeque<>();
    private final AtomicLong allocated = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger outstanding = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * @param bufferBytes room of each pooled buffer
     * @param alignment   address alignment of each buffer's first byte (1: none)
     * @param idleMax     buffers kept for reuse at most
     */
    public DirectBufferPool(int bufferBytes, int alignment, int idleMax) {
        if (bufferBytes < 1 || alignment < 1 || Integer.bitCount(alignment) != 1 || idleMax < 0) {
            throw new IllegalArgumentException("bad pool shape: " + bufferBytes + " bytes, alignment " + alignment + ", idle " + idleMax);
        }
        this.bufferBytes = bufferBytes;
        this.alignment = alignment;
        this.idleMax = idleMax;
    }

    /** A cleared buffer with at least {@code minBytes} of room, aligned at index 0. */
    public ByteBuffer take(int minBytes) {
        outstanding.incrementAndGet();
        if (minBytes <= bufferBytes) {
            synchronized (idle) {
                ByteBuffer b = idle.poll();
                if (b != null) return b.clear();
            }
        }
        allocated.incrementAndGet();
        // a whole number of alignment units: an aligned slice of the raw buffer holds no more than that
        int room = (int) ((Math.max(minBytes, bufferBytes) + (long) alignment - 1) / alignment * alignment);
        ByteBuffer raw = ByteBuffer.allocateDirect(room + alignment - 1);
        return alignment == 1 ? raw : raw.alignedSlice(alignment).limit(room).slice();
    }

    /** Hands a buffer from {@link #take} back; the caller must not touch it afterwards. */
    public void give(ByteBuffer b) {
        outstanding.decrementAndGet();
        if (b.capacity() != bufferBytes) return; // an odd size: left to the GC
        synchronized (idle) {
            if (idle.size() < idleMax) idle.push(b);
        }
    }

    /** Buffers taken and not yet handed back (0 when every user gave its buffer back). */
    public int outstanding() {
        return outstanding.get();
    }

    /** Buffers allocated over the pool's life (a figure that stops growing once the pool is warm). */
    public long allocated() {
        return allocated.get();
    }
}
