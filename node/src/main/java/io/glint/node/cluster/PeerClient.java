package io.glint.node.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.glint.node.chunk.ChunkIds;
import io.glint.registry.model.ChunkInfo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The peer transport's client: chunk put / get / has and group listings against another node's
 * {@link PeerApi}. Every call is bounded by a timeout; every chunk that arrives is checked before it
 * is returned (against the manifest's CRC32C for a download, its SHA-256 id for a copy to be
 * stored), so a bad replica is an exception, never bytes.
 */
public final class PeerClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A peer answered, but not with what was asked (4xx/5xx other than "not here"). */
    public static final class PeerException extends IOException {
        private final int status;

        PeerException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final HttpClient http;
    private final String secret;
    private final Duration timeout;
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong bytesFetched = new AtomicLong();
    private final AtomicLong badCopies = new AtomicLong();

    static {
        // The JDK client reads responses in 16 KiB buffers by default, which caps a chunk fetch far
        // below what loopback or a 10 Gb/s link carries; chunks are MiBs. (Set only if unset: the
        // property is read once per JVM, when the first client is built.)
        if (System.getProperty("jdk.httpclient.bufsize") == null) System.setProperty("jdk.httpclient.bufsize", "262144");
    }

    public PeerClient(String secret, Duration timeout) {
        this.secret = secret;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** A client with the same secret and another timeout (its own connections). */
    public PeerClient withTimeout(Duration other) {
        return new PeerClient(secret, other);
    }

    private HttpRequest.Builder request(String peerAddress, String path) {
        return HttpRequest.newBuilder(URI.create("http://" + peerAddress + path)).timeout(timeout)
                .header(PeerApi.SECRET_HEADER, secret);
    }

    /** Stores a chunk on the peer; true if it wrote it, false if it had it already. */
    public boolean put(String peerAddress, ChunkInfo info, byte[] bytes, int offset) throws IOException {
        HttpResponse<String> r = send(request(peerAddress, "/peer/v1/chunks/" + ChunkIds.require(info.id()))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes, offset, info.lengthBytes())).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201 && r.statusCode() != 200) {
            throw new PeerException(r.statusCode(), "put of chunk " + info.id() + " to " + peerAddress + ": "
                    + r.statusCode() + " " + r.body());
        }
        bytesSent.addAndGet(info.lengthBytes());
        return r.statusCode() == 201;
    }

    /**
     * The chunk's bytes from the peer, or null if it does not have it. With {@code info} (a
     * download, whose bytes go to a client and are not stored) the peer checks its copy's CRC32C
     * and this side checks length and CRC32C again, as for a local chunk; without it (a replica
     * about to be stored under its id) this side checks the SHA-256.
     *
     * @throws IOException the peer failed, timed out, or sent bytes that are not the chunk
     */
    public byte[] get(String peerAddress, String id, ChunkInfo info) throws IOException {
        String path = "/peer/v1/chunks/" + ChunkIds.require(id)
                + (info == null ? "" : "?length=" + info.lengthBytes() + "&crc32c=" + Integer.toUnsignedString(info.crc32c()));
        HttpResponse<byte[]> r = send(request(peerAddress, path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() == 404) return null;
        if (r.statusCode() != 200) {
            throw new PeerException(r.statusCode(), "get of chunk " + id + " from " + peerAddress + ": " + r.statusCode());
        }
        byte[] bytes = r.body();
        if (info != null) {
            // For streaming to a client: the manifest's length and CRC32C, the same check a local chunk gets.
            int crc = ChunkIds.crc32c(bytes, 0, bytes.length);
            if (bytes.length != info.lengthBytes() || crc != info.crc32c()) {
                badCopies.incrementAndGet();
                throw new IOException("chunk " + id + " from " + peerAddress + " is not intact (" + bytes.length
                        + " bytes, CRC32C " + Integer.toHexString(crc) + "; the manifest says " + info.lengthBytes() + ", "
                        + Integer.toHexString(info.crc32c()) + ")");
            }
        } else {
            // To be stored under its id: the id itself (SHA-256).
            String got = ChunkIds.describe(bytes, 0, bytes.length).id();
            if (!got.equals(id)) {
                badCopies.incrementAndGet();
                throw new IOException("chunk " + id + " from " + peerAddress + " is not intact (its SHA-256 is " + got + ")");
            }
        }
        bytesFetched.addAndGet(bytes.length);
        return bytes;
    }

    public boolean has(String peerAddress, String id) throws IOException {
        HttpResponse<String> r = send(request(peerAddress, "/peer/v1/chunks/" + ChunkIds.require(id) + "/exists").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) return true;
        if (r.statusCode() == 404) return false;
        throw new PeerException(r.statusCode(), "has " + id + " on " + peerAddress + ": " + r.statusCode());
    }

    /** The chunk ids the peer holds in group {@code pg}. */
    public List<String> listGroup(String peerAddress, int pg) throws IOException {
        HttpResponse<String> r = send(request(peerAddress, "/peer/v1/groups/" + pg).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new PeerException(r.statusCode(), "list of group " + pg + " on " + peerAddress + ": " + r.statusCode());
        List<String> ids = new ArrayList<>();
        for (JsonNode id : JSON.readTree(r.body()).path("ids")) ids.add(ChunkIds.require(id.asText()));
        return ids;
    }

    /** The peer's digest of every group it holds chunks in. */
    public Map<Integer, LocalChunkIndex.Digest> digests(String peerAddress) throws IOException {
        HttpResponse<String> r = send(request(peerAddress, "/peer/v1/digests").GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new PeerException(r.statusCode(), "digests of " + peerAddress + ": " + r.statusCode());
        Map<Integer, LocalChunkIndex.Digest> out = new HashMap<>();
        JsonNode groups = JSON.readTree(r.body()).path("groups");
        for (Iterator<Map.Entry<String, JsonNode>> it = groups.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(Integer.parseInt(e.getKey()), new LocalChunkIndex.Digest(
                    Long.parseUnsignedLong(e.getValue().path("xor").asText()), e.getValue().path("count").asInt()));
        }
        return out;
    }

    /**
     * A JSON exchange with another node's peer API (audits, replication requests): the answer's
     * status and parsed body (null when the body is empty).
     */
    public record JsonAnswer(int status, JsonNode body) {}

    public JsonAnswer exchangeJson(String peerAddress, String method, String path, JsonNode body) throws IOException {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
        HttpRequest.Builder b = request(peerAddress, path).method(method, publisher);
        if (body != null) b.header("Content-Type", "application/json");
        HttpResponse<byte[]> r = send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        JsonNode parsed = r.body().length == 0 ? null : JSON.readTree(r.body());
        return new JsonAnswer(r.statusCode(), parsed);
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted talking to " + request.uri().getAuthority());
        }
    }

    public long bytesSent() {
        return bytesSent.get();
    }

    public long bytesFetched() {
        return bytesFetched.get();
    }

    public long badCopies() {
        return badCopies.get();
    }
}
