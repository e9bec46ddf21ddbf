package io.glint.bench;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The bytes of a benchmark image: one 1 MiB block of SplitMix64 output from the seed, repeated,
 * with the first 8 bytes of each repetition replaced by a stamp of its index (a bijective mix of
 * seed and index, so no two stamps of one image are equal). No two 1 MiB-aligned blocks are equal,
 * so a content-addressed store cannot dedup chunks of 1 MiB or more; and unlike a PRNG stream,
 * making and checking these bytes costs the client only a stamp per MiB and vectorized compares,
 * so on a 2-core machine the client takes next to no CPU from the server it measures.
 */
final class ImageBytes {
    static final int BLOCK_BYTES = 1 << 20;
    private final long seed;
    private final long lengthBytes;
    private final byte[] base = new byte[BLOCK_BYTES];

    ImageBytes(long seed, long lengthBytes) {
        if (lengthBytes < 0) throw new IllegalArgumentException("negative length");
        this.seed = seed;
        this.lengthBytes = lengthBytes;
        ByteBuffer view = ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN);
        long state = seed;
        for (int i = 0; i < BLOCK_BYTES; i += 8) {
            state += 0x9E3779B97F4A7C15L;
            view.putLong(i, mix(state));
        }
    }

    long lengthBytes() {
        return lengthBytes;
    }

    long blocks() {
        return (lengthBytes + BLOCK_BYTES - 1) / BLOCK_BYTES;
    }

    /** A direct buffer of {@link #BLOCK_BYTES} holding the repeated block, for {@link #stamp}. */
    ByteBuffer newBlockBuffer() {
        ByteBuffer b = ByteBuffer.allocateDirect(BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(base).clear();
        return b;
    }

    /**
     * Turns a buffer from {@link #newBlockBuffer} into block {@code index} of the image: stamps it
     * and sets position 0 and the limit to the block's length (the last block may be shorter).
     */
    ByteBuffer stamp(ByteBuffer block, long index) {
        long start = index * BLOCK_BYTES;
        int length = (int) Math.min(BLOCK_BYTES, lengthBytes - start);
        block.clear();
        block.putLong(0, mix(seed ^ (index * 0xD1B54A32D192ED03L + 0x632BE59BD9B4E019L)));
        return block.limit(length);
    }

    /** The image's bytes as a stream (for the MD5 and for dd's source file). */
    InputStream stream() {
        return new InputStream() {
            private final ByteBuffer block = newBlockBuffer();
            private long index = -1;
            private long position;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) return 0;
                if (position >= lengthBytes) return -1;
                long wanted = position / BLOCK_BYTES;
                if (wanted != index) {
                    stamp(block, wanted);
                    index = wanted;
                }
                int inBlock = (int) (position % BLOCK_BYTES);
                int n = Math.min(len, block.limit() - inBlock);
                block.get(inBlock, b, off, n);
                position += n;
                return n;
            }
        };
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
