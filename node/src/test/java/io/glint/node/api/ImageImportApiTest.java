package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.glint.node.TestNode;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Task;
import io.glint.registry.model.TaskStatus;
import io.glint.registry.store.Records;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static io.glint.node.api.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interoperable import over real HTTP (spec §4.9, checklist API-089..API-097, API-070 and API-084
 * for importing images): glance-direct, web-download from a small HTTP server on 127.0.0.1 that
 * the node's allowlist names (host:port), and copy-image on a one-store service. The source can
 * hold a response half-sent until the test releases it, which keeps an import running while the
 * test checks the import lock, downloads and deletes.
 */
class ImageImportApiTest extends ApiTestBase {
    private static final long SOURCE_HOLD_MAX_SECONDS = 30;

    @TempDir
    static Path dir;
    private HttpServer source;
    private ExecutorService sourceThreads;
    private String sourceUrl;
    /** Bytes the source serves under /data/{name}. */
    private final Map<String, byte[]> served = new ConcurrentHashMap<>();
    /** Responses the source holds after half the body, under /slow/{name}. */
    private final Map<String, Slow> slow = new ConcurrentHashMap<>();

    /** A source response held half-way until {@link #release}. */
    private static final class Slow {
        final byte[] data;
        final CountDownLatch arrived = new CountDownLatch(1);
        final CountDownLatch released = new CountDownLatch(1);

        Slow(byte[] data) {
            this.data = data;
        }

        void awaitArrived() throws InterruptedException {
            assertTrue(arrived.await(20, TimeUnit.SECONDS), "the import never asked the source");
        }

        void release() {
            released.countDown();
        }
    }

    @Override
    TestNode newNode() throws Exception {
        sourceThreads = Executors.newFixedThreadPool(4);
        source = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        source.setExecutor(sourceThreads);
        source.createContext("/data/", this::serve);
        source.createContext("/slow/", this::serveSlowly);
        source.start();
        String hostPort = "127.0.0.1:" + source.getAddress().getPort();
        sourceUrl = "http://" + hostPort;
        ApiSettings settings = new ApiSettings(ApiSettings.defaults().importMethods(), false, List.of(hostPort));
        return TestNode.withDataPath(settings, dir.resolve("main"));
    }

    @AfterAll
    void stopSource() {
        slow.values().forEach(Slow::release);
        if (source != null) source.stop(0);
        if (sourceThreads != null) sourceThreads.shutdownNow();
    }

