package io.glint.node.image;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Request bodies for the data-path tests: generated, failing, blocking and counting streams. */
final class TestStreams {
    private TestStreams() {}

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String hex(String algorithm, byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code totalBytes} bytes made on the fly, never held in memory: every 8-byte word is a mix
     * of its position, so no two chunks are equal. Counts what it handed out.
     */
    static final class Generated extends InputStream {
        private final long totalBytes;
        private long position;

        Generated(long totalBytes) {
            this.totalBytes = totalBytes;
        }

        long consumedBytes() {
            return position;
        }

        static byte byteAt(long pos) {
            long word = (pos >>> 3) * 0x9E3779B97F4A7C15L;
            word ^= word >>> 29;
            return (byte) (word >>> ((pos & 7) * 8));
        }

        @Override
        public int read() {
            if (position >= totalBytes) return -1;
            return byteAt(position++) & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) return 0;
            if (position >= totalBytes) return -1;
            int n = (int) Math.min(len, totalBytes - position);
            for (int i = 0; i < n; i++) b[off + i] = byteAt(position + i);
            position += n;
            return n;
        }
    }

    /** Serves {@code data}, then fails as a client that disconnects after {@code failAfterBytes}. */
    static InputStream disconnectingAfter(byte[] data, int failAfterBytes) {
        return new InputStream() {
            private int position;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (position >= failAfterBytes) throw new IOException("the client closed the connection");
                int n = Math.min(len, failAfterBytes - position);
                System.arraycopy(data, position, b, off, n);
                position += n;
                return n;
            }
        };
    }

    /** Counts the bytes read through it. */
    static final class Counting extends InputStream {
        private final InputStream in;
        final AtomicLong consumedBytes = new AtomicLong();

        Counting(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int c = in.read();
            if (c >= 0) consumedBytes.incrementAndGet();
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) consumedBytes.addAndGet(n);
            return n;
        }
    }

    /** Serves {@code prefix}, then waits for {@link #release()} before serving {@code rest}. */
    static final class Gated extends InputStream {
        private final InputStream prefix;
        private final InputStream rest;
        final CountDownLatch prefixServed = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);

        Gated(byte[] data, int prefixBytes) {
            this.prefix = new ByteArrayInputStream(data, 0, prefixBytes);
            this.rest = new ByteArrayInputStream(data, prefixBytes, data.length - prefixBytes);
        }

        void release() {
            released.countDown();
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = prefix.read(b, off, len);
            if (n > 0) return n;
            prefixServed.countDown();
            try {
                if (!released.await(30, TimeUnit.SECONDS)) throw new IOException("test gate never opened");
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return rest.read(b, off, len);
        }
    }

    /**
     * A body that trickles zeros (one small piece per few milliseconds) up to a huge length: an
     * upload that is still running whenever the test looks.
     */
    static final class Trickle extends InputStream {
        final AtomicLong consumedBytes = new AtomicLong();
        private final long totalBytes;
        private final CountDownLatch never = new CountDownLatch(1);

        Trickle(long totalBytes) {
            this.totalBytes = totalBytes;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (consumedBytes.get() >= totalBytes) return -1;
            try {
                never.await(2, TimeUnit.MILLISECONDS); // pacing, not waiting for a condition
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            int n = (int) Math.min(Math.min(len, 512), totalBytes - consumedBytes.get());
            Arrays.fill(b, off, off + n, (byte) 0);
            consumedBytes.addAndGet(n);
            return n;
        }
    }
}
