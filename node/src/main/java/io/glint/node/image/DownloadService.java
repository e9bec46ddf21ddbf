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
 * rule; this class only moves bytes. Memory per download is one chunk buffer.
 */
public final class DownloadService {
    private final RegistryClient registry;
    private final ChunkStore store;
    private final long registryTimeoutMillis;

    public DownloadService(RegistryClient registry, ChunkStore store, long registryTimeoutMillis) {
        this.registry = registry;
        this.store = store;
        this.registryTimeoutMillis = registryTimeoutMillis;
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

    /** Writes bytes [first, last] of the image: only the chunks the range touches, each verified first. */
    private void send(List<ChunkInfo> chunks, ByteRange range, BodySink sink) throws IOException {
        byte[] buffer = null;
        long chunkStart = 0;
        for (ChunkInfo chunk : chunks) {
            long chunkEnd = chunkStart + chunk.lengthBytes(); // exclusive
            if (chunkStart > range.last()) break;
            if (chunkEnd > range.first()) {
                if (buffer == null || buffer.length < chunk.lengthBytes()) buffer = new byte[chunk.lengthBytes()];
                store.read(chunk, buffer);
                int from = (int) Math.max(0, range.first() - chunkStart);
                int to = (int) Math.min(chunk.lengthBytes(), range.last() - chunkStart + 1);
                sink.write(buffer, from, to - from);
            }
            chunkStart = chunkEnd;
        }
    }
}
