package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.glint.node.TestNode;
import io.glint.node.image.ImageWriter;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.store.Records;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static io.glint.node.api.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upload, download and stage over real HTTP (spec §4.6-§4.8, checklist API-070..API-088 and
 * API-116 for the data routes) against a node with the real chunk store. Uploads that must be
 * interrupted, slowed or dropped are written over a plain socket ({@link RawUpload}).
 */
class ImageDataApiTest extends ApiTestBase {
    /** Bigger than one 4 MiB chunk, so downloads and ranges cross a chunk boundary. */
    private static final int BIG_BYTES = ImageWriter.CHUNK_SIZE_DEFAULT_BYTES + 1_000_003;
    private static final int CAP_BYTES = 64 * 1024;
    private static final String MD5_OF_NOTHING = "d41d8cd98f00b204e9800998ecf8427e";

    @TempDir
    static Path dir;
    /** A node whose image_size_cap is {@link #CAP_BYTES}. */
    private TestNode capped;
    /** A node without glance-direct among its import methods. */
    private TestNode noGlanceDirect;
    private byte[] bigData;
    private String bigImage;

    @Override
    TestNode newNode() throws Exception {
        capped = TestNode.withDataPath(ApiSettings.defaults(), dir.resolve("capped"),
                ImageWriter.Config.defaults().withImageSizeCapBytes(CAP_BYTES));
        noGlanceDirect = TestNode.withDataPath(new ApiSettings(List.of("web-download", "copy-image"), false, List.of()),
                dir.resolve("no-glance-direct"));
        return TestNode.withDataPath(ApiSettings.defaults(), dir.resolve("main"));
    }

    @AfterAll
    void stopOtherNodes() {
        if (capped != null) capped.close();
        if (noGlanceDirect != null) noGlanceDirect.close();
    }

    private static String file(String id) {
        return "/v2/images/" + id + "/file";
    }

    /** One public image of BIG_BYTES uploaded once for the download tests. */
    private synchronized String big() {
        if (bigImage == null) {
            bigData = bytes(BIG_BYTES, 42);
            bigImage = create(admin, json("disk_format", "raw", "container_format", "bare", "visibility", "public"))
                    .get("id").asText();
            putData(admin, bigImage, "file", bigData).expect(204);
        }
        return bigImage;
    }

    private static void assertQueuedWithoutData(JsonNode img) {
        assertEquals("queued", img.get("status").asText(), img::toString);
        assertTrue(img.get("size").isNull(), img::toString);
        assertTrue(img.get("checksum").isNull(), img::toString);
        assertTrue(img.get("os_hash_value").isNull(), img::toString);
        assertFalse(img.has("stores"), img::toString);
    }

    private void assertHoldsData(ApiClient who, String id, byte[] data) {
        JsonNode img = who.show(id);
        assertEquals("active", img.get("status").asText(), img::toString);
        assertEquals(data.length, img.get("size").asLong());
        assertEquals(hex("MD5", data), img.get("checksum").asText());
        assertEquals("sha512", img.get("os_hash_algo").asText());
        assertEquals(hex("SHA-512", data), img.get("os_hash_value").asText());
        assertEquals("cluster", img.get("stores").asText());
        assertValidImage(img);
        ApiClient.Resp d = who.get(file(id)).expect(200);
        assertArrayEquals(data, d.bodyBytes(), "downloaded bytes of " + id);
    }

    // ------------------------------------------------------------------ upload

    @Test
    @DisplayName("API-073/074: upload queued -> active, 204 no body; size, MD5 checksum, sha512 multihash, stores")
    void api073_074_uploadActivates() {
        ApiClient o = admin.member(project("o"));
        String id = queued(o);
        assertQueuedWithoutData(o.show(id));
        byte[] data = bytes(BIG_BYTES, 7);
        ApiClient.Resp r = putData(o, id, "file", data).expect(204);
        assertNoBody(r);
        assertHoldsData(o, id, data);
    }

