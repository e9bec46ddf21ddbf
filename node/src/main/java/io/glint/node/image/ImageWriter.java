package io.glint.node.image;

import io.glint.node.chunk.ChunkIds;
import io.glint.node.chunk.ChunkSink;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Cuts an image body into chunks and stores them (DESIGN §4-§5, spec §4.6 step 5).
 *
 * <p>The calling thread only reads the body into chunk buffers. Each full buffer fans out to three
 * kinds of work on a shared executor: the chunk task (SHA-256 for the id, CRC32C, write to the
 * store; chunks run in parallel) and one task on each of two {@link SerialLane}s that feed the
 * whole-image MD5 and SHA-512 in order. MD5 (~0.7 GB/s) and SHA-512 (~0.6 GB/s) are the slowest
 * steps, so running them beside the chunk writes, and beside the reading of the next chunk, is
 * what sets upload throughput.
 *
 * <p>Memory is bounded by {@code inFlightChunksMax x chunkSizeBytes} per upload, never by the
 * image size: buffers are reused (also across uploads: up to 2 x inFlightChunksMax wait for the
 * next upload), and the reader waits for a free buffer, which slows the
 * client's socket (backpressure) when disks or hashing fall behind. The size limit is enforced
 * while streaming: at most one byte past the limit is ever read.
 */
public final class ImageWriter {
    public static final int CHUNK_SIZE_DEFAULT_BYTES = 4 * 1024 * 1024;
    public static final int CHUNK_SIZE_MAX_BYTES = 64 * 1024 * 1024;
    public static final int IN_FLIGHT_CHUNKS_DEFAULT = 4;
    public static final int IN_FLIGHT_CHUNKS_MAX = 64;
    /** Spec §4.6: {@code image_size_cap} defaults to 1 TiB. */
    public static final long IMAGE_SIZE_CAP_DEFAULT_BYTES = 1L << 40;
    public static final long STALL_TIMEOUT_DEFAULT_MILLIS = 120_000;
    /** A body that returns 0 bytes this many times in a row is treated as broken. */
    private static final int EMPTY_READS_MAX = 1_000;

    /**
     * @param chunkSizeBytes    bytes per chunk (the last chunk of an image is shorter)
     * @param inFlightChunksMax chunk buffers one upload may hold at once
     * @param imageSizeCapBytes largest accepted image ({@code image_size_cap})
     * @param stallTimeoutMillis how long the reader waits for the chunk pipeline to make progress
     */
    public record Config(int chunkSizeBytes, int inFlightChunksMax, long imageSizeCapBytes, long stallTimeoutMillis) {
        public Config {
            if (chunkSizeBytes < 1 || chunkSizeBytes > CHUNK_SIZE_MAX_BYTES) {
                throw new IllegalArgumentException("chunkSizeBytes must be in 1.." + CHUNK_SIZE_MAX_BYTES);
            }
            if (inFlightChunksMax < 1 || inFlightChunksMax > IN_FLIGHT_CHUNKS_MAX) {
                throw new IllegalArgumentException("inFlightChunksMax must be in 1.." + IN_FLIGHT_CHUNKS_MAX);
            }
            if (imageSizeCapBytes < 0) throw new IllegalArgumentException("imageSizeCapBytes must be >= 0");
            if (stallTimeoutMillis <= 0) throw new IllegalArgumentException("stallTimeoutMillis must be > 0");
        }

        public static Config defaults() {
            return new Config(CHUNK_SIZE_DEFAULT_BYTES, IN_FLIGHT_CHUNKS_DEFAULT, IMAGE_SIZE_CAP_DEFAULT_BYTES,
                    STALL_TIMEOUT_DEFAULT_MILLIS);
        }

        public Config withChunkSizeBytes(int bytes) {
            return new Config(bytes, inFlightChunksMax, imageSizeCapBytes, stallTimeoutMillis);
        }

        public Config withInFlightChunksMax(int count) {
            return new Config(chunkSizeBytes, count, imageSizeCapBytes, stallTimeoutMillis);
        }

        public Config withImageSizeCapBytes(long bytes) {
            return new Config(chunkSizeBytes, inFlightChunksMax, bytes, stallTimeoutMillis);
        }
    }

    private final ChunkSink store;
    private final Executor executor;
    private final Config config;
    private final AtomicLong buffersAllocated = new AtomicLong();
    /**
     * Chunk buffers left by finished uploads, for the next ones (at most 2 x inFlightChunksMax).
     * A new 4 MiB array is zeroed and, being large, lands in the old generation: allocating
     * four per upload made small uploads pay for full collections.
     */
    private final ArrayDeque<byte[]> spare = new ArrayDeque<>();
    private final AtomicInteger inFlightBuffersPeak = new AtomicInteger();

