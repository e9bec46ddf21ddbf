package io.glint.node.cluster;

import io.glint.node.auth.Authenticator;
import io.glint.node.chunk.ChunkCorruptException;
import io.glint.node.chunk.ChunkIds;
import io.glint.node.chunk.ChunkMissingException;
import io.glint.node.chunk.ChunkStore;
import io.glint.node.chunk.PooledChunkBuf;
import io.glint.node.http.ApiException;
import io.glint.node.http.Request;
import io.glint.node.http.Response;
import io.glint.node.http.Route;
import io.glint.node.http.Router;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.Identity;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The peer transport's server side (DESIGN §8), on its own port: chunk put / get / has and the
 * per-group listings and digests the replicator compares. Every request must carry the cluster
 * secret in {@value #SECRET_HEADER} (else 401). Chunk bodies are held whole in memory while they
 * are checked, so the bytes held for peer requests at once are bounded by a semaphore
 * ({@code peer.inFlightBytesMax}); a request that cannot get its share within
 * {@link #PERMIT_WAIT_MILLIS} gets 503 and the caller retries elsewhere or later.
 *
 * <ul>
 *   <li>{@code PUT /peer/v1/chunks/{id}} body = the chunk: stored only if its SHA-256 is the id
 *       (else 400); 201 when written, 200 when it was already here.</li>
 *   <li>{@code GET /peer/v1/chunks/{id}[?length=N&crc32c=X]}: the bytes; with length and CRC32C
 *       (from a manifest) they are checked first and a bad copy is quarantined (404 then).</li>
 *   <li>{@code GET /peer/v1/chunks/{id}/exists}: 200 or 404.</li>
 *   <li>{@code GET /peer/v1/groups/{pg}}: {"ids": [...]} held here in that group.</li>
 *   <li>{@code GET /peer/v1/digests}: {"pgCount": n, "groups": {"pg": {"xor": x, "count": c}}}.</li>
 * </ul>
 */
public final class PeerApi {
    public static final String SECRET_HEADER = "X-Glint-Cluster-Secret";
    static final long PERMIT_WAIT_MILLIS = 10_000;
    static final int CHUNK_BYTES_MAX = 64 << 20;

    private final ChunkStore store;
    private final LocalChunkIndex index;
    private final Semaphore inFlightBytes;
    private final int inFlightBytesMax;
    private final AtomicLong chunksReceived = new AtomicLong();
    private final AtomicLong chunksServed = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private final AtomicLong bytesServed = new AtomicLong();
    private final AtomicLong refusedBusy = new AtomicLong();

    public PeerApi(ChunkStore store, LocalChunkIndex index, long inFlightBytesMax) {
        this.store = store;
        this.index = index;
        this.inFlightBytesMax = (int) Math.min(Integer.MAX_VALUE, inFlightBytesMax);
        this.inFlightBytes = new Semaphore(this.inFlightBytesMax, true);
    }

    /** Accepts a request only with the cluster secret; compares in constant time. */
    public static Authenticator secretAuthenticator(String secret) {
        byte[] want = secret.getBytes(StandardCharsets.UTF_8);
        return headers -> {
            String got = headers.get(SECRET_HEADER);
            if (got == null || !MessageDigest.isEqual(want, got.getBytes(StandardCharsets.UTF_8))) {
                throw new ApiException(HttpResponseStatus.UNAUTHORIZED,
                        "This is a Glint peer endpoint; requests need the cluster secret");
            }
            return Identity.SYSTEM;
        };
    }

    public Router router() {
        Router r = new Router();
        r.add(HttpMethod.PUT, "/peer/v1/chunks/{id}", Route.BodyMode.STREAM, this::put);
        r.add(HttpMethod.GET, "/peer/v1/chunks/{id}", Route.BodyMode.NONE, this::get);
        r.add(HttpMethod.GET, "/peer/v1/chunks/{id}/exists", Route.BodyMode.NONE, this::exists);
        r.add(HttpMethod.GET, "/peer/v1/groups/{pg}", Route.BodyMode.NONE, this::listGroup);
        r.add(HttpMethod.GET, "/peer/v1/digests", Route.BodyMode.NONE, this::digests);
        return r;
    }

    private Response put(Request req) throws Exception {
        String id = chunkId(req);
        long length;
        try {
            length = Long.parseLong(String.valueOf(req.header("Content-Length")));
        } catch (NumberFormatException e) {
            throw new ApiException(HttpResponseStatus.LENGTH_REQUIRED, "A chunk put needs a Content-Length");
        }
        if (length < 1 || length > CHUNK_BYTES_MAX) throw ApiException.badRequest("A chunk has 1.." + CHUNK_BYTES_MAX + " bytes");
        int n = (int) length;
        int permits = acquire(n);
        try {
            byte[] bytes = new byte[n];
            int got = readFully(req.bodyStream(), bytes);
            if (got != n) throw ApiException.badRequest("The body ended after " + got + " of " + n + " bytes");
            ChunkInfo info = ChunkIds.describe(bytes, 0, n);
            if (!info.id().equals(id)) {
                throw ApiException.badRequest("The body's SHA-256 is " + info.id() + ", not the chunk id " + id);
            }
            boolean written = store.put(info, bytes, 0);
            chunksReceived.incrementAndGet();
            bytesReceived.addAndGet(n);
            return Response.empty(written ? HttpResponseStatus.CREATED : HttpResponseStatus.OK);
        } finally {
            inFlightBytes.release(permits);
        }
    }

    private Response get(Request req) throws Exception {
        String id = chunkId(req);
        String lengthParam = first(req, "length");
        String crcParam = first(req, "crc32c");
        byte[] bytes;
        if (lengthParam != null && crcParam != null) {
            int length;
            int crc;
            try {
                length = Integer.parseInt(lengthParam);
                crc = (int) Long.parseLong(crcParam);
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("length and crc32c must be numbers");
            }
            if (length < 1 || length > CHUNK_BYTES_MAX) throw ApiException.badRequest("A chunk has 1.." + CHUNK_BYTES_MAX + " bytes");
            // Checked read into a pooled direct buffer that Netty sends as it is; the buffer and the
            // in-flight share go back when Netty releases it.
            int permits = acquire(length);
            PooledChunkBuf buf;
            try {
                buf = store.readPooled(new ChunkInfo(id, length, crc), () -> inFlightBytes.release(permits));
            } catch (ChunkMissingException | ChunkCorruptException e) {
                inFlightBytes.release(permits);
                throw ApiException.notFound("Chunk " + id + " is not here: " + e.getMessage());
            } catch (IOException | RuntimeException e) {
                inFlightBytes.release(permits);
                throw e;
            }
            chunksServed.incrementAndGet();
            bytesServed.addAndGet(length);
            return Response.stream(HttpResponseStatus.OK, length, sink -> sink.write(buf))
                    .header("Content-Type", "application/octet-stream");
        } else {
            // Unchecked read: the caller checks the SHA-256 (the replicator knows no CRC32C).
            long size;
            try {
                size = java.nio.file.Files.size(store.pathOf(id));
            } catch (java.nio.file.NoSuchFileException e) {
                throw ApiException.notFound("Chunk " + id + " is not here");
            }
            if (size < 1 || size > CHUNK_BYTES_MAX) throw ApiException.notFound("Chunk " + id + " has a bad size here");
            int permits = acquire((int) size);
            try {
                bytes = store.readUnchecked(id, CHUNK_BYTES_MAX);
            } catch (ChunkMissingException e) {
                throw ApiException.notFound("Chunk " + id + " is not here");
            } finally {
                inFlightBytes.release(permits);
            }
        }
        chunksServed.incrementAndGet();
        bytesServed.addAndGet(bytes.length);
        return Response.bytes(HttpResponseStatus.OK, "application/octet-stream", bytes);
    }

    private Response exists(Request req) {
        String id = chunkId(req);
        if (!store.has(id)) throw ApiException.notFound("Chunk " + id + " is not here");
        return Response.empty(HttpResponseStatus.OK);
    }

    private Response listGroup(Request req) {
        int pg = group(req);
        return Response.json(HttpResponseStatus.OK, Map.of("pg", pg, "ids", index.idsOf(pg)));
    }

    private Response digests(Request req) {
        Map<String, Object> groups = new LinkedHashMap<>();
        new java.util.TreeMap<>(index.digests()).forEach((pg, d) ->
                groups.put(Integer.toString(pg), Map.of("xor", Long.toUnsignedString(d.xor()), "count", d.count())));
        return Response.json(HttpResponseStatus.OK, Map.of("pgCount", index.pgCount(), "groups", groups));
    }

    /**
     * Takes {@code bytes} of the in-flight budget (a request larger than the whole budget takes all
     * of it); returns the permits taken, which the caller releases exactly.
     */
    private int acquire(int bytes) throws InterruptedException {
        int permits = Math.min(bytes, inFlightBytesMax);
        if (!inFlightBytes.tryAcquire(permits, PERMIT_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
            refusedBusy.incrementAndGet();
            throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "This node holds its limit of peer chunk bytes; try again later", Map.of("Retry-After", "1"));
        }
        return permits;
    }

    private static String chunkId(Request req) {
        String id = req.pathParam("id");
        if (!ChunkIds.isValid(id)) throw ApiException.badRequest("Not a chunk id (64 lowercase hex): " + id);
        return id;
    }

    private int group(Request req) {
        try {
            int pg = Integer.parseInt(req.pathParam("pg"));
            if (pg < 0 || pg >= index.pgCount()) throw new NumberFormatException();
            return pg;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("A placement group is 0.." + (index.pgCount() - 1));
        }
    }

    private static String first(Request req, String name) {
        List<String> v = req.query().get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static int readFully(InputStream in, byte[] dest) throws IOException {
        int filled = 0;
        while (filled < dest.length) {
            int n = in.read(dest, filled, dest.length - filled);
            if (n < 0) break;
            filled += n;
        }
        return filled;
    }

    public long chunksReceived() {
        return chunksReceived.get();
    }

    public long chunksServed() {
        return chunksServed.get();
    }

    public long bytesReceived() {
        return bytesReceived.get();
    }

    public long bytesServed() {
        return bytesServed.get();
    }

    /** Bytes of the in-flight budget free now (all of it when no peer request holds chunk bytes). */
    public int inFlightBytesFree() {
        return inFlightBytes.availablePermits();
    }

    public long refusedBusy() {
        return refusedBusy.get();
    }
}