    @Test
    @DisplayName("API-071: upload and stage need application/octet-stream (415 otherwise); parameters and case ignored")
    void api071_contentType() {
        ApiClient o = admin.member(project("o"));
        String id = queued(o);
        byte[] data = bytes(1000, 1);
        List<String[]> wrong = List.of(new String[0], new String[]{"Content-Type", "application/json"},
                new String[]{"Content-Type", "text/plain; charset=UTF-8"},
                new String[]{"Content-Type", "application/octet-streamx"},
                new String[]{"Content-Type", "multipart/form-data; boundary=x"});
        for (String route : List.of("file", "stage")) {
            for (String[] h : wrong) {
                ApiClient.Resp r = o.sendBytes("PUT", "/v2/images/" + id + "/" + route, data, false, h);
                assertEquals(415, r.status(), () -> route + " " + Arrays.toString(h) + ": " + r.body());
            }
        }
        ApiClient.Resp j = o.sendBytes("PUT", file(id), data, false, "Content-Type", "text/plain",
                "Accept", "application/json").expect(415);
        assertEquals("application/json", j.header("Content-Type").orElse(""));
        assertEquals("415 Unsupported Media Type", j.json().get("code").asText());
        assertQueuedWithoutData(o.show(id));

        assertNoBody(o.sendBytes("PUT", file(id), data, false,
                "Content-Type", "application/octet-stream; charset=UTF-8").expect(204));
        assertHoldsData(o, id, data);
        String upper = queued(o);
        o.sendBytes("PUT", file(upper), data, false, "Content-Type", "Application/Octet-Stream").expect(204);
        assertHoldsData(o, upper, data);
    }

    @Test
    @DisplayName("API-072: Content-Length bodies and chunked bodies (java.net.http and hand-framed chunks) both upload")
    void api072_lengthAndChunked() throws IOException {
        ApiClient o = admin.member(project("o"));
        byte[] data = bytes(300_001, 2);
        String sized = queued(o);
        putData(o, sized, "file", data).expect(204);
        assertHoldsData(o, sized, data);

        String streamed = queued(o);
        o.sendBytes("PUT", file(streamed), data, true, "Content-Type", OCTET_STREAM).expect(204);
        assertHoldsData(o, streamed, data);

        String framed = queued(o);
        try (RawUpload up = RawUpload.chunked(node, o, framed)) {
            up.chunk(data, 0, 1);
            up.chunk(data, 1, 65_536);
            up.chunk(data, 65_537, data.length - 65_537);
            up.lastChunk();
            RawHttp.Resp r = up.response();
            assertEquals(204, r.status(), r.body());
        }
        assertHoldsData(o, framed, data);
    }

    @Test
    @DisplayName("API-075: upload to an image that is not queued -> 409, image unchanged")
    void api075_notQueued() {
        ApiClient o = admin.member(project("o"));
        byte[] data = bytes(5000, 3);
        String act = active(o, data);
        putData(o, act, "file", bytes(10, 4)).expect(409);
        assertHoldsData(o, act, data);

        String staged = queued(o);
        putData(o, staged, "stage", data).expect(204);
        putData(o, staged, "file", data).expect(409);
        assertEquals("uploading", o.show(staged).get("status").asText());

        String deact = active(o, data);
        o.send("POST", "/v2/images/" + deact + "/actions/deactivate", null).expect(204);
        putData(o, deact, "file", bytes(10, 4)).expect(409);
        putData(admin, deact, "file", bytes(10, 4)).expect(409);
        assertEquals("deactivated", o.show(deact).get("status").asText());
    }

    @Test
    @DisplayName("API-076: upload or stage with a null disk_format or container_format -> 400, image stays queued")
    void api076_nullFormats() {
        ApiClient o = admin.member(project("o"));
        for (String body : List.of("{}", json("disk_format", "raw"), json("container_format", "bare"))) {
            String id = create(o, body).get("id").asText();
            putData(o, id, "file", bytes(100, 5)).expect(400);
            assertQueuedWithoutData(o.show(id));
            // staging needs no formats (real Glance answers 204); the import then refuses with 409
            putData(o, id, "stage", bytes(100, 5)).expect(204);
            assertEquals("uploading", o.show(id).get("status").asText());
            o.post("/v2/images/" + id + "/import", "{\"method\": {\"name\": \"glance-direct\"}}").expect(409);
        }
    }

