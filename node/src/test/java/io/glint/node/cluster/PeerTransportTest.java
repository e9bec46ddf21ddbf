package io.glint.node.cluster;

import io.glint.node.chunk.ChunkIds;
import io.glint.node.chunk.ChunkStore;
import io.glint.node.http.HttpOptions;
import io.glint.node.http.HttpServer;
import io.glint.registry.model.ChunkInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The peer transport in one process: a real {@link HttpServer} on 127.0.0.1 serving a
 * {@link PeerApi} over a real {@link ChunkStore} and its {@link LocalChunkIndex}, driven by
 * {@link PeerClient} (what another node uses) and by raw HTTP for requests a node never sends.
 */
class PeerTransportTest {
    private static final String SECRET = "peer-transport-test-secret";
    private static final int PG_COUNT = 512;
    private static final long IN_FLIGHT_BYTES_MAX = 64L << 20;
    /** SHA-256 of zero bytes: a well-formed id whose chunk would be empty. */
    private static final String EMPTY_ID = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @TempDir
    Path dir;

    private Path volume;
    private ChunkStore store;
    private LocalChunkIndex index;
    private HttpServer server;
    private String address;
    private PeerClient client;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        volume = dir.resolve("volume");
        store = new ChunkStore(volume);
        index = LocalChunkIndex.build(store, PG_COUNT);
        serve();
        client = new PeerClient(SECRET, Duration.ofSeconds(20));
    }

    private void serve() throws InterruptedException {
        server = new HttpServer(HttpOptions.defaults("127.0.0.1", 0), new PeerApi(store, index, IN_FLIGHT_BYTES_MAX).router(),
                PeerApi.secretAuthenticator(SECRET), p -> p);
        address = "127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    /**
     * The in-flight budget comes back whole after every request, including one larger than the
     * whole budget (which takes all of it rather than waiting forever), and after failed ones.
     */
    @Test
    void theInFlightBudgetIsReturnedExactly() throws Exception {
        server.close();
        PeerApi small = new PeerApi(store, index, 1000);
        server = new HttpServer(HttpOptions.defaults("127.0.0.1", 0), small.router(), PeerApi.secretAuthenticator(SECRET), p -> p);
        address = "127.0.0.1:" + server.port();
        byte[] big = bytes(5000, 91);
        ChunkInfo info = ChunkIds.describe(big, 0, big.length);
        assertTrue(client.put(address, info, big, 0));
        assertEquals(1000, small.inFlightBytesFree());
        assertArrayEquals(big, client.get(address, info.id(), info));
        assertArrayEquals(big, client.get(address, info.id(), null));
        assertEquals(1000, small.inFlightBytesFree());
        byte[] other = bytes(3000, 92);
        assertThrows(PeerClient.PeerException.class,
                () -> client.put(address, new ChunkInfo(info.id(), other.length, 0), other, 0), "a body that is not the chunk");
        assertEquals(1000, small.inFlightBytesFree());
    }

    /** Puts 1000-byte chunks from {@code firstSeed} on until two land in one group; returns that pair (null if none). */
    private List<ChunkInfo> putUntilTwoShareAGroup(int firstSeed, Map<Integer, List<ChunkInfo>> byGroup) throws IOException {
        for (int seed = firstSeed; seed < firstSeed + 10_000; seed++) {
            byte[] data = bytes(1000, seed);
            ChunkInfo info = ChunkIds.describe(data, 0, data.length);
            assertTrue(client.put(address, info, data, 0));
            List<ChunkInfo> in = byGroup.computeIfAbsent(Placement.groupOf(info.id(), PG_COUNT), k -> new ArrayList<>());
            in.add(info);
            if (in.size() == 2) return in;
        }
        return null;
    }

    static byte[] bytes(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Ids of chunks stored in the volume, as the store lists them. */
    private List<String> stored() throws IOException {
        return store.list(null, 1000);
    }

    /** Every regular file under the test directory (the volume and anything a bad path could have created). */
    private List<Path> filesUnder(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    private void assertNothingStored() throws IOException {
        assertEquals(List.of(), stored(), "chunks in the store");
        assertEquals(0, index.chunkCount(), "chunks in the index");
        assertEquals(List.of(), filesUnder(dir), "files under the test directory");
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create("http://" + address + pathAndQuery)).timeout(Duration.ofSeconds(20));
    }

    private HttpResponse<String> send(HttpRequest r) throws IOException, InterruptedException {
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    /** Writes {@code head} (and {@code body}) on a fresh socket and returns the response's status code. */
    private int rawStatus(String head, byte[] body) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) out.write(body);
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b; (b = in.read()) >= 0 && b != '\n'; ) line.write(b);
            String status = line.toString(StandardCharsets.ISO_8859_1).trim();
            assertTrue(status.startsWith("HTTP/1.1 "), "status line: " + status);
            return Integer.parseInt(status.split(" ")[1]);
        }
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(position);
            int b = f.read();
            f.seek(position);
            f.write(b ^ 0x5a);
        }
    }

    @Test
    void aChunkPutIsStoredOnceAndReadsBackThroughEveryCall() throws Exception {
        byte[] data = bytes(300_000, 1);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        String id = info.id();

        assertTrue(client.put(address, info, data, 0), "the first put writes the chunk");
        assertFalse(client.put(address, info, data, 0), "a second put finds it there");

        assertTrue(Files.isRegularFile(store.pathOf(id)), "the chunk file is in the store");
        assertArrayEquals(data, Files.readAllBytes(store.pathOf(id)));
        assertEquals(List.of(id), stored());
        assertTrue(client.has(address, id));
        assertArrayEquals(data, client.get(address, id, info), "checked get");
        assertArrayEquals(data, client.get(address, id, null), "unchecked get");

        int pg = Placement.groupOf(id, PG_COUNT);
        assertEquals(List.of(id), client.listGroup(address, pg));
        assertEquals(List.of(), client.listGroup(address, (pg + 1) % PG_COUNT), "another group is empty");
        Map<Integer, LocalChunkIndex.Digest> digests = client.digests(address);
        assertEquals(Set.of(pg), digests.keySet(), "only the chunk's group has a digest");
        assertEquals(1, digests.get(pg).count());
        assertEquals(LocalChunkIndex.Digest.of(List.of(id)).xor(), digests.get(pg).xor());
        assertEquals(index.digestOf(pg), digests.get(pg), "the wire digest is the index's own");
        assertEquals(2L * data.length, client.bytesSent(), "both puts sent the chunk");
        assertEquals(2L * data.length, client.bytesFetched(), "both gets fetched it");
    }

    @Test
    void aChunkCutFromTheMiddleOfABufferIsStoredAsItself() throws Exception {
        byte[] buffer = bytes(200_000, 2);
        int offset = 12_345;
        int length = 100_000;
        ChunkInfo info = ChunkIds.describe(buffer, offset, length);
        assertTrue(client.put(address, info, buffer, offset));
        assertArrayEquals(Arrays.copyOfRange(buffer, offset, offset + length), client.get(address, info.id(), info));
    }

    @Test
    void digestsAndListingsAreByGroupAndOrderFree() throws Exception {
        // Chunks until two share a group (birthday bound: a few dozen among 512 groups).
        Map<Integer, List<ChunkInfo>> byGroup = new HashMap<>();
        List<ChunkInfo> pair = putUntilTwoShareAGroup(100, byGroup);
        assertNotNull(pair, "two chunks in one group");
        int pg = Placement.groupOf(pair.get(0).id(), PG_COUNT);
        List<String> ids = pair.stream().map(ChunkInfo::id).sorted().toList();
        assertEquals(ids, client.listGroup(address, pg), "the group lists both, in order");
        Map<Integer, LocalChunkIndex.Digest> digests = client.digests(address);
        assertEquals(byGroup.keySet(), digests.keySet());
        assertEquals(new LocalChunkIndex.Digest(LocalChunkIndex.Digest.of(List.of(ids.get(0))).xor()
                ^ LocalChunkIndex.Digest.of(List.of(ids.get(1))).xor(), 2), digests.get(pg));
        assertEquals(LocalChunkIndex.Digest.of(List.of(ids.get(1), ids.get(0))), digests.get(pg), "order-free");
        for (Map.Entry<Integer, List<ChunkInfo>> e : byGroup.entrySet()) {
            assertEquals(LocalChunkIndex.Digest.of(e.getValue().stream().map(ChunkInfo::id).toList()), digests.get(e.getKey()));
        }
    }

    @Test
    void requestsWithoutTheRightSecretAre401AndStoreNothing() throws Exception {
        byte[] data = bytes(5000, 3);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        String path = "/peer/v1/chunks/" + info.id();

        assertEquals(401, send(request("/peer/v1/digests").GET().build()).statusCode(), "no secret");
        assertEquals(401, send(request("/peer/v1/digests").header(PeerApi.SECRET_HEADER, "wrong").GET().build()).statusCode());
        assertEquals(401, send(request("/peer/v1/digests").header(PeerApi.SECRET_HEADER, SECRET + "x").GET().build()).statusCode(),
                "the secret with more after it");
        assertEquals(401, send(request("/peer/v1/digests").header(PeerApi.SECRET_HEADER, SECRET.substring(0, SECRET.length() - 1))
                .GET().build()).statusCode(), "a prefix of the secret");
        assertEquals(200, send(request("/peer/v1/digests").header(PeerApi.SECRET_HEADER, SECRET).GET().build()).statusCode(),
                "the right secret");

        assertEquals(401, send(request(path).PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build()).statusCode(),
                "a put without the secret");
        assertEquals(401, send(request(path).header(PeerApi.SECRET_HEADER, "wrong")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build()).statusCode(), "a put with a wrong secret");
        assertEquals(401, rawStatus("PUT " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + data.length + "\r\n\r\n", data),
                "a raw put without the secret");
        assertEquals(401, send(request(path).GET().build()).statusCode(), "a get without the secret");
        assertEquals(401, send(request(path + "/exists").GET().build()).statusCode());
        assertEquals(401, send(request("/peer/v1/groups/0").GET().build()).statusCode());
        // Without the secret nothing tells which paths or methods exist: 401, not 404 or 405.
        assertEquals(401, send(request("/peer/v1/no-such-thing").GET().build()).statusCode(), "an unknown path");
        assertEquals(401, send(request("/peer/v1/digests").DELETE().build()).statusCode(), "a method the path does not take");
        assertEquals(404, send(request("/peer/v1/no-such-thing").header(PeerApi.SECRET_HEADER, SECRET).GET().build()).statusCode(),
                "with the secret, an unknown path is 404");
        assertEquals(405, send(request("/peer/v1/digests").header(PeerApi.SECRET_HEADER, SECRET).DELETE().build()).statusCode(),
                "with the secret, a wrong method is 405");
        assertNothingStored();

        // A node configured with another secret sees errors, never "not there" or an empty group.
        PeerClient stranger = new PeerClient("not-the-secret", Duration.ofSeconds(20));
        PeerClient.PeerException e = assertThrows(PeerClient.PeerException.class, () -> stranger.put(address, info, data, 0));
        assertEquals(401, e.status());
        assertEquals(401, assertThrows(PeerClient.PeerException.class, () -> stranger.has(address, info.id())).status());
        assertEquals(401, assertThrows(PeerClient.PeerException.class, () -> stranger.get(address, info.id(), info)).status());
        assertEquals(401, assertThrows(PeerClient.PeerException.class, () -> stranger.listGroup(address, 0)).status());
        assertEquals(401, assertThrows(PeerClient.PeerException.class, () -> stranger.digests(address)).status());
        assertNothingStored();
    }

    @Test
    void aBodyThatIsNotTheNamedChunkIs400AndStoresNothing() throws Exception {
        byte[] data = bytes(10_000, 4);
        String id = ChunkIds.describe(data, 0, data.length).id();
        byte[] other = data.clone();
        other[5000] ^= 1;
        HttpResponse<String> r = send(request("/peer/v1/chunks/" + id).header(PeerApi.SECRET_HEADER, SECRET)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(other)).build());
        assertEquals(400, r.statusCode(), r::body);
        assertNothingStored();

        // Through the client: one chunk's id over another's bytes (a sender that mixed up its buffers).
        ChunkInfo lie = new ChunkInfo(id, other.length, ChunkIds.crc32c(other, 0, other.length));
        assertEquals(400, assertThrows(PeerClient.PeerException.class, () -> client.put(address, lie, other, 0)).status());
        assertNothingStored();
        assertFalse(client.has(address, id));
    }

    @Test
    void malformedIdsAre4xxAndTouchNoFile() throws Exception {
        byte[] data = bytes(4096, 5);
        String id = ChunkIds.describe(data, 0, data.length).id();
        List<String> bad = List.of(
                "..%2F..%2Fetc%2Fpasswd",
                "..%2F..%2F..%2F..%2F" + id,
                "ABC",
                id.toUpperCase(java.util.Locale.ROOT),
                id.substring(1),
                id + "0",
                id.substring(0, 63) + "g",
                "%2E%2E",
                "..");
        for (String b : bad) {
            HttpResponse<String> put = send(request("/peer/v1/chunks/" + b).header(PeerApi.SECRET_HEADER, SECRET)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build());
            assertTrue(put.statusCode() >= 400 && put.statusCode() < 500, () -> "put of " + b + ": " + put.statusCode());
            HttpResponse<String> get = send(request("/peer/v1/chunks/" + b).header(PeerApi.SECRET_HEADER, SECRET).GET().build());
            assertTrue(get.statusCode() >= 400 && get.statusCode() < 500, () -> "get of " + b + ": " + get.statusCode());
            HttpResponse<String> exists = send(request("/peer/v1/chunks/" + b + "/exists").header(PeerApi.SECRET_HEADER, SECRET)
                    .GET().build());
            assertTrue(exists.statusCode() >= 400 && exists.statusCode() < 500, () -> "exists of " + b + ": " + exists.statusCode());
        }
        // An id that is one path segment but not 64 lowercase hex is the handler's 400, not a routing 404.
        for (String b : List.of("..%2F..%2Fetc%2Fpasswd", "ABC", id.toUpperCase(java.util.Locale.ROOT))) {
            assertEquals(400, send(request("/peer/v1/chunks/" + b).header(PeerApi.SECRET_HEADER, SECRET)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build()).statusCode(), b);
        }
        // The raw, undecoded traversal as a request target.
        assertTrue(rawStatus("PUT /peer/v1/chunks/../../../etc/passwd HTTP/1.1\r\nHost: x\r\n" + PeerApi.SECRET_HEADER + ": " + SECRET
                + "\r\nContent-Length: " + data.length + "\r\n\r\n", data) / 100 == 4);
        assertNothingStored();
        // The client refuses to build such a request at all.
        assertThrows(IllegalArgumentException.class, () -> client.has(address, "../../etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> client.get(address, "ABC", null));
    }

    @Test
    void putsWithoutABodyAre4xx() throws Exception {
        String secret = PeerApi.SECRET_HEADER + ": " + SECRET + "\r\n";
        assertEquals(400, rawStatus("PUT /peer/v1/chunks/" + EMPTY_ID + " HTTP/1.1\r\nHost: x\r\n" + secret
                + "Content-Length: 0\r\n\r\n", null), "Content-Length: 0 (even under the id of the empty string)");
        int noLength = rawStatus("PUT /peer/v1/chunks/" + EMPTY_ID + " HTTP/1.1\r\nHost: x\r\n" + secret + "\r\n", null);
        assertTrue(noLength / 100 == 4, "no Content-Length: " + noLength);
        assertEquals(400, send(request("/peer/v1/chunks/" + EMPTY_ID).header(PeerApi.SECRET_HEADER, SECRET)
                .PUT(HttpRequest.BodyPublishers.noBody()).build()).statusCode(), "java.net.http without a body");

        // A chunked body carries no Content-Length: refused before any byte is held.
        byte[] data = bytes(1000, 6);
        String id = ChunkIds.describe(data, 0, data.length).id();
        ByteArrayOutputStream chunked = new ByteArrayOutputStream();
        chunked.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        chunked.write(data);
        chunked.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        int status = rawStatus("PUT /peer/v1/chunks/" + id + " HTTP/1.1\r\nHost: x\r\n" + secret
                + "Transfer-Encoding: chunked\r\n\r\n", chunked.toByteArray());
        assertTrue(status / 100 == 4, "chunked put: " + status);
        assertNothingStored();
    }

    @Test
    void anAbsentChunkIsNullAndFalse() throws Exception {
        byte[] data = bytes(2048, 7);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        assertNull(client.get(address, info.id(), null));
        assertNull(client.get(address, info.id(), info));
        assertFalse(client.has(address, info.id()));
        assertEquals(List.of(), client.listGroup(address, Placement.groupOf(info.id(), PG_COUNT)));
        assertEquals(Map.of(), client.digests(address));
    }

    @Test
    void groupNumbersOutsideTheRangeAre400() throws Exception {
        for (String pg : List.of("512", "-1", "abc", "99999999999")) {
            HttpResponse<String> r = send(request("/peer/v1/groups/" + pg).header(PeerApi.SECRET_HEADER, SECRET).GET().build());
            assertEquals(400, r.statusCode(), () -> "group " + pg + ": " + r.body());
        }
        assertEquals(400, assertThrows(PeerClient.PeerException.class, () -> client.listGroup(address, PG_COUNT)).status());
    }

    @Test
    void aCorruptCopyIsNeverServedAsTheChunk() throws Exception {
        // Checked get (the manifest's length and CRC32C): the server finds the damage, quarantines the copy, answers 404.
        byte[] a = bytes(100_000, 8);
        ChunkInfo infoA = ChunkIds.describe(a, 0, a.length);
        assertTrue(client.put(address, infoA, a, 0));
        flipByte(store.pathOf(infoA.id()), 54_321);
        assertNull(client.get(address, infoA.id(), infoA), "a checked get of a corrupt copy is 'not here'");
        assertFalse(store.has(infoA.id()), "the corrupt copy left the store");
        assertEquals(1, filesUnder(store.quarantineDirectory()).size(), "it is kept in quarantine");
        assertFalse(client.has(address, infoA.id()));
        assertEquals(List.of(), client.listGroup(address, Placement.groupOf(infoA.id(), PG_COUNT)), "the index forgot it");
        assertEquals(Map.of(), client.digests(address));
        // ... and a replica can be put again afterwards.
        assertTrue(client.put(address, infoA, a, 0));
        assertArrayEquals(a, client.get(address, infoA.id(), infoA));

        // Unchecked get (what the replicator does): the server sends what it has, the client checks the SHA-256.
        byte[] b = bytes(100_000, 9);
        ChunkInfo infoB = ChunkIds.describe(b, 0, b.length);
        assertTrue(client.put(address, infoB, b, 0));
        flipByte(store.pathOf(infoB.id()), 99_999);
        long badBefore = client.badCopies();
        IOException e = assertThrows(IOException.class, () -> client.get(address, infoB.id(), null));
        assertFalse(e instanceof PeerClient.PeerException, "a bad copy is not a peer error status: " + e);
        assertEquals(badBefore + 1, client.badCopies());
        // The checked form of the same read finds it too, and quarantines it.
        assertNull(client.get(address, infoB.id(), infoB));
        assertFalse(store.has(infoB.id()));

        // A truncated copy: checked get is 404 (quarantined), unchecked get is an IOException.
        byte[] c = bytes(50_000, 10);
        ChunkInfo infoC = ChunkIds.describe(c, 0, c.length);
        byte[] d = bytes(50_000, 11);
        ChunkInfo infoD = ChunkIds.describe(d, 0, d.length);
        assertTrue(client.put(address, infoC, c, 0));
        assertTrue(client.put(address, infoD, d, 0));
        for (ChunkInfo info : List.of(infoC, infoD)) {
            try (RandomAccessFile f = new RandomAccessFile(store.pathOf(info.id()).toFile(), "rw")) {
                f.setLength(info.lengthBytes() - 1);
            }
        }
        assertNull(client.get(address, infoC.id(), infoC));
        assertFalse(store.has(infoC.id()));
        assertThrows(IOException.class, () -> client.get(address, infoD.id(), null));
    }

    @Test
    void chunksLeavingTheStoreLeaveTheListingsAndDigests() throws Exception {
        // Chunks until two share a group; the others stay in the map.
        Map<Integer, List<ChunkInfo>> byGroup = new HashMap<>();
        List<ChunkInfo> pair = putUntilTwoShareAGroup(200, byGroup);
        assertNotNull(pair);
        int pg = Placement.groupOf(pair.get(0).id(), PG_COUNT);
        String first = pair.get(0).id();
        String second = pair.get(1).id();

        assertTrue(store.delete(first));
        assertEquals(List.of(second), client.listGroup(address, pg));
        assertEquals(LocalChunkIndex.Digest.of(List.of(second)), client.digests(address).get(pg));
        assertFalse(client.has(address, first));
        assertNull(client.get(address, first, null));

        assertTrue(store.delete(second));
        assertEquals(List.of(), client.listGroup(address, pg));
        assertFalse(client.digests(address).containsKey(pg), "an emptied group has no digest");
        assertFalse(store.delete(second), "a second delete finds nothing");

        for (List<ChunkInfo> infos : byGroup.values()) for (ChunkInfo i : infos) store.delete(i.id());
        assertEquals(Map.of(), client.digests(address));
    }

    @Test
    void anIndexBuiltOverAFilledVolumeServesWhatIsThere() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int seed = 300; seed < 320; seed++) {
            byte[] data = bytes(3000, seed);
            ChunkInfo info = ChunkIds.describe(data, 0, data.length);
            assertTrue(store.put(info, data, 0));
            ids.add(info.id());
        }
        // A restart: a new store over the same volume, a new index, a new server.
        server.close();
        server = null;
        store = new ChunkStore(volume);
        index = LocalChunkIndex.build(store, PG_COUNT);
        serve();
        Map<Integer, List<String>> expected = new HashMap<>();
        for (String id : ids) expected.computeIfAbsent(Placement.groupOf(id, PG_COUNT), k -> new ArrayList<>()).add(id);
        Map<Integer, LocalChunkIndex.Digest> digests = client.digests(address);
        assertEquals(expected.keySet(), digests.keySet());
        for (Map.Entry<Integer, List<String>> e : expected.entrySet()) {
            assertEquals(LocalChunkIndex.Digest.of(e.getValue()), digests.get(e.getKey()));
            assertEquals(e.getValue().stream().sorted().toList(), client.listGroup(address, e.getKey()));
        }
    }

    @Test
    void concurrentPutsOfOneChunkWriteItOnce() throws Exception {
        byte[] data = bytes(2 << 20, 12);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Boolean>> puts = new ArrayList<>();
            for (int i = 0; i < 8; i++) puts.add(() -> client.put(address, info, data, 0));
            int written = 0;
            for (Future<Boolean> f : pool.invokeAll(puts)) if (f.get()) written++;
            assertEquals(1, written, "exactly one put reports that it wrote the chunk");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(info.id()), stored());
        assertArrayEquals(data, client.get(address, info.id(), info));
        assertEquals(List.of(), filesUnder(store.tmpDirectory()), "no temporary file left behind");
    }
}
