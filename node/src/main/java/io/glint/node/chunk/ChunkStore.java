package io.glint.node.chunk;

import io.glint.registry.model.ChunkInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * Content-addressed chunk files on one local volume (DESIGN §4).
 *
 * <p>Layout: {@code <volume>/chunks/<2 hex>/<2 hex>/<sha256>}. A chunk is written to
 * {@code <volume>/tmp/}, forced to disk, renamed into place atomically and the directory is then
 * forced, so a crash leaves either no chunk or a whole one; whatever a crash leaves in {@code tmp/}
 * is removed when the store opens. Because a chunk's name is the hash of its bytes, a chunk that
 * is already present is not written again (identical regions of images are stored once).
 *
 * <p>Reads check the length and the CRC32C the manifest recorded before handing out a single byte
 * (STYLE §7: a property checked on both sides of the disk). A chunk that fails is moved to
 * {@code <volume>/quarantine/} so that it is never served again and the replicator can restore it.
 *
 * <p>The class is not final for one reason: {@link #writeFully} is the named fault site where a
 * test twin simulates a full disk or a failing device. Production code never subclasses it.
 */
public class ChunkStore implements ChunkSink {
    private static final Logger log = LoggerFactory.getLogger(ChunkStore.class);

    /** Upper bound of one {@link #list} page. */
    public static final int LIST_PAGE_MAX = 100_000;
    /** A read or write that makes no progress this many times in a row is treated as a device error. */
    private static final int STALLED_IO_ATTEMPTS_MAX = 1_000;
    private static final int VERIFY_BUFFER_BYTES = 64 * 1024;
    /** How often a put waits for a concurrent put of the same chunk before writing anyway. */
    private static final int CONCURRENT_PUT_WAITS_MAX = 3;
    private static final long OTHER_WRITER_WAIT_MAX_MILLIS = 60_000;

    private final Path volume;
    private final Path chunksDir;
    private final Path tmpDir;
    private final Path quarantineDir;

    /** Puts in progress, by chunk id: a second put of the same id waits for the first. */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> writing = new ConcurrentHashMap<>();
    /**
     * Per-id critical sections (striped by id): a put's check-and-touch of a present copy, a put's
     * rename into place, and a reaper's check-and-delete ({@link #deleteIfUntouchedSince}) of the
     * same id never interleave, so a chunk that a put has just touched or written is never deleted.
     */
    private static final int ID_LOCK_STRIPES = 256;
    private final ReentrantLock[] idLocks = new ReentrantLock[ID_LOCK_STRIPES];
    /** Temporary files of writes in progress: tmp/ cleanup leaves them alone. */
    private final java.util.Set<Path> tmpInUse = ConcurrentHashMap.newKeySet();
    private final AtomicLong chunksWritten = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong dedupHits = new AtomicLong();
    private final AtomicLong corruptFound = new AtomicLong();

    /** How chunk files are written. */
    public enum WriteMode {
        /** O_DIRECT where the volume's file system allows it (probed at open), else buffered. */
        AUTO,
        /** Through the page cache, then forced. */
        BUFFERED
    }

    /**
     * Alignment of O_DIRECT writes on this volume, or 0 when chunks are written through the page
     * cache. Direct writes skip the page cache: on the VMs these nodes run on, filling the page
     * cache costs about 1.3 s of kernel CPU per GiB against 0.25 s for the same bytes written
     * direct, and that CPU is what the upload's hashing needs.
     */
    private final int directAlignment;
    /** Aligned buffers for every whole-chunk read (downloads, peers, replicator); at most this many wait idle. */
    private static final int READ_BUFFERS_IDLE_MAX = 16;
    private volatile DirectBufferPool readBuffers;
    /** Per data thread: an aligned buffer that a chunk is copied into for a direct write. */
    private final ThreadLocal<ByteBuffer> directBuffers = new ThreadLocal<>();

    /** Told of every chunk that appears on or leaves this volume (the per-group index listens). */
    public interface Listener {
        void added(String id);

        void removed(String id);
    }

    private volatile Listener listener = new Listener() {
        @Override
        public void added(String id) {}

        @Override
        public void removed(String id) {}
    };

    /** Sets the one listener; set it before scanning with {@link #list} so that nothing is missed. */
    public void listen(Listener l) {
        this.listener = Objects.requireNonNull(l);
    }

    /** Opens (creating if needed) the store on {@code volume} and clears what a crash left in tmp/. */
    public ChunkStore(Path volume) throws IOException {
        this(volume, WriteMode.AUTO);
    }

    /** As {@link #ChunkStore(Path)}, writing chunks as {@code mode} says. */
    public ChunkStore(Path volume, WriteMode mode) throws IOException {
        this.volume = volume.toAbsolutePath();
        this.chunksDir = this.volume.resolve("chunks");
        this.tmpDir = this.volume.resolve("tmp");
        this.quarantineDir = this.volume.resolve("quarantine");
        for (int i = 0; i < ID_LOCK_STRIPES; i++) idLocks[i] = new ReentrantLock();
        Files.createDirectories(chunksDir);
        Files.createDirectories(tmpDir);
        Files.createDirectories(quarantineDir);
        int cleared = clearTmp();
        if (cleared > 0) log.info("volume {}: removed {} unfinished chunk file(s) from tmp/", this.volume, cleared);
        fsyncDirectory(this.volume);
        this.directAlignment = mode == WriteMode.AUTO ? probeDirectWrites(tmpDir) : 0;
        this.readBuffers = new DirectBufferPool(directReadBytes(4 << 20), Math.max(1, directAlignment), READ_BUFFERS_IDLE_MAX);
        log.info("volume {}: chunk files are written {}", this.volume,
                directAlignment > 0 ? "direct (O_DIRECT, " + directAlignment + "-byte alignment)" : "through the page cache");
    }

    /**
     * The alignment direct writes need on the file system of {@code dir} (at least 4096 and a
     * multiple of its block size), or 0 if a direct write of one aligned block fails there (tmpfs,
     * for one, refuses O_DIRECT).
     */
    private static int probeDirectWrites(Path dir) {
        Path probe = dir.resolve("direct-io-probe.tmp");
        try {
            long block = Files.getFileStore(dir).getBlockSize();
            int alignment = (int) Math.max(4096, block);
            if (alignment % block != 0 || alignment > 1 << 20) return 0;
            ByteBuffer one = ByteBuffer.allocateDirect(2 * alignment).alignedSlice(alignment).limit(alignment);
            try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
                ch.write(one);
                ch.force(true);
            }
            return alignment;
        } catch (IOException | UnsupportedOperationException e) {
            log.info("direct writes are not available in {}: {}", dir, e.toString());
            return 0;
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // clearTmp removes it at the next open
            }
        }
    }

    /** True when chunks are written with O_DIRECT. */
    public boolean writesDirect() {
        return directAlignment > 0;
    }

    /** The alignment a buffer needs for a direct {@link #read(ChunkInfo, ByteBuffer)}; 0: reads are buffered. */
    public int directAlignment() {
        return directAlignment;
    }

    /** The room a direct read of a chunk of {@code lengthBytes} needs in its buffer (whole blocks). */
    public int directReadBytes(int lengthBytes) {
        return directAlignment == 0 ? lengthBytes : roundUp(lengthBytes, directAlignment);
    }

    private static int roundUp(int length, int alignment) {
        return (int) ((length + (long) alignment - 1) / alignment * alignment);
    }

    public Path volume() {
        return volume;
    }

    /** Where chunk {@code id} lives; the id is validated first, so the path stays inside chunks/. */
    public Path pathOf(String id) {
        ChunkIds.require(id);
        return chunksDir.resolve(id.substring(0, 2)).resolve(id.substring(2, 4)).resolve(id);
    }

    public Path quarantineDirectory() {
        return quarantineDir;
    }

    public Path tmpDirectory() {
        return tmpDir;
    }

    // --- writing ---------------------------------------------------------------------------------

    /**
     * Stores {@code info.lengthBytes()} bytes of {@code bytes} from {@code offset} as chunk
     * {@code info.id()}. The caller has computed the id and CRC32C from these very bytes. Returns
     * false when an intact copy was already present (a dedup hit): the present copy's length and
     * CRC32C are checked first, and its modification time is refreshed ("touched") so that the
     * orphan reaper's grace period starts again. A present copy that fails the check is
     * quarantined and the good bytes are written in its place. The check-and-touch, and the rename
     * of a new copy into place, are atomic with respect to {@link #deleteIfUntouchedSince}.
     *
     * @throws StoreFullException the volume is out of space; no partial file remains
     * @throws IOException        any other device error; no partial file remains
     */
    public boolean put(ChunkInfo info, byte[] bytes, int offset) throws IOException {
        String id = ChunkIds.require(info.id());
        int length = info.lengthBytes();
        Objects.checkFromIndexSize(offset, length, bytes.length);
        // Concurrent puts of one id (zero-filled regions of one image) wait for the first writer and
        // then find its copy, so the chunk is written once. After a few waits a put writes anyway:
        // the rename is atomic and the bytes are identical, so a duplicate write only costs time.
        for (int attempt = 0; ; attempt++) {
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> other = writing.putIfAbsent(id, mine);
            if (other != null && attempt < CONCURRENT_PUT_WAITS_MAX) {
                awaitOtherWriter(other, id);
                continue;
            }
            try {
                if (touchIntactCopy(info)) {
                    dedupHits.incrementAndGet();
                    return false;
                }
                writeNew(id, bytes, offset, length);
                return true;
            } finally {
                if (other == null) {
                    writing.remove(id, mine);
                    mine.complete(null);
                }
            }
        }
    }

    private void writeNew(String id, byte[] bytes, int offset, int length) throws IOException {
        Path target = pathOf(id);
        Path tmp = null;
        boolean placed = false;
        try {
            ensureDirectory(target.getParent());
            tmp = Files.createTempFile(tmpDir, id.substring(0, 16) + ".", ".tmp");
            tmpInUse.add(tmp);
            if (directAlignment > 0) {
                writeDirect(tmp, bytes, offset, length);
            } else {
                try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    writeFully(channel, ByteBuffer.wrap(bytes, offset, length));
                    channel.force(true);
                }
            }
            ReentrantLock lock = lockOf(id);
            lock.lock();
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                placed = true;
                listener.added(id);
            } finally {
                lock.unlock();
            }
            fsyncDirectory(target.getParent());
        } catch (IOException e) {
            throw classify(e, id);
        } finally {
            if (!placed && tmp != null) deleteQuietly(tmp);
            if (tmp != null) tmpInUse.remove(tmp);
        }
        chunksWritten.incrementAndGet();
        bytesWritten.addAndGet(length);
    }

    /**
     * Writes the chunk with O_DIRECT from this thread's aligned buffer: the length is rounded up
     * to the alignment with zeros, then the file is cut back to the chunk's length and forced
     * (which also makes its size and blocks durable).
     */
    private void writeDirect(Path tmp, byte[] bytes, int offset, int length) throws IOException {
        int padded = roundUp(length, directAlignment);
        ByteBuffer buf = directBuffers.get();
        if (buf == null || buf.capacity() < padded) {
            buf = ByteBuffer.allocateDirect(padded + directAlignment).alignedSlice(directAlignment);
            directBuffers.set(buf);
        }
        buf.clear();
        buf.put(bytes, offset, length);
        while (buf.position() < padded) buf.put((byte) 0);
        buf.flip();
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
            writeFully(channel, buf);
            if (padded != length) channel.truncate(length);
            channel.force(true);
        }
    }

    private static void awaitOtherWriter(CompletableFuture<Void> other, String id) throws IOException {
        try {
            other.get(OTHER_WRITER_WAIT_MAX_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while another put of chunk " + id + " ran");
        } catch (ExecutionException | TimeoutException e) {
            // Its outcome does not matter: the caller checks the file again.
        }
    }

    /**
     * Writes every remaining byte of {@code source} to {@code channel}. The fault-injection site of
     * this store: a test twin overrides it to fail like a full or broken device.
     */
    protected void writeFully(FileChannel channel, ByteBuffer source) throws IOException {
        int stalled = 0;
        while (source.hasRemaining()) {
            if (channel.write(source) > 0) {
                stalled = 0;
            } else if (++stalled > STALLED_IO_ATTEMPTS_MAX) {
                throw new IOException("the device accepted no bytes in " + STALLED_IO_ATTEMPTS_MAX + " writes");
            }
        }
    }

    private ReentrantLock lockOf(String id) {
        // The id is a SHA-256: its leading hex digits are uniformly spread.
        return idLocks[Integer.parseInt(id.substring(0, 2), 16) % ID_LOCK_STRIPES];
    }

    /**
     * True when an intact copy of the chunk is present; it has then been touched. A copy of the
     * wrong length or CRC32C is quarantined (false: write it again).
     */
    private boolean touchIntactCopy(ChunkInfo info) throws IOException {
        String id = info.id();
        Path target = pathOf(id);
        ReentrantLock lock = lockOf(id);
        lock.lock();
        try {
            String problem = checkCopy(target, info);
            if (problem == null) {
                Files.setLastModifiedTime(target, FileTime.from(Instant.now()));
                return true;
            }
            if (problem.isEmpty()) return false; // absent
            log.warn("chunk {} on {} {}: quarantined and rewritten", id, volume, problem);
            quarantine(id);
            return false;
        } catch (NoSuchFileException e) {
            return false; // removed meanwhile (a quarantine by a reader): write it again
        } finally {
            lock.unlock();
        }
    }

    /**
     * Checks the file's length and CRC32C against {@code info}: null when intact, "" when absent,
     * else what is wrong. Reads through the page cache in small pieces, so repeated dedup hits of
     * one chunk (zero-filled regions) cost memory bandwidth, not disk reads.
     */
    private static String checkCopy(Path target, ChunkInfo info) throws IOException {
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size != info.lengthBytes()) return "has " + size + " bytes, expected " + info.lengthBytes();
            CRC32C crc = new CRC32C();
            long read = readThrough(channel, size, crc::update);
            if (read != size) return "ended after " + read + " of " + size + " bytes";
            int value = (int) crc.getValue();
            return value == info.crc32c() ? null
                    : String.format("has CRC32C %08x, expected %08x", value, info.crc32c());
        } catch (NoSuchFileException e) {
            return "";
        }
    }

    /**
     * Feeds a file's bytes, up to {@code max} or its end, to {@code sink} in pieces of at most
     * {@link #VERIFY_BUFFER_BYTES} (through the page cache); returns how many were read. A device
     * that keeps returning nothing is an error, not a loop.
     */
    private static long readThrough(FileChannel channel, long max, java.util.function.Consumer<ByteBuffer> sink) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.max(1, Math.min(VERIFY_BUFFER_BYTES, max)));
        long read = 0;
        int stalled = 0;
        while (read < max) {
            buf.clear();
            if (max - read < buf.capacity()) buf.limit((int) (max - read));
            int n = channel.read(buf);
            if (n < 0) break;
            if (n == 0 && ++stalled > STALLED_IO_ATTEMPTS_MAX) {
                throw new IOException("the device returned no bytes in " + STALLED_IO_ATTEMPTS_MAX + " reads");
            }
            if (n > 0) stalled = 0;
            read += n;
            sink.accept(buf.flip());
        }
        return read;
    }

    private static IOException classify(IOException e, String id) {
        if (e instanceof StoreFullException) return e;
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
                return new StoreFullException("no space for chunk " + id + ": " + m, e);
            }
        }
        return e;
    }

    private void ensureDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) return;
        Files.createDirectories(dir);
        // Make the new directory entries durable before a chunk is renamed into them.
        fsyncDirectory(dir.getParent());
        fsyncDirectory(chunksDir);
    }

    // --- reading ---------------------------------------------------------------------------------

    /** The chunk's bytes, after checking length and CRC32C. */
    public byte[] read(ChunkInfo info) throws IOException {
        if (directAlignment == 0) {
            byte[] bytes = new byte[info.lengthBytes()];
            read(info, bytes);
            return bytes;
        }
        // Through an aligned buffer: a direct read of the whole chunk, then one copy out.
        ByteBuffer room = readBuffers.take(directReadBytes(info.lengthBytes()));
        try {
            read(info, room);
            byte[] bytes = new byte[info.lengthBytes()];
            room.get(0, bytes);
            return bytes;
        } finally {
            readBuffers.give(room);
        }
    }

    /**
     * Reads and checks the chunk (as {@link #read(ChunkInfo, ByteBuffer)}) into one of this store's
     * pooled aligned buffers and hands it out as a buffer Netty can send without a copy; when it is
     * released the buffer returns to the pool and {@code onRelease} runs. On failure nothing is held.
     */
    public PooledChunkBuf readPooled(ChunkInfo info, Runnable onRelease) throws IOException {
        DirectBufferPool pool = readBuffers;
        ByteBuffer room = pool.take(directReadBytes(info.lengthBytes()));
        try {
            read(info, room);
        } catch (IOException | RuntimeException e) {
            pool.give(room);
            throw e;
        }
        return new PooledChunkBuf(room, info.lengthBytes(), pool, onRelease);
    }

    /**
     * The chunk file's bytes, unchecked (for a caller that checks the SHA-256 itself, such as a
     * peer). Direct where the store writes direct.
     *
     * @throws ChunkMissingException not on this volume
     * @throws IOException           a size out of range or a device error
     */
    public byte[] readUnchecked(String id, int maxBytes) throws IOException {
        Path path = pathOf(id);
        try (FileChannel channel = directAlignment > 0
                ? FileChannel.open(path, StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT)
                : FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 1 || size > maxBytes) throw new IOException("chunk " + id + " on " + volume + " has " + size + " bytes");
            int length = (int) size;
            ByteBuffer room = directAlignment > 0 ? readBuffers.take(directReadBytes(length)) : ByteBuffer.allocate(length);
            try {
                ByteBuffer window = room.slice(0, directAlignment > 0 ? directReadBytes(length) : length);
                if (readAtLeast(channel, window, length) != length) throw new IOException("chunk " + id + " ended early");
                byte[] bytes = new byte[length];
                window.get(0, bytes);
                return bytes;
            } finally {
                if (directAlignment > 0) readBuffers.give(room);
            }
        } catch (NoSuchFileException e) {
            throw new ChunkMissingException(id);
        }
    }

    /**
     * The pool of direct buffers whole-chunk reads go through; a chunk fetched from a peer is read
     * into one of them too and goes back there when it has been sent.
     */
    public DirectBufferPool readBuffers() {
        return readBuffers;
    }

    /**
     * Sizes the pool of aligned buffers that whole-chunk reads go through to the cluster's chunk
     * size. Call once at start-up.
     */
    public void sizeReadBuffers(int chunkSizeBytes) {
        readBuffers = new DirectBufferPool(directReadBytes(chunkSizeBytes), Math.max(1, directAlignment), READ_BUFFERS_IDLE_MAX);
    }

    /**
     * Reads the chunk into {@code dest} (from index 0) and checks its length and CRC32C before
     * returning its length. A chunk that fails is quarantined before the exception is thrown.
     *
     * @throws ChunkMissingException not on this volume
     * @throws ChunkCorruptException wrong length or CRC32C
     */
    public int read(ChunkInfo info, byte[] dest) throws IOException {
        if (dest.length < info.lengthBytes()) {
            throw new IllegalArgumentException("buffer of " + dest.length + " bytes for a chunk of " + info.lengthBytes());
        }
        read(info, ByteBuffer.wrap(dest));
        return info.lengthBytes();
    }

    /**
     * Reads the chunk into {@code dest} from its position (a direct buffer spares the JDK's copy
     * through a temporary one), checks its length and CRC32C, and leaves {@code dest}'s position
     * just past the chunk. A chunk that fails is quarantined before the exception is thrown. When
     * this store writes direct and {@code dest} is a direct buffer aligned at its position with
     * {@link #directReadBytes} free, the read bypasses the page cache too (chunks written direct
     * are not in it, and reading a 4 MiB file through it starts with small read-ahead).
     *
     * @throws ChunkMissingException not on this volume
     * @throws ChunkCorruptException wrong length or CRC32C
     */
    public void read(ChunkInfo info, ByteBuffer dest) throws IOException {
        String id = ChunkIds.require(info.id());
        int length = info.lengthBytes();
        if (dest.remaining() < length) {
            throw new IllegalArgumentException("buffer with " + dest.remaining() + " bytes free for a chunk of " + length);
        }
        int start = dest.position();
        int padded = directAlignment == 0 ? length : roundUp(length, directAlignment);
        boolean direct = directAlignment > 0 && dest.isDirect() && dest.remaining() >= padded
                && dest.alignmentOffset(start, directAlignment) == 0;
        // A direct read asks for whole blocks; the file's end cuts it short at the chunk's length.
        ByteBuffer window = dest.slice(start, direct ? padded : length);
        String problem;
        try (FileChannel channel = direct
                ? FileChannel.open(pathOf(id), StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT)
                : FileChannel.open(pathOf(id), StandardOpenOption.READ)) {
            long sizeBytes = channel.size();
            if (sizeBytes != length) {
                problem = "has " + sizeBytes + " bytes, the manifest says " + length;
            } else if (readAtLeast(channel, window, length) != length) {
                problem = "ended before " + length + " bytes";
            } else {
                CRC32C crc = new CRC32C();
                crc.update(window.flip().limit(length));
                int value = (int) crc.getValue();
                problem = value == info.crc32c() ? null
                        : String.format("has CRC32C %08x, the manifest says %08x", value, info.crc32c());
            }
        } catch (NoSuchFileException e) {
            throw new ChunkMissingException(id);
        }
        if (problem != null) throw corrupt(id, problem);
        dest.position(start + length);
    }

    /**
     * Reads until {@code want} bytes are in {@code buf} or the file ends; returns the bytes read. A
     * direct read asks for whole blocks and gets the file's tail short, so it stops at {@code want}
     * instead of asking again at an unaligned position.
     */
    private static int readAtLeast(FileChannel channel, ByteBuffer buf, int want) throws IOException {
        int stalled = 0;
        while (buf.position() < want) {
            int n = channel.read(buf);
            if (n < 0) break;
            if (n > 0) {
                stalled = 0;
            } else if (++stalled > STALLED_IO_ATTEMPTS_MAX) {
                throw new IOException("the device returned no bytes in " + STALLED_IO_ATTEMPTS_MAX + " reads");
            }
        }
        return buf.position();
    }

    private ChunkCorruptException corrupt(String id, String problem) {
        String message = "chunk " + id + " on " + volume + " " + problem + "; moved to quarantine";
        log.warn(message);
        quarantine(id);
        return new ChunkCorruptException(id, message);
    }

    public boolean has(String id) {
        return Files.isRegularFile(pathOf(id));
    }

    /**
     * Recomputes the SHA-256 of the stored chunk and compares it with its id: the auditor's deep
     * pass (DESIGN §6). Has no side effect; the caller decides whether to {@link #quarantine}.
     *
     * @throws ChunkMissingException not on this volume
     */
    public boolean verifySha256(String id) throws IOException {
        Path path = pathOf(id);
        MessageDigest sha = ChunkIds.sha256();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            readThrough(channel, Long.MAX_VALUE, sha::update);
        } catch (NoSuchFileException e) {
            throw new ChunkMissingException(id);
        }
        return ChunkIds.hex(sha.digest()).equals(id);
    }

    // --- removing --------------------------------------------------------------------------------

    /**
     * Moves the chunk to {@code quarantine/} under a unique name (kept for inspection, never served).
     * Returns false when it was already gone (for example a concurrent reader quarantined it first).
     */
    public boolean quarantine(String id) {
        Path source = pathOf(id);
        if (!Files.exists(source)) return false;
        Path dest = null;
        try {
            dest = Files.createTempFile(quarantineDir, id + ".", ".bad");
            Files.move(source, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            corruptFound.incrementAndGet();
            listener.removed(id);
            // Its retention counts from now, not from when the chunk was written.
            try {
                Files.setLastModifiedTime(dest, FileTime.from(Instant.now()));
            } catch (IOException e) {
                log.debug("could not stamp quarantined {}: {}", dest, e.toString());
            }
            return true;
        } catch (NoSuchFileException e) {
            if (dest != null) deleteQuietly(dest);
            return false;
        } catch (IOException e) {
            if (dest != null) deleteQuietly(dest);
            // Could not move it aside: delete it so that it is never served again.
            log.warn("chunk {} on {}: quarantine failed ({}), deleting it", id, volume, e.toString());
            boolean deleted = deleteQuietly(source);
            if (deleted) {
                corruptFound.incrementAndGet();
                listener.removed(id);
            }
            return deleted;
        }
    }

    /** Removes a chunk (hand-off). Returns false when it was not there. */
    public boolean delete(String id) throws IOException {
        Path path = pathOf(id);
        ReentrantLock lock = lockOf(id);
        lock.lock();
        try {
            boolean deleted = Files.deleteIfExists(path);
            if (deleted) listener.removed(id);
            return deleted;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Deletes the chunk only if its file was last modified (written or touched by a {@link #put})
     * before {@code cutoffMillis} (epoch ms): the orphan reaper's delete (DESIGN §6). The check and
     * the delete are one step with respect to puts of the same id: a put that touched or rewrote the
     * chunk before this call takes the lock wins (the chunk is kept), and a put after it finds the
     * chunk gone and writes it again. Returns true when the file was deleted.
     */
    public boolean deleteIfUntouchedSince(String id, long cutoffMillis) throws IOException {
        Path path = pathOf(id);
        ReentrantLock lock = lockOf(id);
        lock.lock();
        try {
            long modified;
            try {
                modified = Files.getLastModifiedTime(path).toMillis();
            } catch (NoSuchFileException e) {
                return false;
            }
            if (modified >= cutoffMillis) return false;
            boolean deleted = Files.deleteIfExists(path);
            if (deleted) listener.removed(id);
            return deleted;
        } finally {
            lock.unlock();
        }
    }

    /** When the chunk's file was last written or touched (epoch ms), or -1 when it is not here. */
    public long modifiedMillis(String id) throws IOException {
        try {
            return Files.getLastModifiedTime(pathOf(id)).toMillis();
        } catch (NoSuchFileException e) {
            return -1;
        }
    }

    /** The chunk file's size in bytes, or -1 when it is not here. */
    public long sizeOf(String id) throws IOException {
        try {
            return Files.size(pathOf(id));
        } catch (NoSuchFileException e) {
            return -1;
        }
    }

    /**
     * For a chunk found missing from the disk behind the store's back (deleted by hand, lost by the
     * file system): if its file is indeed absent, the listener is told it was removed, so the local
     * digest stops claiming it and the replicator fetches it again. Returns true when it was absent.
     */
    public boolean forgetIfAbsent(String id) {
        Path path = pathOf(id);
        ReentrantLock lock = lockOf(id);
        lock.lock();
        try {
            if (Files.exists(path)) return false;
            listener.removed(id);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes files from {@code tmp/} last modified before {@code cutoffMillis} that no write in
     * progress owns (a crash or a failed delete left them), at most {@code max} per call. Returns
     * the files removed.
     */
    public int cleanTmp(long cutoffMillis, int max) throws IOException {
        return removeOlderThan(tmpDir, cutoffMillis, max, tmpInUse);
    }

    /** Removes quarantined files that were quarantined before {@code cutoffMillis}, at most {@code max}. */
    public int cleanQuarantine(long cutoffMillis, int max) throws IOException {
        return removeOlderThan(quarantineDir, cutoffMillis, max, java.util.Set.of());
    }

    private static int removeOlderThan(Path dir, long cutoffMillis, int max, java.util.Set<Path> keep) throws IOException {
        if (max <= 0) return 0;
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                if (removed >= max) break;
                if (keep.contains(p)) continue;
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    continue;
                }
                if (!a.isRegularFile() || a.lastModifiedTime().toMillis() >= cutoffMillis) continue;
                if (deleteQuietly(p)) removed++;
            }
        }
        return removed;
    }

    /**
     * Up to {@code max} chunk ids greater than {@code afterId} (null: from the start), ascending.
     * Page through a volume by passing the last id of one page as {@code afterId} of the next.
     * Stray files whose names are not chunk ids are skipped.
     */
    public List<String> list(String afterId, int max) throws IOException {
        if (max <= 0 || max > LIST_PAGE_MAX) {
            throw new IllegalArgumentException("list page size must be in 1.." + LIST_PAGE_MAX + ": " + max);
        }
        String after = afterId == null ? "" : ChunkIds.require(afterId);
        String after1 = after.isEmpty() ? "" : after.substring(0, 2);
        String after2 = after.isEmpty() ? "" : after.substring(0, 4);
        List<String> out = new ArrayList<>(Math.min(max, 1024));
        for (String l1 : sortedHexNames(chunksDir, 2)) {
            if (l1.compareTo(after1) < 0) continue;
            Path dir1 = chunksDir.resolve(l1);
            for (String l2 : sortedHexNames(dir1, 2)) {
                String prefix = l1 + l2;
                if (prefix.compareTo(after2) < 0) continue;
                for (String id : sortedHexNames(dir1.resolve(l2), ChunkIds.ID_LENGTH_CHARS)) {
                    if (!id.startsWith(prefix) || id.compareTo(after) <= 0) continue;
                    out.add(id);
                    if (out.size() == max) return out;
                }
            }
        }
        return out;
    }

    private static List<String> sortedHexNames(Path dir, int nameLength) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (name.length() == nameLength && isLowerHex(name)) names.add(name);
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        names.sort(null);
        return names;
    }

    private static boolean isLowerHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
        }
        return true;
    }

    // --- counters (wired to metrics later) ------------------------------------------------------

    public long chunksWritten() {
        return chunksWritten.get();
    }

    public long bytesWritten() {
        return bytesWritten.get();
    }

    public long dedupHits() {
        return dedupHits.get();
    }

    public long corruptFound() {
        return corruptFound.get();
    }

    // --- helpers ---------------------------------------------------------------------------------

    private int clearTmp() throws IOException {
        int[] removed = {0};
        Files.walkFileTree(tmpDir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                removed[0]++;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) throw e;
                if (!dir.equals(tmpDir)) Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
        return removed[0];
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static boolean deleteQuietly(Path path) {
        try {
            return Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("could not delete {}: {}", path, e.toString());
            return false;
        }
    }
}
