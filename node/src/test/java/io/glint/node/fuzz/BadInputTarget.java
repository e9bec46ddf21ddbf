package io.glint.node.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.glint.node.TestNode;
import io.glint.node.api.ApiSettings;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;
import io.glint.registry.store.Cursor;
import io.glint.registry.store.MetaKeys;
import io.glint.registry.store.ReadView;
import io.glint.registry.store.Table;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A node with the data path, seeded through its own API with one image in each interesting state
 * (queued; active with data; deactivated; shared with an accepted and a pending member), and the
 * checks every bad request must pass (issue acceptance, fault matrix rows 25, 27-30): a 4xx among
 * the expected ones and never a 5xx; an error body in Glance's format for the Accept sent; the
 * registry unchanged; no file under the test's directory touched (a canary sits next to the chunk
 * store); and the server still answering a normal request afterwards, on the same connection when
 * it kept it open (a misread body would show up right there) or on a new one.
 */
final class BadInputTarget implements AutoCloseable {
    static final String OWNER = "fuzz-owner";
    static final String MEMBER = "fuzz-member";
    static final String PENDING = "fuzz-pending";
    static final String STRANGER = "fuzz-stranger";
    static final String PATCH_V21 = "application/openstack-images-v2.1-json-patch";
    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int ACTIVE_SIZE_BYTES = 5000;
    private static final String VOLUME = "volume";

    final Path root;
    final TestNode node;
    final String queued;
    final String active;
    final String deactivated;
    final String shared;
    final byte[] activeData;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private BadInputTarget(Path root) throws IOException, InterruptedException {
        this.root = root;
        Files.writeString(root.resolve("canary.txt"), "outside the chunk store; never read, written or removed");
        node = TestNode.withDataPath(ApiSettings.defaults(), root.resolve(VOLUME));
        activeData = new byte[ACTIVE_SIZE_BYTES];
        for (int i = 0; i < activeData.length; i++) activeData[i] = (byte) (i * 31 + 7);
        String formats = "\"disk_format\": \"raw\", \"container_format\": \"bare\"";
        queued = create("{\"name\": \"queued\", " + formats + ", \"tags\": [\"alpha\", \"beta\"], \"fuzz_prop\": \"x\"}");
        active = create("{\"name\": \"active\", " + formats + "}");
        upload(active);
        deactivated = create("{\"name\": \"deactivated\", " + formats + "}");
        upload(deactivated);
        call("POST", "/v2/images/" + deactivated + "/actions/deactivate", null, null, null, 204);
        shared = create("{\"name\": \"shared\", \"visibility\": \"shared\", " + formats + "}");
        upload(shared);
        call("POST", "/v2/images/" + shared + "/members", OWNER, "application/json", "{\"member\": \"" + MEMBER + "\"}", 200);
        call("POST", "/v2/images/" + shared + "/members", OWNER, "application/json", "{\"member\": \"" + PENDING + "\"}", 200);
        call("PUT", "/v2/images/" + shared + "/members/" + MEMBER, MEMBER, "application/json", "{\"status\": \"accepted\"}", 200);
        JsonNode d = json(call("GET", "/v2/images/" + deactivated, OWNER, null, null, 200));
        assertEquals("deactivated", d.get("status").asText());
    }

    /** Starts a seeded node in {@code root} (a fresh directory the caller removes). */
    static BadInputTarget start(Path root) {
        try {
            return new BadInputTarget(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    List<String> images() {
        return List.of(queued, active, deactivated, shared);
    }

    int port() {
        return node.server.port();
    }

    private String create(String body) {
        return json(call("POST", "/v2/images", OWNER, "application/json", body, 201)).get("id").asText();
    }

    private void upload(String id) {
        HttpRequest r = base("/v2/images/" + id + "/file", OWNER).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(activeData)).build();
        expect(r, 204);
    }

    private String call(String method, String path, String project, String contentType, String body, int status) {
        HttpRequest.Builder b = base(path, project).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (contentType != null) b.header("Content-Type", contentType);
        return expect(b.build(), status);
    }

    private HttpRequest.Builder base(String path, String project) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(20));
        if (project != null) b.header("X-Project-Id", project).header("X-User-Id", "user-" + project).header("X-Roles", "member,reader");
        return b;
    }