    private void serve(HttpExchange ex) throws IOException {
        byte[] data = served.get(ex.getRequestURI().getPath().substring("/data/".length()));
        try {
            if (data == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            ex.getResponseHeaders().set("Content-Type", OCTET_STREAM);
            ex.sendResponseHeaders(200, data.length == 0 ? -1 : data.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(data);
            }
        } finally {
            ex.close();
        }
    }

    private void serveSlowly(HttpExchange ex) throws IOException {
        Slow s = slow.get(ex.getRequestURI().getPath().substring("/slow/".length()));
        try {
            if (s == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            ex.sendResponseHeaders(200, s.data.length);
            OutputStream out = ex.getResponseBody();
            int half = s.data.length / 2;
            out.write(s.data, 0, half);
            out.flush();
            s.arrived.countDown();
            try {
                if (!s.released.await(SOURCE_HOLD_MAX_SECONDS, TimeUnit.SECONDS)) return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            out.write(s.data, half, s.data.length - half);
            out.close();
        } finally {
            ex.close();
        }
    }

    private String servedUrl(byte[] data) {
        String name = uuid();
        served.put(name, data);
        return sourceUrl + "/data/" + name;
    }

    private String slowUrl(Slow s) {
        String name = uuid();
        slow.put(name, s);
        return sourceUrl + "/slow/" + name;
    }

    private static String webDownload(String uri) {
        com.fasterxml.jackson.databind.node.ObjectNode body = ApiClient.MAPPER.createObjectNode();
        body.putObject("method").put("name", "web-download").put("uri", uri);
        return body.toString();
    }

    private static final String GLANCE_DIRECT = "{\"method\": {\"name\": \"glance-direct\"}}";
    private static final String COPY = "{\"method\": {\"name\": \"copy-image\"}";

    private static ApiClient.Resp importImage(ApiClient who, String id, String body, String... headers) {
        return who.post("/v2/images/" + id + "/import", body, headers);
    }

    private String staged(ApiClient who, byte[] data) {
        String id = queued(who);
        putData(who, id, "stage", data).expect(204);
        return id;
    }

    private static JsonNode tasks(ApiClient who, String id) {
        return who.get("/v2/images/" + id + "/tasks").expect(200).json().get("tasks");
    }

    /** Polls the image's task list (bounded) until its only task has {@code status}; returns it. */
    private static JsonNode awaitOnlyTask(ApiClient who, String id, String status) {
        return poll(() -> {
            JsonNode ts = tasks(who, id);
            assertEquals(1, ts.size(), ts::toString);
            return status.equals(ts.get(0).get("status").asText()) ? ts.get(0) : null;
        }, "task of image " + id + " reaching " + status);
    }

    private void assertHoldsData(ApiClient who, JsonNode img, byte[] data) {
        assertEquals("active", img.get("status").asText(), img::toString);
        assertEquals(data.length, img.get("size").asLong());
        assertEquals(hex("MD5", data), img.get("checksum").asText());
        assertEquals("sha512", img.get("os_hash_algo").asText());
        assertEquals(hex("SHA-512", data), img.get("os_hash_value").asText());
        assertEquals("cluster", img.get("stores").asText());
        assertValidImage(img);
        assertArrayEquals(data, who.get("/v2/images/" + img.get("id").asText() + "/file").expect(200).bodyBytes());
    }

    private static void assertSucceeded(JsonNode task, String id, String method) {
        assertEquals("api_image_import", task.get("type").asText());
        assertEquals(id, task.get("image_id").asText());
        assertEquals(id, task.get("result").get("image_id").asText(), task::toString);
        assertEquals(method, task.get("input").get("import_req").get("method").get("name").asText());
        assertEquals("", task.get("message").asText());
        assertFalse(task.get("expires_at").isNull(), task::toString);
    }

    // ------------------------------------------------------------------ validation and preconditions

    @Test
    @DisplayName("API-089: import body validation -> 400 (missing method/name, unknown or disabled method, non-booleans)")
    void api089_bodyValidation() {
        ApiClient o = admin.member(project("o"));
        String id = queued(o);
        String uri = servedUrl(bytes(10, 1));
        List<String> bad = List.of("{not json", "[]", "null", "\"glance-direct\"", "{}",
                "{\"method\": \"glance-direct\"}", "{\"method\": {}}", "{\"method\": {\"name\": null}}",
                "{\"method\": {\"name\": 7}}", "{\"method\": {\"name\": \"bogus\"}}",
                "{\"method\": {\"name\": \"glance-download\"}}", "{\"name\": \"glance-direct\"}",
                "{\"method\": {\"name\": \"web-download\", \"uri\": \"" + uri + "\"}, \"all_stores\": \"true\"}",
                "{\"method\": {\"name\": \"web-download\", \"uri\": \"" + uri + "\"}, \"all_stores\": 1}",
                "{\"method\": {\"name\": \"web-download\", \"uri\": \"" + uri + "\"}, \"all_stores_must_succeed\": \"false\"}",
                "{\"method\": {\"name\": \"web-download\", \"uri\": \"" + uri + "\"}, \"all_stores_must_succeed\": false}",
                "{\"method\": {\"name\": \"web-download\", \"uri\": \"" + uri + "\"}, \"stores\": \"cluster\"}",
                "{\"method\": {\"name\": \"web-download\", \"uri\": \"" + uri + "\"}, \"stores\": [1]}");
        for (String body : bad) {
            ApiClient.Resp r = importImage(o, id, body);
            assertEquals(400, r.status(), () -> body + ": " + r.body());
        }
        assertEquals(400, o.send("POST", "/v2/images/" + id + "/import", null).status(), "no body");
        ApiClient.Resp j = importImage(o, id, "{}", "Accept", "application/json").expect(400);
        assertEquals("400 Bad Request", j.json().get("code").asText());
        assertEquals("queued", o.show(id).get("status").asText());
        assertEquals(0, tasks(o, id).size());
        importImage(o, uuid(), GLANCE_DIRECT).expect(404);
    }

    @Test
    @DisplayName("API-090: import state preconditions per method -> 409 (copy-image on non-active included)")
    void api090_statePreconditions() {
        ApiClient o = admin.member(project("o"));
        byte[] data = bytes(2000, 2);
        String uri = servedUrl(data);
        String q = queued(o);
        String u = staged(o, data);
        String a = active(o, data);
        String d = active(o, data);
        o.send("POST", "/v2/images/" + d + "/actions/deactivate", null).expect(204);
        String noFormats = create(o, "{}").get("id").asText();
        String noContainer = create(o, json("disk_format", "raw")).get("id").asText();

        for (String id : List.of(q, a, d, noFormats)) importImage(o, id, GLANCE_DIRECT).expect(409);
        for (String id : List.of(u, a, d, noFormats, noContainer)) importImage(o, id, webDownload(uri)).expect(409);
        for (String id : List.of(q, u, d, noFormats)) importImage(admin, id, COPY + "}").expect(409);

        assertEquals("queued", o.show(q).get("status").asText());
        assertEquals("uploading", o.show(u).get("status").asText());
        assertEquals("active", o.show(a).get("status").asText());
        assertEquals("deactivated", o.show(d).get("status").asText());
        assertEquals("queued", o.show(noFormats).get("status").asText());
        for (String id : List.of(q, u, a, d, noFormats, noContainer)) assertEquals(0, tasks(o, id).size());
    }

    @Test
    @DisplayName("API-090/116: import of a visible image by a non-owner -> 403; of an invisible one -> 404")
    void api090_authorization() {
        String owner = project("o");
        ApiClient o = admin.member(owner);
        ApiClient stranger = admin.member(project("s"));
        byte[] data = bytes(2000, 3);
        String pub = create(admin, json("disk_format", "raw", "container_format", "bare", "visibility", "public",
                "owner", owner)).get("id").asText();
        importImage(stranger, pub, webDownload(servedUrl(data))).expect(403);
        String pubStaged = create(admin, json("disk_format", "raw", "container_format", "bare",
                "visibility", "public", "owner", owner)).get("id").asText();
        putData(o, pubStaged, "stage", data).expect(204);
        importImage(stranger, pubStaged, GLANCE_DIRECT).expect(403);
        String priv = staged(o, data);
        importImage(stranger, priv, GLANCE_DIRECT).expect(404);
        importImage(stranger, priv, webDownload(servedUrl(data))).expect(404);
        importImage(stranger, priv, COPY + ", \"all_stores\": true}").expect(404);
        assertEquals("queued", o.show(pub).get("status").asText());
        assertEquals("uploading", o.show(pubStaged).get("status").asText());
        assertEquals("uploading", o.show(priv).get("status").asText());
    }

    // ------------------------------------------------------------------ glance-direct

    @Test
    @DisplayName("API-091/097: glance-direct 202 (no body), then active with the staged data's hashes; task success")
    void api091_glanceDirect() {
        String owner = project("o");
        ApiClient o = admin.member(owner);
        byte[] data = bytes(300_000, 4);
        String id = staged(o, data);
        ApiClient.Resp r = importImage(o, id, GLANCE_DIRECT).expect(202);
        assertNoBody(r);
        JsonNode img = awaitStatus(o, id, "active");
        assertHoldsData(o, img, data);
        JsonNode task = awaitOnlyTask(o, id, "success");
        assertSucceeded(task, id, "glance-direct");
        assertEquals(owner, task.get("owner").asText());
        assertNull(Records.upload(node.store, id), "the import lock is released");
        int pgs = Records.settings(node.store).placementGroups();
        for (ChunkInfo c : Records.manifest(node.store, id).chunks()) {
            assertEquals(1, Records.chunkRefCount(node.store, ChunkInfo.placementGroup(c.id(), pgs), c.id()),
                    "the staged chunks are now the image's, referenced once");
        }
        importImage(o, id, GLANCE_DIRECT).expect(409);
    }

    // ------------------------------------------------------------------ web-download

    @Test
    @DisplayName("API-092: web-download URI filter -> 400 for hosts/ports/schemes not allowed; denied by default")
    void api092_uriFilter() throws Exception {
        ApiClient o = admin.member(project("o"));
        String id = queued(o);
        String good = servedUrl(bytes(100, 5));
        int port = source.getAddress().getPort();
        List<String> refused = List.of("http://203.0.113.5/image.raw", "https://203.0.113.5/image.raw",
                "http://127.0.0.1:" + (port == 65535 ? 1 : port + 1) + "/data/x",
                good.replace("127.0.0.1", "localhost"), good.replace("http://", "ftp://"),
                good.replace("http://", "file://"), "file:///etc/passwd", "http:///nohost", "not a uri at all",
                "http://127.0.0.1/data/x");
        for (String uri : refused) {
            ApiClient.Resp r = importImage(o, id, webDownload(uri));
            assertEquals(400, r.status(), () -> uri + ": " + r.body());
        }
        importImage(o, id, "{\"method\": {\"name\": \"web-download\"}}").expect(400);
        importImage(o, id, "{\"method\": {\"name\": \"web-download\", \"uri\": 5}}").expect(400);
        JsonNode img = o.show(id);
        assertEquals("queued", img.get("status").asText());
        assertEquals(0, tasks(o, id).size());

        try (TestNode closed = TestNode.withDataPath(ApiSettings.defaults(), dir.resolve("default-settings"))) {
            ApiClient c = ApiClient.of(closed.url()).member(project("o"));
            String other = c.create(FORMATS).get("id").asText();
            c.post("/v2/images/" + other + "/import", webDownload(good)).expect(400);
            assertEquals("queued", c.show(other).get("status").asText());
        }
    }

    @Test
    @DisplayName("API-092/097: web-download from an allowed host:port -> 202, active with the source's bytes")
    void api092_webDownload() {
        ApiClient o = admin.member(project("o"));
        byte[] data = bytes(5_000_000, 6);
        String id = queued(o);
        assertNoBody(importImage(o, id, webDownload(servedUrl(data))).expect(202));
        JsonNode img = awaitStatus(o, id, "active");
        assertHoldsData(o, img, data);
        assertSucceeded(awaitOnlyTask(o, id, "success"), id, "web-download");
        assertNull(Records.upload(node.store, id));
    }

    @Test
    @DisplayName("API-092: web-download whose source answers 404 -> task failure, image back to queued; retry works")
    void api092_sourceMissing() {
        ApiClient o = admin.member(project("o"));
        String id = queued(o);
        importImage(o, id, webDownload(sourceUrl + "/data/" + uuid())).expect(202);
        JsonNode task = awaitOnlyTask(o, id, "failure");
        assertEquals("api_image_import", task.get("type").asText());
        assertTrue(task.get("result").isNull(), task::toString);
        assertFalse(task.get("message").asText().isEmpty(), task::toString);
        JsonNode img = awaitStatus(o, id, "queued");
        assertTrue(img.get("size").isNull(), img::toString);
        assertTrue(img.get("checksum").isNull(), img::toString);
        assertNull(Records.upload(node.store, id), "the import lock is released");

        byte[] data = bytes(1000, 7);
        importImage(o, id, webDownload(servedUrl(data))).expect(202);
        assertHoldsData(o, awaitStatus(o, id, "active"), data);
    }

    // ------------------------------------------------------------------ lock, task, delete while importing

    @Test
    @DisplayName("API-095/097/084: while an import runs: second import, stage, upload -> 409; download 204; one task")
    void api095_importLock() throws Exception {
        ApiClient o = admin.member(project("o"));
        byte[] data = bytes(200_000, 8);
        Slow s = new Slow(data);
        String id = queued(o);
        try {
            assertNoBody(importImage(o, id, webDownload(slowUrl(s))).expect(202));
            JsonNode ts = tasks(o, id);
            assertEquals(1, ts.size(), ts::toString);
            assertEquals("api_image_import", ts.get(0).get("type").asText());
            assertTrue(Set.of("pending", "processing").contains(ts.get(0).get("status").asText()), ts::toString);
            assertTrue(ts.get(0).get("result").isNull());
            s.awaitArrived();
            assertEquals("importing", o.show(id).get("status").asText());
            importImage(o, id, webDownload(servedUrl(data))).expect(409);
            importImage(o, id, GLANCE_DIRECT).expect(409);
            importImage(admin, id, COPY + ", \"all_stores\": true}").expect(409);
            putData(o, id, "stage", data).expect(409);
            putData(o, id, "file", data).expect(409);
            assertNoBody(o.get("/v2/images/" + id + "/file").expect(204));
            assertEquals(1, tasks(o, id).size(), "a refused import creates no task");
        } finally {
            s.release();
        }
        assertHoldsData(o, awaitStatus(o, id, "active"), data);
        assertSucceeded(awaitOnlyTask(o, id, "success"), id, "web-download");
    }

    @Test
    @DisplayName("API-070: delete while importing -> 204; the import fails, the image stays deleted, no chunk refs")
    void api070_deleteWhileImporting() throws Exception {
        ApiClient o = admin.member(project("o"));
        byte[] data = bytes(100_000, 9);
        Slow s = new Slow(data);
        String id = queued(o);
        String taskId;
        try {
            importImage(o, id, webDownload(slowUrl(s))).expect(202);
            s.awaitArrived();
            taskId = tasks(o, id).get(0).get("id").asText();
            assertNoBody(o.delete("/v2/images/" + id).expect(204));
            o.get("/v2/images/" + id).expect(404);
            o.get("/v2/images/" + id + "/file").expect(404);
            o.get("/v2/images/" + id + "/tasks").expect(404);
        } finally {
            s.release();
        }
        Task t = poll(() -> {
            Task x = Records.task(node.store, taskId);
            return x != null && (x.status() == TaskStatus.SUCCESS || x.status() == TaskStatus.FAILURE) ? x : null;
        }, "the import task to end");
        assertEquals(TaskStatus.FAILURE, t.status(), t::toString);
        assertEquals(ImageStatus.DELETED, Records.image(node.store, id).status());
        assertNull(Records.manifest(node.store, id));
        assertNull(Records.upload(node.store, id));
        String chunkId = hex("SHA-256", data);
        int pgs = Records.settings(node.store).placementGroups();
        assertEquals(0, Records.chunkRefCount(node.store, ChunkInfo.placementGroup(chunkId, pgs), chunkId));
        o.get("/v2/images/" + id).expect(404);
    }

    // ------------------------------------------------------------------ copy-image

    @Test
    @DisplayName("API-093: copy-image on one store: non-admin 403; all_stores 202 no-op; present 400; unknown store 409")
    void api093_copyImage() {
        ApiClient o = admin.member(project("o"));
        byte[] data = bytes(4000, 10);
        String id = active(o, data);
        JsonNode before = o.show(id);
        importImage(o, id, COPY + ", \"all_stores\": true}").expect(403);
        importImage(o, id, COPY + "}").expect(403);
        assertNoBody(importImage(admin, id, COPY + ", \"all_stores\": true}").expect(202));
        importImage(admin, id, COPY + ", \"stores\": [\"cluster\"]}").expect(400);
        importImage(admin, id, COPY + "}").expect(400);
        importImage(admin, id, COPY + ", \"stores\": [\"nope\"]}").expect(409);
        importImage(admin, id, COPY + ", \"stores\": [\"cluster\", \"nope\"]}").expect(409);
        importImage(admin, id, COPY + "}", "X-Image-Meta-Store", "nope").expect(409);
        importImage(admin, id, COPY + ", \"all_stores\": true, \"stores\": [\"nope\"]}").expect(409);
        JsonNode after = o.show(id);
        assertEquals("active", after.get("status").asText());
        assertEquals(before.get("checksum"), after.get("checksum"));
        assertEquals("cluster", after.get("stores").asText());
        assertEquals(0, tasks(o, id).size(), "a no-op copy runs no task");
        assertNotNull(Records.manifest(node.store, id));
    }

    @Test
    @DisplayName("API-090: glance-direct or web-download naming an unknown store -> 409")
    void api090_unknownStore() {
        ApiClient o = admin.member(project("o"));
        byte[] data = bytes(1000, 11);
        String id = staged(o, data);
        importImage(o, id, "{\"method\": {\"name\": \"glance-direct\"}, \"stores\": [\"nope\"]}").expect(409);
        importImage(o, id, GLANCE_DIRECT, "X-Image-Meta-Store", "nope").expect(409);
        assertEquals("uploading", o.show(id).get("status").asText());
        String q = queued(o);
        importImage(o, q, "{\"method\": {\"name\": \"web-download\", \"uri\": \"" + servedUrl(data)
                + "\"}, \"stores\": [\"nope\"]}").expect(409);
        assertEquals("queued", o.show(q).get("status").asText());
        importImage(o, id, "{\"method\": {\"name\": \"glance-direct\"}, \"stores\": [\"cluster\"]}").expect(202);
        assertHoldsData(o, awaitStatus(o, id, "active"), data);
    }
}