    /**
     * @param executor runs the hashing and chunk writes of every upload of this node; its tasks
     *                 never wait for each other, so any pool size is deadlock-free
     */
    public ImageWriter(ChunkSink store, Executor executor, Config config) {
        this.store = store;
        this.executor = executor;
        this.config = config;
    }

    public Config config() {
        return config;
    }

    /** Chunk buffers allocated over this writer's life (each upload allocates at most inFlightChunksMax). */
    public long buffersAllocated() {
        return buffersAllocated.get();
    }

    /** The most chunk buffers any one upload has held at once. */
    public int inFlightBuffersPeak() {
        return inFlightBuffersPeak.get();
    }

    /** {@link #write(String, InputStream, long)} with the configured size cap. */
    public ChunkManifest write(String imageId, InputStream body) throws IOException, ImageTooLargeException {
        return write(imageId, body, config.imageSizeCapBytes());
    }

    /**
     * Reads {@code body} to its end, stores its chunks and returns the image's manifest. Returns
     * only after every chunk task has finished, whether it succeeds or fails, so no write of this
     * upload is still running when the caller commits or aborts.
     *
     * @param sizeLimitBytes the most bytes accepted (capped by {@code imageSizeCapBytes})
     * @throws ImageTooLargeException     the body went past the limit
     * @throws BodyReadException          reading the body failed (client gone)
     * @throws io.glint.node.chunk.StoreFullException the volume is full
     * @throws IOException                another chunk store failure or a stalled pipeline
     */
    public ChunkManifest write(String imageId, InputStream body, long sizeLimitBytes)
            throws IOException, ImageTooLargeException {
        long limitBytes = Math.min(Math.max(sizeLimitBytes, 0), config.imageSizeCapBytes());
        return new Run(imageId, limitBytes).run(body);
    }

    /** One chunk buffer in flight: released when its chunk task and both digest tasks are done. */
    private static final class Slot {
        final byte[] buffer;
        final int lengthBytes;
        final int index;
        final AtomicInteger pendingTasks = new AtomicInteger(3);

        Slot(byte[] buffer, int lengthBytes, int index) {
            this.buffer = buffer;
            this.lengthBytes = lengthBytes;
            this.index = index;
        }
    }

    /** The state of one write: buffers, digests, collected chunk infos and the first failure. */
    private final class Run {
        private final String imageId;
        private final long limitBytes;
        private final MessageDigest md5 = digest("MD5");
        private final MessageDigest sha512 = digest("SHA-512");
        private final SerialLane md5Lane = new SerialLane(executor);
        private final SerialLane sha512Lane = new SerialLane(executor);
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean cancelled;

        // Guarded by "this".
        private final ArrayDeque<byte[]> free = new ArrayDeque<>();
        private final List<ChunkInfo> chunks = new ArrayList<>();
        private int allocated;
        private int inFlight;

        // Owned by the reading thread.
        private long totalBytes;
        private boolean ended;

        Run(String imageId, long limitBytes) {
            this.imageId = imageId;
            this.limitBytes = limitBytes;
        }

        ChunkManifest run(InputStream body) throws IOException, ImageTooLargeException {
            try {
                int index = 0;
                while (!ended) {
                    byte[] buffer = acquire();
                    int filled;
                    try {
                        filled = fill(body, buffer);
                    } catch (IOException | ImageTooLargeException | RuntimeException e) {
                        giveBack(buffer);
                        throw e;
                    }
                    if (filled == 0) {
                        giveBack(buffer);
                        break;
                    }
                    submit(new Slot(buffer, filled, index++));
                }
                awaitIdle();
                rethrowFailure();
                return manifest();
            } catch (IOException | ImageTooLargeException | RuntimeException | Error e) {
                cancelled = true;
                awaitIdleQuietly();
                throw e;
            } finally {
                returnSpares();
            }
        }

        /** Hands this run's buffers to the writer's spares, once no task of the run holds one. */
        private void returnSpares() {
            synchronized (this) {
                if (inFlight > 0) return; // a stalled task still holds one: let the GC have them all
                synchronized (spare) {
                    while (!free.isEmpty() && spare.size() < 2 * config.inFlightChunksMax()) spare.push(free.poll());
                }
                free.clear();
            }
        }

