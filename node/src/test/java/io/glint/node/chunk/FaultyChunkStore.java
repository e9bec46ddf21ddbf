package io.glint.node.chunk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The chunk store with its write fault site armed: a test sets a {@link Fault} that replaces the
 * device write (disk full after half a chunk, a device error, a write that pauses mid-way).
 */
public final class FaultyChunkStore extends ChunkStore {
    /** Replaces one chunk's device write. */
    public interface Fault {
        void write(FileChannel channel, ByteBuffer source) throws IOException;
    }

    private volatile Fault fault;
    private final AtomicInteger writes = new AtomicInteger();

    /** Writes through the page cache: the faults write arbitrary byte counts, which O_DIRECT refuses. */
    public FaultyChunkStore(Path volume) throws IOException {
        super(volume, WriteMode.BUFFERED);
    }

    public void arm(Fault f) {
        this.fault = f;
    }

    /** Device writes attempted so far (one per chunk that was not a dedup hit). */
    public int writes() {
        return writes.get();
    }

    @Override
    protected void writeFully(FileChannel channel, ByteBuffer source) throws IOException {
        writes.incrementAndGet();
        Fault f = fault;
        if (f == null) {
            super.writeFully(channel, source);
        } else {
            f.write(channel, source);
        }
    }

    /** Writes half of the chunk, then fails as a full disk does. */
    public static Fault diskFullHalfway() {
        return (channel, source) -> {
            ByteBuffer half = source.slice();
            half.limit(source.remaining() / 2);
            while (half.hasRemaining()) channel.write(half);
            throw new IOException("No space left on device");
        };
    }

    /** The first {@code okWrites} writes succeed, then every later one fails as a full disk. */
    public static Fault diskFullAfter(int okWrites) {
        AtomicInteger seen = new AtomicInteger();
        Fault full = diskFullHalfway();
        return (channel, source) -> {
            if (seen.incrementAndGet() <= okWrites) {
                while (source.hasRemaining()) channel.write(source);
            } else {
                full.write(channel, source);
            }
        };
    }
}