    @Test
    @DisplayName("API-077: x-openstack-image-size larger, smaller, or not an integer -> 400; image back to queued")
    void api077_sizeHeader() {
        ApiClient o = admin.member(project("o"));
        byte[] data = bytes(50_000, 6);
        String id = queued(o);
        for (String size : List.of("50001", "49999", "1", "0", "abc", "1.5", "-1", "5e4")) {
            ApiClient.Resp r = putData(o, id, "file", data, "x-openstack-image-size", size);
            assertEquals(400, r.status(), () -> "size " + size + ": " + r.body());
            assertQueuedWithoutData(o.show(id));
        }
        ApiClient.Resp chunked = o.sendBytes("PUT", file(id), data, true, "Content-Type", OCTET_STREAM,
                "x-openstack-image-size", "50001");
        assertEquals(400, chunked.status(), chunked.body());
        assertQueuedWithoutData(o.show(id));
        putData(o, id, "stage", data, "x-openstack-image-size", "49999").expect(400);
        assertQueuedWithoutData(o.show(id));

        putData(o, id, "file", data, "x-openstack-image-size", "50000").expect(204);
        assertHoldsData(o, id, data);
    }

    @Test
    @DisplayName("API-078/073/075/084: client gone mid-upload -> queued again, size null; a new upload succeeds")
    void api078_clientDisconnect() throws IOException {
        ApiClient o = admin.member(project("o"));
        String id = queued(o);
        byte[] data = bytes(1 << 20, 8);
        try (RawUpload up = RawUpload.sized(node, o, id, data.length)) {
            up.write(data, 0, 64 * 1024);
            awaitStatus(o, id, "saving");
            assertNoBody(o.get(file(id)).expect(204));
            putData(o, id, "file", data).expect(409);
        }
        JsonNode back = awaitImage(o, id, i -> "queued".equals(i.get("status").asText()), "queued after disconnect");
        assertQueuedWithoutData(back);
        assertNull(Records.upload(node.store, id), "the upload lease is released");
        assertNull(Records.manifest(node.store, id));
        putData(o, id, "file", data).expect(204);
        assertHoldsData(o, id, data);
    }

    @Test
    @DisplayName("API-079: image_size_cap exceeded (announced or streamed, upload or stage) -> 413, back to queued")
    void api079_sizeCap() {
        ApiClient c = ApiClient.of(capped.url()).member(project("o"));
        String id = c.create(FORMATS).get("id").asText();
        putData(c, id, "file", bytes(CAP_BYTES + 1, 9)).expect(413);
        assertQueuedWithoutData(c.show(id));
        c.sendBytes("PUT", file(id), bytes(CAP_BYTES + 10, 9), true, "Content-Type", OCTET_STREAM).expect(413);
        assertQueuedWithoutData(c.show(id));
        putData(c, id, "file", bytes(100, 9), "x-openstack-image-size", String.valueOf(CAP_BYTES + 1)).expect(413);
        assertQueuedWithoutData(c.show(id));
        putData(c, id, "stage", bytes(CAP_BYTES + 1, 9)).expect(413);
        assertQueuedWithoutData(c.show(id));

        byte[] exactly = bytes(CAP_BYTES, 10);
        putData(c, id, "file", exactly).expect(204);
        JsonNode img = c.show(id);
        assertEquals("active", img.get("status").asText());
        assertEquals(CAP_BYTES, img.get("size").asLong());
        assertEquals(hex("MD5", exactly), img.get("checksum").asText());
    }

    @Test
    @DisplayName("API-082: image deleted while its data streams in -> 410, image stays deleted")
    void api082_deletedDuringUpload() throws IOException {
        ApiClient o = admin.member(project("o"));
        String id = queued(o);
        byte[] data = bytes(256 * 1024, 11);
        try (RawUpload up = RawUpload.sized(node, o, id, data.length)) {
            up.write(data, 0, data.length / 2);
            awaitStatus(o, id, "saving");
            o.delete("/v2/images/" + id).expect(204);
            up.write(data, data.length / 2, data.length - data.length / 2);
            RawHttp.Resp r = up.response();
            assertEquals(410, r.status(), r.body());
        }
        o.get("/v2/images/" + id).expect(404);
        o.get(file(id)).expect(404);
        assertEquals(ImageStatus.DELETED, Records.image(node.store, id).status());
        assertNull(Records.manifest(node.store, id), "no manifest for the deleted image");
        assertNull(Records.upload(node.store, id));
    }