        /** Reads until the buffer is full or the body ends; enforces the size limit as it goes. */
        private int fill(InputStream body, byte[] buffer) throws IOException, ImageTooLargeException {
            int filled = 0;
            int emptyReads = 0;
            while (filled < buffer.length) {
                int room = buffer.length - filled;
                long remaining = limitBytes - totalBytes;
                int want = remaining >= room ? room : (int) remaining + 1; // one byte more reveals an overrun
                int n;
                try {
                    n = body.read(buffer, filled, want);
                } catch (IOException e) {
                    throw new BodyReadException(e);
                }
                if (n < 0) {
                    ended = true;
                    break;
                }
                if (n == 0 && ++emptyReads > EMPTY_READS_MAX) {
                    throw new BodyReadException(new IOException("the body returned no data " + EMPTY_READS_MAX + " times"));
                }
                if (n > 0) emptyReads = 0;
                filled += n;
                totalBytes += n;
                if (totalBytes > limitBytes) throw new ImageTooLargeException(limitBytes);
            }
            return filled;
        }

        private void submit(Slot slot) {
            synchronized (this) {
                chunks.add(null);
            }
            md5Lane.submit(() -> digestTask(md5, slot));
            sha512Lane.submit(() -> digestTask(sha512, slot));
            try {
                executor.execute(() -> chunkTask(slot));
            } catch (RejectedExecutionException e) {
                chunkTask(slot);
            }
        }

        private void digestTask(MessageDigest digest, Slot slot) {
            try {
                if (!cancelled) digest.update(slot.buffer, 0, slot.lengthBytes);
            } catch (Throwable t) {
                fail(t);
            } finally {
                release(slot);
            }
        }

        private void chunkTask(Slot slot) {
            try {
                if (cancelled) return;
                ChunkInfo info = ChunkIds.describe(slot.buffer, 0, slot.lengthBytes);
                store.put(info, slot.buffer, 0);
                synchronized (this) {
                    chunks.set(slot.index, info);
                }
            } catch (Throwable t) {
                fail(t);
            } finally {
                release(slot);
            }
        }

        private byte[] acquire() throws IOException {
            synchronized (this) {
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.stallTimeoutMillis());
                while (free.isEmpty() && allocated == config.inFlightChunksMax()) {
                    rethrowFailure();
                    waitUntil(deadline, "a free chunk buffer");
                }
                rethrowFailure();
                byte[] buffer = free.poll();
                if (buffer == null) {
                    synchronized (spare) {
                        buffer = spare.poll();
                    }
                    if (buffer == null) {
                        buffer = new byte[config.chunkSizeBytes()];
                        buffersAllocated.incrementAndGet();
                    }
                    allocated++;
                }
                inFlight++;
                inFlightBuffersPeak.accumulateAndGet(inFlight, Math::max);
                return buffer;
            }
        }

        private synchronized void giveBack(byte[] buffer) {
            inFlight--;
            free.push(buffer);
            notifyAll();
        }

        private void release(Slot slot) {
            if (slot.pendingTasks.decrementAndGet() == 0) giveBack(slot.buffer);
        }

        private synchronized void fail(Throwable t) {
            failure.compareAndSet(null, t);
            cancelled = true;
            notifyAll();
        }

        private synchronized void awaitIdle() throws IOException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.stallTimeoutMillis());
            while (inFlight > 0) waitUntil(deadline, "the chunk writes to finish");
        }

        private void awaitIdleQuietly() {
            try {
                awaitIdle();
            } catch (IOException e) {
                // Already failing; the first failure is the one reported.
            }
        }

        /** Waits on this run's monitor until notified or the deadline passes. Caller holds the lock. */
        private void waitUntil(long deadlineNanos, String what) throws IOException {
            long leftNanos = deadlineNanos - System.nanoTime();
            if (leftNanos <= 0) {
                throw new IOException("upload of image " + imageId + " stalled: waited "
                        + config.stallTimeoutMillis() + " ms for " + what);
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, leftNanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for " + what);
            }
        }

        private void rethrowFailure() throws IOException {
            Throwable t = failure.get();
            if (t == null) return;
            if (t instanceof IOException) throw (IOException) t;
            if (t instanceof RuntimeException) throw (RuntimeException) t;
            if (t instanceof Error) throw (Error) t;
            throw new IOException("chunk pipeline failed", t);
        }

        private synchronized ChunkManifest manifest() {
            List<ChunkInfo> done = Collections.unmodifiableList(new ArrayList<>(chunks));
            if (done.contains(null)) throw new IllegalStateException("a chunk of " + imageId + " has no result");
            return new ChunkManifest(imageId, done, totalBytes, ChunkIds.hex(md5.digest()), "sha512",
                    ChunkIds.hex(sha512.digest()));
        }
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has " + algorithm, e);
        }
    }
}