    private String expect(HttpRequest r, int status) {
        try {
            HttpResponse<String> resp = http.send(r, HttpResponse.BodyHandlers.ofString());
            assertEquals(status, resp.statusCode(), () -> r.method() + " " + r.uri() + ": " + resp.body());
            return resp.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static JsonNode json(String s) {
        try {
            return MAPPER.readTree(s);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + s, e);
        }
    }

    // ------------------------------------------------------------------ the checks

    /** Sends the probe and checks everything that must hold; returns the (first) answer, or null if none. */
    RawConnection.Answer check(Probe p) {
        String digestBefore = fullDigest();
        String contentBefore = contentDigest();
        Map<String, String> filesBefore = files();
        RawConnection.Answer answer;
        try (RawConnection c = RawConnection.open(port())) {
            c.send(p.bytes());
            if (p.endsOutput()) c.endOutput();
            boolean head = p.method().equals("HEAD");
            answer = c.read(head);
            if (answer == null) {
                assertTrue(p.isFramingLie(), () -> "no answer at all to " + p);
            } else {
                checkAnswer(p, answer);
                checkStillServing(p, c, answer);
            }
        } catch (IOException e) {
            throw new AssertionError("I/O error on " + p + ": " + e, e);
        }
        checkVersionsOnNewConnection(p);
        String contentAfter = contentDigest();
        assertEquals(contentBefore, contentAfter, () -> "the registry's content changed after " + p + " -> " + answer);
        if (p.registry() == Probe.Registry.UNTOUCHED) {
            assertEquals(digestBefore, fullDigest(), () -> "something was proposed to the registry for " + p
                    + " -> " + answer);
        }
        Map<String, String> filesAfter = files();
        if (p.isChunkStoreMayChange()) {
            filesBefore.keySet().removeIf(f -> f.startsWith(VOLUME + "/"));
            filesAfter.keySet().removeIf(f -> f.startsWith(VOLUME + "/"));
        }
        assertEquals(filesBefore, filesAfter, () -> "files under the test directory changed after " + p);
        return answer;
    }

    private void checkAnswer(Probe p, RawConnection.Answer a) {
        assertTrue(a.status() < 500, () -> "server error for " + p + " -> " + a);
        assertTrue(p.allowed().contains(a.status()), () -> "status " + a.status() + " not in " + p.allowed() + " for "
                + p + " -> " + a);
        checkErrorFormat(p, a);
    }

    /** Spec §6.1: the representation negotiated from Accept, and the headers every error carries. */
    void checkErrorFormat(Probe p, RawConnection.Answer a) {
        assertNotNull(a.header("x-openstack-request-id"), () -> "no request id on " + a + " for " + p);
        String statusLine = a.status() + " " + a.reason();
        String ct = a.header("content-type");
        String body = a.bodyText();
        if (p.method().equals("HEAD")) {
            assertEquals(0, a.body().length, () -> "HEAD answered with a body: " + a);
            return;
        }
        String kind = expectedKind(p.accept());
        if (p.isHeadUnread()) kind = ct == null ? "none" : ct.startsWith("application/json") ? "json" : ct.startsWith("text/html") ? "html" : "text";
        switch (kind) {
            case "json": {
                assertEquals("application/json", ct, () -> "content type of " + a + " for " + p);
                JsonNode n = json(body);
                assertTrue(n.isObject() && n.size() == 3, () -> "JSON error body must be {message, code, title}: " + body);
                assertTrue(n.path("message").isTextual(), body);
                assertEquals(statusLine, n.path("code").asText(), body);
                assertEquals(a.reason(), n.path("title").asText(), body);
                break;
            }
            case "html": {
                assertEquals("text/html; charset=UTF-8", ct, () -> "content type of " + a + " for " + p);
                assertTrue(body.startsWith("<html>") && body.contains("<title>" + statusLine + "</title>")
                        && body.contains("<h1>" + statusLine + "</h1>") && body.endsWith("</html>"),
                        () -> "HTML error body for " + p + ": " + body);
                break;
            }
            default: {
                assertEquals("text/plain; charset=UTF-8", ct, () -> "content type of " + a + " for " + p);
                assertTrue(body.startsWith(statusLine + "\n\n"), () -> "plain text error body for " + p + ": " + body);
            }
        }
        if (a.status() == 405) assertNotNull(a.header("allow"), () -> "405 without Allow: " + a);
        if (p.requiredHeader() != null) {
            assertNotNull(a.header(p.requiredHeader()), () -> "no " + p.requiredHeader() + " on " + a + " for " + p);
        }
    }

    /**
     * The body kind for an Accept header, as real Glance (WebOb) negotiates it: an absent Accept is
     * treated like an empty one (plain text), unlike spec §6.1's table (the parity check showed it).
     */
    static String expectedKind(String accept) {
        if (accept == null) return "text";
        String a = accept.toLowerCase(Locale.ROOT);
        if (a.isBlank()) return "text";
        if (a.equals("application/json") || a.startsWith("application/json,")) return "json";
        if (a.contains("*/*") || a.contains("text/html")) return "html";
        return "text";
    }

    /**
     * After an answer the connection is either closed by the server, or usable: the very next
     * answer on it must be the one to the next request (for framing lies, answers to the bytes after
     * the lie may come first, but they must be rejections too).
     */
    private void checkStillServing(Probe p, RawConnection c, RawConnection.Answer first) throws IOException {
        if (first.closes()) {
            assertTrue(c.awaitEnd(), () -> "answer said Connection: close but the connection stayed open: " + p);
            return;
        }
        boolean sent = c.send(versionsRequest());
        for (int i = 0; i < 4; i++) {
            RawConnection.Answer next = c.read(false);
            if (next == null) {
                assertTrue(p.isFramingLie() || !sent, () -> "connection dropped after a keep-alive answer to " + p);
                return;
            }
            if (next.status() == 200 && next.bodyText().contains("\"versions\"")) return;
            assertTrue(p.isFramingLie(), () -> "the request after " + p + " was misread: " + next);
            checkAnswer(p, next);
            if (next.closes()) return;
        }
        fail("no answer to GET /versions after " + p);
    }

    private void checkVersionsOnNewConnection(Probe p) {
        try (RawConnection c = RawConnection.open(port())) {
            c.send(versionsRequest());
            RawConnection.Answer a = c.read(false);
            assertNotNull(a, () -> "no answer to GET /versions on a new connection after " + p);
            assertEquals(200, a.status(), () -> "GET /versions after " + p + " -> " + a);
        } catch (IOException e) {
            throw new AssertionError("GET /versions on a new connection after " + p + ": " + e, e);
        }
    }

    private static byte[] versionsRequest() {
        return "GET /versions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Query.Digest: applied index and the SHA-256 of every table. */
    String fullDigest() {
        Result r = node.registry.readLocal(new Query.Digest());
        Payload.Digest d = r.value(Payload.Digest.class);
        return d.appliedIndex() + "/" + d.sha256Hex();
    }

    /**
     * SHA-256 over every table except the applied index: what a request rejected by the state
     * machine (its log entry applied, nothing written) must leave unchanged.
     */
    String contentDigest() {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        try (ReadView v = node.store.openReadView()) {
            for (Table t : Table.values()) {
                md.update((byte) t.ordinal());
                try (Cursor c = v.scan(t, null, null, false)) {
                    while (c.next()) {
                        if (t == Table.META && Arrays.equals(c.key(), MetaKeys.APPLIED)) continue;
                        md.update(intBytes(c.key().length));
                        md.update(c.key());
                        md.update(intBytes(c.value().length));
                        md.update(c.value());
                    }
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static byte[] intBytes(int n) {
        return new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
    }

    /** Every regular file under the test directory with its size and modification time. */
    Map<String, String> files() {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                if (a.isRegularFile()) out.put(root.relativize(f).toString(), a.size() + "@" + a.lastModifiedTime().toMillis());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    @Override
    public void close() {
        node.close();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertFalse(Files.exists(root));
    }
}