    @Test
    @DisplayName("API-070: delete while saving or uploading discards the partial or staged data and its chunk refs")
    void api070_deleteDiscards() throws IOException {
        ApiClient o = admin.member(project("o"));
        byte[] data = bytes(300_000, 12);
        String staged = queued(o);
        putData(o, staged, "stage", data).expect(204);
        ChunkManifest m = Records.manifest(node.store, staged);
        assertNotNull(m, "staged data has a manifest");
        assertEquals(data.length, m.sizeBytes());
        int pgs = Records.settings(node.store).placementGroups();
        for (ChunkInfo c : m.chunks()) {
            assertEquals(1, Records.chunkRefCount(node.store, ChunkInfo.placementGroup(c.id(), pgs), c.id()));
        }
        assertNoBody(o.delete("/v2/images/" + staged).expect(204));
        o.get("/v2/images/" + staged).expect(404);
        o.get(file(staged)).expect(404);
        assertNull(Records.manifest(node.store, staged));
        for (ChunkInfo c : m.chunks()) {
            assertEquals(0, Records.chunkRefCount(node.store, ChunkInfo.placementGroup(c.id(), pgs), c.id()),
                    "reference of staged chunk " + c.id());
        }

        String saving = queued(o);
        try (RawUpload up = RawUpload.sized(node, o, saving, data.length)) {
            up.write(data, 0, 100_000);
            awaitStatus(o, saving, "saving");
            assertNotNull(Records.upload(node.store, saving));
            o.delete("/v2/images/" + saving).expect(204);
            assertNull(Records.upload(node.store, saving), "the upload lease goes with the image");
            o.get("/v2/images/" + saving).expect(404);
        }
        assertNull(Records.manifest(node.store, saving));
        assertEquals(ImageStatus.DELETED, Records.image(node.store, saving).status());
        o.post("/v2/images", json("id", saving)).expect(409);
    }

    // ------------------------------------------------------------------ download

    @Test
    @DisplayName("API-083: download 200, Content-Type exactly application/octet-stream, Content-Length, hex Content-MD5")
    void api083_download() {
        String id = big();
        ApiClient reader = admin.member(project("reader"));
        ApiClient.Resp r = reader.get(file(id)).expect(200);
        assertEquals(OCTET_STREAM, r.header("Content-Type").orElse(null));
        assertEquals(String.valueOf(BIG_BYTES), r.header("Content-Length").orElse(null));
        String md5 = r.header("Content-MD5").orElse("");
        assertTrue(md5.matches("[0-9a-f]{32}"), md5);
        assertEquals(hex("MD5", bigData), md5);
        assertArrayEquals(bigData, r.bodyBytes());
    }

    @Test
    @DisplayName("API-084: download of an image without data (queued, uploading) -> 204 with no body")
    void api084_noData() {
        ApiClient o = admin.member(project("o"));
        String q = queued(o);
        ApiClient.Resp r = o.get(file(q)).expect(204);
        assertNoBody(r);
        assertTrue(r.header("Content-MD5").isEmpty());
        String staged = queued(o);
        putData(o, staged, "stage", bytes(1000, 13)).expect(204);
        assertNoBody(o.get(file(staged)).expect(204));
        assertNoBody(admin.get(file(staged)).expect(204));
    }

    @Test
    @DisplayName("API-085: single ranges -> 206 + Content-Range; several -> 400; start past the end -> 416")
    void api085_ranges() {
        String id = big();
        int n = BIG_BYTES;
        int boundary = ImageWriter.CHUNK_SIZE_DEFAULT_BYTES;
        assertRange(id, "bytes=0-9", 0, 9);
        assertRange(id, "bytes=" + (boundary - 5) + "-" + (boundary + 5), boundary - 5, boundary + 5);
        assertRange(id, "bytes=" + (boundary - 1) + "-", boundary - 1, n - 1);
        assertRange(id, "bytes=-500", n - 500, n - 1);
        assertRange(id, "bytes=-" + (2L * n), 0, n - 1);
        assertRange(id, "bytes=-" + n, 0, n - 1);
        assertRange(id, "bytes=10-" + (n + 1000), 10, n - 1);
        assertRange(id, "bytes=" + (n - 1) + "-" + (n - 1), n - 1, n - 1);
        for (String multiple : List.of("bytes=0-1,5-6", "bytes=0-1, -3")) {
            admin.get(file(id), "Range", multiple).expect(400);
        }
        for (String bad : List.of("bytes=" + n + "-", "bytes=" + n + "-" + (n + 5), "bytes=5-2", "bytes=abc",
                "items=0-1", "bytes=-0", "bytes=" + (2L * n) + "-")) {
            ApiClient.Resp r = admin.get(file(id), "Range", bad);
            assertEquals(416, r.status(), () -> bad + ": " + r.body());
        }
    }

