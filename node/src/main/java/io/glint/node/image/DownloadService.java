package io.glint.node.image;

import io.glint.node.chunk.ChunkCorruptException;
import io.glint.node.chunk.ChunkMissingException;
import io.glint.node.chunk.ChunkStore;
import io.glint.node.http.BodySink;
import io.glint.node.http.Response;
import io.glint.registry.RegistryClient;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;

import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The read side of image data (DESIGN §5, spec §4.7) on one node: read the manifest, then stream
 * the chunks a byte range covers, each checked (length and CRC32C, by {@link ChunkStore#read})
 * before any of its bytes is sent. A chunk that is missing or fails its check ends the stream with
 * an IOException, and the HTTP layer aborts the connection: a client never receives a complete
 * response with wrong bytes. The API layer has already decided visibility and the deactivated
 * rule; this class only moves bytes. With a read-ahead executor the next chunks are read and
 * verified while the current one is sent; memory per download is then at most
 * {@link #READ_AHEAD_REMOTE_CHUNKS} + 1 chunks.
 */
public final class DownloadService {
    /**
     * Chunks read and verified ahead of the one being sent. Direct reads of 4 MiB each wait on the
     * device one at a time; three in flight keep the disk busy while the socket drains, and bound a
     * download from the local disk to four chunks in memory.
     */
    static final int READ_AHEAD_CHUNKS = 3;
    /**
     * Chunks asked for ahead once a download has had a chunk from another node. A fetch from a peer
     * waits on its disk read and two socket copies, so three in flight left a node without local
     * copies waiting on its peers: on the cluster bench's 4 nodes (2 cores, 1 GiB image from a
     * node without local copies) six in flight beat three in four runs of 8-10 alternated
     * downloads each, medians by 0.5-15% and means by 1.5-10%; ten were no faster than six.
     */
    public static final int READ_AHEAD_REMOTE_CHUNKS = 6;

    private final RegistryClient registry;
    private final ChunkStore store;
    private final long registryTimeoutMillis;
    private final Executor readAhead;
    private final RemoteChunks remote;
    private final Consumer<ChunkInfo> badLocalCopy;
    private final LongAdder downloads = new LongAdder();
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder brokenOff = new LongAdder();
    private final LongAdder chunksFromPeers = new LongAdder();

    /** Where a chunk this node lacks (or holds a bad copy of) comes from: the other nodes. */
    @FunctionalInterface
    public interface RemoteChunks {
        /**
         * An intact copy (length and CRC32C as the manifest says) in a buffer the caller owns and
         * releases, or an IOException when no node has one.
         */
        ByteBuf fetch(ChunkInfo chunk) throws IOException;
    }

    public DownloadService(RegistryClient registry, ChunkStore store, long registryTimeoutMillis) {
        this(registry, store, registryTimeoutMillis, Runnable::run, null, chunk -> { });
    }

    /**
     * @param readAhead      where the next chunks are read and verified while the current one is sent
     * @param remote         where missing or bad local chunks come from; null on a lone node
     * @param badLocalCopy   told of each chunk whose local copy failed its check (the store has
     *                       quarantined it), so that a good copy is put back soon
     *                       ({@code Replicator::requestGroup} of its group)
     */
    public DownloadService(RegistryClient registry, ChunkStore store, long registryTimeoutMillis,
                           Executor readAhead, RemoteChunks remote, Consumer<ChunkInfo> badLocalCopy) {
        this.remote = remote;
        this.badLocalCopy = badLocalCopy;
        this.registry = registry;
        this.store = store;
        this.registryTimeoutMillis = registryTimeoutMillis;
        this.readAhead = readAhead;
    }

    /**
     * What to send for one download: the manifest (for {@code Content-MD5}), the range asked for
     * (null: the whole image, possibly empty; a range, even one covering the whole image, is
     * answered with 206), the number of bytes the streamer writes, and the streamer.
     */
    public record Download(ChunkManifest manifest, ByteRange range, long lengthBytes, Response.Streamer streamer) {
        public boolean partial() {
            return range != null;
        }
    }

    /**
     * Prepares a download of {@code range} (null: the whole image) of image {@code imageId}.
     *
     * @throws DataPathException 404 no data (deleted meanwhile), 416 range past the end, 503
     *                           registry unavailable
     */
    public Download open(String imageId, ByteRange range) throws DataPathException {
        return open(imageId, range, manifest(imageId));
    }

    /** As {@link #open(String, ByteRange)} with a manifest the caller already read. */
    public Download open(String imageId, ByteRange range, ChunkManifest manifest) throws DataPathException {
        long sizeBytes = manifest.sizeBytes();
        ByteRange covered = range == null ? ByteRange.whole(sizeBytes) : range;
        if (covered != null && covered.last() >= sizeBytes) {
            throw new DataPathException(416, "Range " + covered.first() + "-" + covered.last()
                    + " is past the end of image " + imageId + " (" + sizeBytes + " bytes)");
        }
        long lengthBytes = covered == null ? 0 : covered.lengthBytes();
        if (covered == null) return new Download(manifest, null, 0, sink -> { });
        // The chunks the range touches, with the image offset each starts at.
        List<ChunkInfo> chunks = new ArrayList<>();
        List<Long> starts = new ArrayList<>();
        long chunkStart = 0;
        for (ChunkInfo chunk : manifest.chunks()) {
            long chunkEnd = chunkStart + chunk.lengthBytes(); // exclusive
            if (chunkStart > covered.last()) break;
            if (chunkEnd > covered.first()) {
                chunks.add(chunk);
                starts.add(chunkStart);
            }
            chunkStart = chunkEnd;
        }
        // The first chunks are asked for at once, and the first is read (and verified) before the
        // answer is committed: an image whose data can not be had gets a clear error instead of a
        // 200 cut off after its headers, and the read-ahead is already under way when the head goes out.
        ArrayDeque<CompletableFuture<ByteBuf>> ahead = new ArrayDeque<>(READ_AHEAD_REMOTE_CHUNKS);
        AtomicBoolean fromPeers = new AtomicBoolean();
        for (int i = 0; i < chunks.size() && i < READ_AHEAD_CHUNKS; i++) ahead.add(read(chunks.get(i), fromPeers));
        try {
            await(ahead.peek());
        } catch (IOException e) {
            for (CompletableFuture<ByteBuf> f : ahead) discard(f);
            throw new DataPathException(503, "The data of image " + imageId + " can not be read: " + e.getMessage(), e);
        }
        downloads.increment();
        Response.Streamer streamer = sink -> send(chunks, starts, covered, ahead, fromPeers, sink);
        return new Download(manifest, range == null ? null : covered, lengthBytes, streamer);
    }

    /** The image's manifest, read linearizably. */
    public ChunkManifest manifest(String imageId) throws DataPathException {
        Result r;
        try {
            r = registry.read(new Query.GetManifest(imageId)).get(registryTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataPathException(503, "Interrupted while reading the manifest of image " + imageId, e);
        } catch (ExecutionException e) {
            throw new DataPathException(503, "The registry could not read the manifest of image " + imageId
                    + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new DataPathException(503, "The registry did not answer within " + registryTimeoutMillis
                    + " ms for the manifest of image " + imageId, e);
        }
        if (!r.isOk()) {
            if (r.code() == Result.Code.NOT_FOUND) throw new DataPathException(404, "Image " + imageId + " has no data");
            throw DataPathException.fromResult(r);
        }
        return r.value(ChunkManifest.class);
    }

    /**
     * Writes bytes [first, last] of the image: only the chunks the range touches, each verified
     * before any of its bytes is sent. Each chunk is read into its own direct buffer, checked there
     * and handed to the sink, which sends it to the socket without another copy and releases it;
     * the next ones are read meanwhile, so a download holds at most READ_AHEAD_CHUNKS chunks it has
     * not handed on, or READ_AHEAD_REMOTE_CHUNKS once {@code fromPeers} says a chunk came from
     * another node. {@code ahead} holds the reads {@link #open} started, in order.
     */
    private void send(List<ChunkInfo> covered, List<Long> starts, ByteRange range, ArrayDeque<CompletableFuture<ByteBuf>> ahead,
                      AtomicBoolean fromPeers, BodySink sink) throws IOException {
        int requested = ahead.size();
        try {
            for (int i = 0; i < covered.size(); i++) {
                int window = fromPeers.get() ? READ_AHEAD_REMOTE_CHUNKS : READ_AHEAD_CHUNKS;
                while (requested < covered.size() && requested < i + window) {
                    ahead.add(read(covered.get(requested++), fromPeers));
                }
                ByteBuf bytes = await(ahead.poll());
                long start = starts.get(i);
                int base = bytes.readerIndex();
                int from = (int) Math.max(0, range.first() - start);
                int to = (int) Math.min(bytes.readableBytes(), range.last() - start + 1);
                bytes.setIndex(base + from, base + to);
                sink.write(bytes);
                bytesSent.add(to - from);
            }
        } catch (IOException | RuntimeException e) {
            brokenOff.increment();
            for (CompletableFuture<ByteBuf> f : ahead) discard(f);
            throw e;
        }
    }

    /**
     * Reads and verifies one chunk on the read-ahead executor into a buffer the caller owns; sets
     * {@code fromPeers} when the chunk had to come from another node.
     */
    private CompletableFuture<ByteBuf> read(ChunkInfo chunk, AtomicBoolean fromPeers) {
        CompletableFuture<ByteBuf> f = new CompletableFuture<>();
        try {
            readAhead.execute(() -> {
                if (f.isDone()) return; // cancelled before it ran
                ByteBuf buf;
                try {
                    buf = store.readPooled(chunk, () -> { }); // checked, in a pooled aligned buffer
                } catch (ChunkMissingException | ChunkCorruptException notHere) {
                    if (notHere instanceof ChunkCorruptException) badLocalCopy.accept(chunk);
                    if (remote == null) {
                        f.completeExceptionally(notHere);
                        return;
                    }
                    try {
                        buf = remote.fetch(chunk); // length and CRC32C checked on arrival
                        chunksFromPeers.increment();
                        fromPeers.set(true);
                    } catch (IOException | RuntimeException e) {
                        f.completeExceptionally(e);
                        return;
                    }
                } catch (IOException | RuntimeException e) {
                    f.completeExceptionally(e);
                    return;
                }
                if (!f.complete(buf)) buf.release(); // the download gave up on it meanwhile
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new IOException("read-ahead refused: " + e.getMessage(), e));
        }
        return f;
    }

    /** Downloads (whole images or ranges) whose data was found and began to stream. */
    public long downloads() {
        return downloads.sum();
    }

    /** Image bytes handed to clients' connections. */
    public long bytesSent() {
        return bytesSent.sum();
    }

    /** Downloads that ended before their last byte (a chunk no node could give, or the client left). */
    public long brokenOff() {
        return brokenOff.sum();
    }

    /** Chunks a download got from another node, because this one lacks them or holds a bad copy. */
    public long chunksFromPeers() {
        return chunksFromPeers.sum();
    }

    /** Gives up on a read-ahead: its buffer, if it arrived or arrives, is released. */
    private static void discard(CompletableFuture<ByteBuf> f) {
        if (f == null) return;
        f.cancel(false);
        f.thenAccept(ByteBuf::release);
    }

    private static ByteBuf await(CompletableFuture<ByteBuf> f) throws IOException {
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw new IOException("reading a chunk failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("reading a chunk took longer than 60 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading a chunk", e);
        }
    }
}
