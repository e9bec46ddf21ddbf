package io.glint.node.image;

import io.glint.node.chunk.ChunkStore;
import io.glint.node.http.BodySink;
import io.glint.node.http.Response;
import io.glint.registry.RegistryClient;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The read side of image data (DESIGN §5, spec §4.7) on one node: read the manifest, then stream
 * the chunks a byte range covers, each checked (length and CRC32C, by {@link ChunkStore#read})
 * before any of its bytes is sent. A chunk that is missing or fails its check ends the stream with
 * an IOException, and the HTTP layer aborts the connection: a client never receives a complete
 * response with wrong bytes. The API layer has already decided visibility and the deactivated
 * rule; this class only moves bytes. With a read-ahead executor the next chunk is read and
 * verified while the current one is sent; memory per download is then at most two chunks.
 */
public final class DownloadService {
    private final RegistryClient registry;
    private final ChunkStore store;
    private final long registryTimeoutMillis;
    private final java.util.concurrent.Executor readAhead;

    public DownloadService(RegistryClient registry, ChunkStore store, long registryTimeoutMillis) {
        this(registry, store, registryTimeoutMillis, Runnable::run);
    }

    /** @param readAhead where the next chunk is read and verified while the current one is sent */
    public DownloadService(RegistryClient registry, ChunkStore store, long registryTimeoutMillis,
                           java.util.concurrent.Executor readAhead) {
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
        ChunkManifest manifest = manifest(imageId);
        long sizeBytes = manifest.sizeBytes();
        ByteRange covered = range == null ? ByteRange.whole(sizeBytes) : range;
        if (covered != null && covered.last() >= sizeBytes) {
            throw new DataPathException(416, "Range " + covered.first() + "-" + covered.last()
                    + " is past the end of image " + imageId + " (" + sizeBytes + " bytes)");
        }
        long lengthBytes = covered == null ? 0 : covered.lengthBytes();
        Response.Streamer streamer = covered == null ? sink -> { } : sink -> send(manifest.chunks(), covered, sink);
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
     * before any of its bytes is sent. Each chunk gets its own array, handed to the sink without a
     * copy (the sink may hold it until it is on the wire); the next one is read meanwhile.
     */
    private void send(List<ChunkInfo> chunks, ByteRange range, BodySink sink) throws IOException {
        List<ChunkInfo> covered = new java.util.ArrayList<>();
        List<Long> starts = new java.util.ArrayList<>();
        long chunkStart = 0;
        for (ChunkInfo chunk : chunks) {
            long chunkEnd = chunkStart + chunk.lengthBytes(); // exclusive
            if (chunkStart > range.last()) break;
            if (chunkEnd > range.first()) {
                covered.add(chunk);
                starts.add(chunkStart);
            }
            chunkStart = chunkEnd;
        }
        java.util.concurrent.CompletableFuture<byte[]> next = covered.isEmpty() ? null : read(covered.get(0));
        for (int i = 0; i < covered.size(); i++) {
            byte[] bytes = await(next);
            next = i + 1 < covered.size() ? read(covered.get(i + 1)) : null;
            long start = starts.get(i);
            int from = (int) Math.max(0, range.first() - start);
            int to = (int) Math.min(bytes.length, range.last() - start + 1);
            try {
                sink.write(bytes, from, to - from);
            } catch (IOException | RuntimeException e) {
                if (next != null) next.cancel(false);
                throw e;
            }
        }
    }

    private java.util.concurrent.CompletableFuture<byte[]> read(ChunkInfo chunk) {
        java.util.concurrent.CompletableFuture<byte[]> f = new java.util.concurrent.CompletableFuture<>();
        try {
            readAhead.execute(() -> {
                try {
                    f.complete(store.read(chunk));
                } catch (IOException | RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            f.completeExceptionally(new IOException("read-ahead refused: " + e.getMessage(), e));
        }
        return f;
    }

    private static byte[] await(java.util.concurrent.CompletableFuture<byte[]> f) throws IOException {
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