    private void assertRange(String id, String range, long first, long last) {
        ApiClient.Resp r = admin.get(file(id), "Range", range);
        assertEquals(206, r.status(), () -> range + ": " + r.body());
        assertEquals("bytes " + first + "-" + last + "/" + BIG_BYTES, r.header("Content-Range").orElse(null), range);
        assertEquals(String.valueOf(last - first + 1), r.header("Content-Length").orElse(null), range);
        assertEquals(OCTET_STREAM, r.header("Content-Type").orElse(null));
        assertEquals(hex("MD5", bigData), r.header("Content-MD5").orElse(null), "Content-MD5 is the whole image's");
        assertArrayEquals(Arrays.copyOfRange(bigData, (int) first, (int) last + 1), r.bodyBytes(), range);
    }

    @Test
    @DisplayName("API-086/116: deactivated image download -> 403 for non-admins (owner too), 200 for admins, 404 if invisible")
    void api086_deactivated() {
        String owner = project("o");
        ApiClient o = admin.member(owner);
        byte[] data = bytes(20_000, 14);
        String id = create(o, json("disk_format", "raw", "container_format", "bare", "visibility", "community"))
                .get("id").asText();
        putData(o, id, "file", data).expect(204);
        o.send("POST", "/v2/images/" + id + "/actions/deactivate", null).expect(204);
        o.get(file(id)).expect(403);
        admin.member(project("x")).get(file(id)).expect(403);
        ApiClient.Resp r = admin.get(file(id)).expect(200);
        assertArrayEquals(data, r.bodyBytes());
        assertEquals(hex("MD5", data), r.header("Content-MD5").orElse(null));
        o.send("POST", "/v2/images/" + id + "/actions/reactivate", null).expect(204);
        assertArrayEquals(data, o.get(file(id)).expect(200).bodyBytes());

        String priv = active(o, data);
        o.send("POST", "/v2/images/" + priv + "/actions/deactivate", null).expect(204);
        admin.member(project("x")).get(file(priv)).expect(404);
        o.get(file(priv)).expect(403);
    }

    @Test
    @DisplayName("zero-byte image: empty upload -> active, size 0; download 200 with Content-Length 0")
    void zeroByteImage() {
        ApiClient o = admin.member(project("o"));
        byte[] none = new byte[0];
        String id = queued(o);
        assertNoBody(putData(o, id, "file", none).expect(204));
        JsonNode img = o.show(id);
        assertEquals("active", img.get("status").asText());
        assertEquals(0, img.get("size").asLong());
        assertEquals(MD5_OF_NOTHING, img.get("checksum").asText());
        assertEquals(hex("SHA-512", none), img.get("os_hash_value").asText());
        assertValidImage(img);
        ApiClient.Resp r = o.get(file(id)).expect(200);
        assertEquals("0", r.header("Content-Length").orElse(null));
        assertEquals(OCTET_STREAM, r.header("Content-Type").orElse(null));
        assertEquals(MD5_OF_NOTHING, r.header("Content-MD5").orElse(null));
        assertEquals(0, r.bodyBytes().length);
        o.get(file(id), "Range", "bytes=0-0").expect(416);

        String chunked = queued(o);
        o.sendBytes("PUT", file(chunked), none, true, "Content-Type", OCTET_STREAM).expect(204);
        assertEquals(0, o.show(chunked).get("size").asLong());
    }

    // ------------------------------------------------------------------ stage

    @Test
    @DisplayName("API-088: stage queued -> uploading 204, size set, not downloadable; wrong status 409; disabled 404")
    void api088_stage() {
        ApiClient o = admin.member(project("o"));
        byte[] data = bytes(100_000, 15);
        String id = queued(o);
        assertNoBody(putData(o, id, "stage", data).expect(204));
        JsonNode img = o.show(id);
        assertEquals("uploading", img.get("status").asText());
        assertEquals(data.length, img.get("size").asLong());
        assertTrue(img.get("checksum").isNull(), img::toString);
        assertValidImage(img);
        assertNoBody(o.get(file(id)).expect(204));
        putData(o, id, "stage", data).expect(409);
        putData(o, id, "file", data).expect(409);
        assertEquals(data.length, o.show(id).get("size").asLong());

        String act = active(o, data);
        putData(o, act, "stage", data).expect(409);
        assertEquals("active", o.show(act).get("status").asText());

        ApiClient n = ApiClient.of(noGlanceDirect.url()).member(project("o"));
        String other = n.create(FORMATS).get("id").asText();
        putData(n, other, "stage", data).expect(404);
        putData(n, uuid(), "stage", data).expect(404);
        assertEquals("queued", n.show(other).get("status").asText());
        putData(n, other, "file", data).expect(204);
    }

    // ------------------------------------------------------------------ 403 versus 404

    @Test
    @DisplayName("API-116: data routes on an invisible image -> 404, never 403; visible but not owned -> 403")
    void api116_dataRoutes() {
        String owner = project("o");
        ApiClient o = admin.member(owner);
        ApiClient stranger = admin.member(project("s"));
        byte[] data = bytes(3000, 16);
        String privActive = active(o, data);
        String privQueued = queued(o);
        for (String id : List.of(privActive, privQueued, uuid())) {
            putData(stranger, id, "file", data).expect(404);
            putData(stranger, id, "stage", data).expect(404);
            stranger.get(file(id)).expect(404);
            stranger.post("/v2/images/" + id + "/import", "{\"method\": {\"name\": \"glance-direct\"}}").expect(404);
        }
        putData(stranger, "not-a-uuid", "file", data).expect(404);
        stranger.get(file("not-a-uuid")).expect(404);
        assertQueuedWithoutData(o.show(privQueued));

        String pubQueued = create(admin, json("disk_format", "raw", "container_format", "bare", "visibility", "public",
                "owner", owner)).get("id").asText();
        putData(stranger, pubQueued, "file", data).expect(403);
        putData(stranger, pubQueued, "stage", data).expect(403);
        assertQueuedWithoutData(o.show(pubQueued));

        String shared = create(o, json("disk_format", "raw", "container_format", "bare", "visibility", "shared"))
                .get("id").asText();
        String member = project("m");
        o.post("/v2/images/" + shared + "/members", json("member", member)).expect(200);
        putData(admin.member(member), shared, "file", data).expect(403);
        putData(o, shared, "file", data).expect(204);
        assertArrayEquals(data, admin.member(member).get(file(shared)).expect(200).bodyBytes());
        stranger.get(file(shared)).expect(404);
    }

    // ------------------------------------------------------------------ raw uploads

    /**
     * One {@code PUT /file} written over a plain socket in steps, so that a test can act between
     * the steps, finish later, or drop the connection (close without finishing).
     */
    private static final class RawUpload implements AutoCloseable {
        private final Socket socket;
        private final OutputStream out;

        private RawUpload(TestNode node, ApiClient who, String id, String framing) throws IOException {
            socket = new Socket("127.0.0.1", node.server.port());
            socket.setSoTimeout(20_000);
            out = socket.getOutputStream();
            StringBuilder head = new StringBuilder("PUT ").append(file(id)).append(" HTTP/1.1\r\n")
                    .append("Host: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n").append(framing);
            List<String> identity = who.identityHeaders();
            for (int i = 0; i < identity.size(); i += 2) {
                head.append(identity.get(i)).append(": ").append(identity.get(i + 1)).append("\r\n");
            }
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        static RawUpload sized(TestNode node, ApiClient who, String id, long contentLength) throws IOException {
            return new RawUpload(node, who, id, "Content-Length: " + contentLength + "\r\n");
        }

        static RawUpload chunked(TestNode node, ApiClient who, String id) throws IOException {
            return new RawUpload(node, who, id, "Transfer-Encoding: chunked\r\n");
        }

        void write(byte[] b, int off, int len) {
            try {
                out.write(b, off, len);
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void chunk(byte[] b, int off, int len) {
            write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.ISO_8859_1), 0,
                    Integer.toHexString(len).length() + 2);
            write(b, off, len);
            write(new byte[]{'\r', '\n'}, 0, 2);
        }

        void lastChunk() {
            byte[] end = "0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
            write(end, 0, end.length);
        }

        RawHttp.Resp response() throws IOException {
            return RawHttp.read(socket.getInputStream());
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
