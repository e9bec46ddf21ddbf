package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Common HTTP rules (spec §1.4), identities in noauth mode (§5.1) and error bodies (§6.1). */
class HttpRulesTest extends ApiTestBase {
    private static final String UUID_RE = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    private static Set<String> allow(ApiClient.Resp r) {
        String a = r.header("Allow").orElseThrow(() -> new AssertionError("no Allow header: " + r.headers()));
        Set<String> out = new TreeSet<>();
        for (String m : a.split(",")) out.add(m.trim());
        return out;
    }

    @Test
    @DisplayName("API-007: unknown paths under /v2 are 404")
    void api007_unknownPath404() {
        for (String p : List.of("/v2/nope", "/v2/images/" + uuid() + "/nope", "/v2/info", "/v2/schemas",
                "/v2/images/" + uuid() + "/members/a/b")) {
            assertEquals(404, admin.get(p).status(), p);
        }
    }

    @Test
    @DisplayName("API-007: a known path with a wrong method is 405 with Allow")
    void api007_wrongMethod405WithAllow() {
        ApiClient.Resp r = admin.send("PUT", "/v2/images", null);
        assertEquals(405, r.status());
        assertEquals(Set.of("GET", "POST"), allow(r));
        String id = uuid();
        r = admin.send("POST", "/v2/images/" + id, "{}", "Content-Type", "application/json");
        assertEquals(405, r.status());
        assertEquals(Set.of("GET", "PATCH", "DELETE"), allow(r));
        r = admin.send("DELETE", "/v2/schemas/image", null);
        assertEquals(405, r.status());
        assertEquals(Set.of("GET"), allow(r));
        r = admin.send("GET", "/v2/images/" + id + "/actions/deactivate", null);
        assertEquals(405, r.status());
        assertEquals(Set.of("POST"), allow(r));
        r = admin.send("POST", "/v2/images/" + id + "/tags/t", null);
        assertEquals(405, r.status());
        assertEquals(Set.of("PUT", "DELETE"), allow(r));
    }

    @Test
    @DisplayName("API-007: an unknown HTTP method on an unmatched route is 501")
    void api007_unknownMethod501() {
        RawHttp.Resp r = RawHttp.exchange(node.server.port(),
                "FROB /v2/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertEquals(501, r.status());
    }

    @Test
    @DisplayName("pipelined requests on one connection are all answered, in order")
    void pipelinedRequestsAnsweredInOrder() {
        String body = "{\"name\": \"pipelined\"}";
        List<RawHttp.Resp> rs = RawHttp.pipeline(node.server.port(),
                "GET /versions HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "POST /v2/images HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body
                        + "GET /v2/images/" + uuid() + " HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET /v2/images/" + uuid() + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
                        + "GET /healthcheck HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 4);
        assertEquals(List.of(200, 201, 404, 400), rs.stream().map(RawHttp.Resp::status).toList());
        assertTrue(rs.get(1).body().contains("\"pipelined\""), rs.get(1).body());
    }

    @Test
    @DisplayName("API-008: a body on a body-less endpoint is 400 (Content-Length or chunked)")
    void api008_bodyOnBodylessEndpoint400() {
        String id = admin.create("{}").get("id").asText();
        List<String[]> calls = List.of(
                new String[] {"GET", "/v2/images/" + id}, new String[] {"DELETE", "/v2/images/" + id},
                new String[] {"GET", "/v2/images"}, new String[] {"GET", "/v2/schemas/image"},
                new String[] {"GET", "/v2/info/import"}, new String[] {"GET", "/v2/images/" + id + "/members"},
                new String[] {"PUT", "/v2/images/" + id + "/tags/t"}, new String[] {"DELETE", "/v2/images/" + id + "/tags/t"},
                new String[] {"POST", "/v2/images/" + id + "/actions/deactivate"},
                new String[] {"POST", "/v2/images/" + id + "/actions/reactivate"},
                new String[] {"GET", "/v2/images/" + id + "/tasks"});
        for (String[] c : calls) {
            ApiClient.Resp r = admin.send(c[0], c[1], "{\"x\": 1}", "Content-Type", "application/json");
            assertEquals(400, r.status(), c[0] + " " + c[1] + ": " + r.body());
        }
        RawHttp.Resp chunked = RawHttp.exchange(node.server.port(), "GET /v2/images/" + id + " HTTP/1.1\r\n"
                + "Host: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
        assertEquals(400, chunked.status());
        // nothing happened: the image is still there, untagged and queued
        JsonNode img = admin.show(id);
        assertEquals("queued", img.get("status").asText());
        assertEquals(0, img.get("tags").size());
        // an empty body (Content-Length: 0) is no body
        admin.send("GET", "/v2/images/" + id, "").expect(200);
    }

    @Test
    @DisplayName("API-009: every response carries x-openstack-request-id: req-<uuid>")
    void api009_requestIdGenerated() {
        for (ApiClient.Resp r : List.of(admin.get("/"), admin.get("/versions"), admin.get("/v2/images"),
                admin.get("/v2/nope"), admin.send("PUT", "/v2/images", null), admin.post("/v2/images", "{bad"))) {
            String id = r.header("x-openstack-request-id").orElseThrow(() -> new AssertionError("no request id"));
            assertTrue(id.matches("req-" + UUID_RE), id);
        }
        assertFalse(admin.get("/v2/images").header("x-openstack-request-id").get()
                .equals(admin.get("/v2/images").header("x-openstack-request-id").get()), "fresh per request");
    }

    @Test
    @DisplayName("API-009: a caller's request id is propagated, with req- added if missing; >64 chars -> 431")
    void api009_requestIdPropagated() {
        assertEquals("req-abc", admin.get("/v2/images", "X-OpenStack-Request-ID", "abc")
                .header("x-openstack-request-id").orElseThrow());
        assertEquals("req-7d9f", admin.get("/v2/images", "X-OpenStack-Request-ID", "req-7d9f")
                .header("x-openstack-request-id").orElseThrow());
        assertEquals("req-e1", admin.get("/v2/nope", "X-OpenStack-Request-ID", "e1")
                .header("x-openstack-request-id").orElseThrow(), "errors carry it too");
        String sixtyFour = "x".repeat(64);
        admin.get("/v2/images", "X-OpenStack-Request-ID", sixtyFour).expect(200);
        ApiClient.Resp tooLong = admin.get("/v2/images", "X-OpenStack-Request-ID", "x".repeat(65));
        assertEquals(431, tooLong.status());
        assertTrue(tooLong.header("x-openstack-request-id").orElseThrow().startsWith("req-"));
    }

    @Test
    @DisplayName("API-011: without identity headers a request is an admin (of the default project)")
    void api011_noauthIsAdmin() {
        ApiClient p1 = admin.member(project("p1"));
        String foreign = p1.create(ApiClient.json("visibility", "private")).get("id").asText();
        JsonNode seen = admin.show(foreign);
        assertEquals("private", seen.get("visibility").asText());
        JsonNode mine = admin.create(ApiClient.json("visibility", "public", "owner", "someone-else"));
        assertEquals("someone-else", mine.get("owner").asText());
        assertEquals("admin-project", admin.create("{}").get("owner").asText());
        admin.send("PATCH", "/v2/images/" + foreign, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"by admin\"}]",
                "Content-Type", ApiClient.PATCH_V21).expect(200);
    }

    @Test
    @DisplayName("API-012: X-Project-Id / X-Roles make the identity; role admin is case-insensitive")
    void api012_headerIdentities() {
        String p1 = project("p1");
        ApiClient member = admin.member(p1);
        JsonNode img = member.create("{}");
        assertEquals(p1, img.get("owner").asText());
        assertEquals(403, member.post("/v2/images", ApiClient.json("visibility", "public")).status());
        assertEquals(403, member.post("/v2/images", ApiClient.json("owner", "other")).status());
        ApiClient upperAdmin = admin.as(p1, "Member,ADMIN");
        assertEquals("public", upperAdmin.create(ApiClient.json("visibility", "public")).get("visibility").asText());
        // a stranger does not see p1's image; an admin of another project does
        String p2 = project("p2");
        admin.member(p2).get("/v2/images/" + img.get("id").asText()).expect(404);
        admin.as(p2, "admin").get("/v2/images/" + img.get("id").asText()).expect(200);
    }

    // --- API-117 error bodies ---------------------------------------------------------------

    @Test
    @DisplayName("API-117: Accept */* (what glanceclient sends) -> text/html error page")
    void api117_htmlByDefault() {
        String missing = "/v2/images/" + uuid();
        for (ApiClient.Resp r : List.of(admin.get(missing, "Accept", "*/*"),
                admin.get(missing, "Accept", "text/html, application/json"))) {
            assertEquals(404, r.status());
            assertEquals("text/html; charset=UTF-8", r.header("Content-Type").orElse(""));
            assertTrue(r.body().contains("<title>404 Not Found</title>"), r.body());
            assertTrue(r.body().contains("<h1>404 Not Found</h1>"), r.body());
        }
        RawHttp.Resp raw = RawHttp.exchange(node.server.port(),
                "GET " + missing + " HTTP/1.1\r\nHost: x\r\nAccept: */*\r\nConnection: close\r\n\r\n");
        assertEquals("text/html; charset=UTF-8", raw.header("Content-Type"));
    }

    @Test
    @DisplayName("API-117: no Accept at all -> text/plain, as real Glance (WebOb) answers")
    void api117_plainTextWithoutAccept() {
        RawHttp.Resp raw = RawHttp.exchange(node.server.port(),
                "GET /v2/images/" + uuid() + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertEquals(404, raw.status());
        assertEquals("text/plain; charset=UTF-8", raw.header("Content-Type"));
        assertTrue(raw.body().startsWith("404 Not Found\n\n"), raw.body());
    }

    @Test
    @DisplayName("API-117: Accept application/json -> {message, code: \"404 Not Found\", title}")
    void api117_jsonWhenPreferred() {
        String id = uuid();
        for (String accept : List.of("application/json", "application/json, text/html;q=0.5")) {
            ApiClient.Resp r = admin.get("/v2/images/" + id, "Accept", accept);
            assertEquals(404, r.status());
            assertEquals("application/json", r.header("Content-Type").orElse(""));
            JsonNode b = r.json();
            assertEquals(Set.of("message", "code", "title"), fieldNames(b));
            assertEquals("404 Not Found", b.get("code").asText());
            assertEquals("Not Found", b.get("title").asText());
            assertTrue(b.get("message").asText().startsWith("The resource could not be found.<br /><br />\n"),
                    b.toString());
            assertTrue(b.get("message").asText().contains(id), b.toString());
        }
        ApiClient.Resp html = admin.get("/v2/images/" + id, "Accept", "application/json;q=0.5, text/html");
        assertEquals("text/html; charset=UTF-8", html.header("Content-Type").orElse(""));
        JsonNode conflict = admin.post("/v2/images", "[1]", "Accept", "application/json").expect(400).json();
        assertEquals("400 Bad Request", conflict.get("code").asText());
    }

    @Test
    @DisplayName("API-117: Accept text/plain or an empty Accept -> text/plain")
    void api117_plainTextOtherwise() {
        ApiClient.Resp r = admin.get("/v2/nope", "Accept", "text/plain");
        assertEquals(404, r.status());
        assertEquals("text/plain; charset=UTF-8", r.header("Content-Type").orElse(""));
        assertEquals("404 Not Found\n\nThe resource could not be found.\n\n The resource could not be found.\n\n",
                r.body());
        RawHttp.Resp raw = RawHttp.exchange(node.server.port(),
                "GET /v2/nope HTTP/1.1\r\nHost: x\r\nAccept:\r\nConnection: close\r\n\r\n");
        assertEquals(404, raw.status());
        assertEquals("text/plain; charset=UTF-8", raw.header("Content-Type"));
        assertTrue(raw.body().startsWith("404 Not Found\n\n"), raw.body());
    }

    @Test
    @DisplayName("API-117/118: 405 and 415 error responses carry Allow / Accept-Patch in every representation")
    void api117_headersOnErrors() {
        ApiClient.Resp r = admin.send("PUT", "/v2/images", null, "Accept", "application/json");
        assertEquals(405, r.status());
        assertEquals("405 Method Not Allowed", r.json().get("code").asText());
        assertTrue(r.header("Allow").isPresent());
        String id = admin.create("{}").get("id").asText();
        ApiClient.Resp p = admin.send("PATCH", "/v2/images/" + id, "[]", "Content-Type", "application/json",
                "Accept", "text/plain");
        assertEquals(415, p.status());
        assertTrue(p.body().startsWith("415 Unsupported Media Type"), p.body());
        assertEquals("application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch",
                p.header("Accept-Patch").orElse(""));
    }

    @Test
    @DisplayName("API-118: malformed JSON, non-object bodies and missing bodies are 400")
    void api118_malformedBodies400() {
        for (String body : List.of("{bad", "", "3", "\"s\"", "null", "{\"a\":1}{\"b\":2}", "{\"a\":1,\"a\":2}")) {
            ApiClient.Resp r = admin.post("/v2/images", body);
            assertEquals(400, r.status(), "body " + body + ": " + r.body());
        }
        // JSON bodies are parsed whatever the Content-Type says
        admin.post("/v2/images", "{\"name\": \"typed as text\"}", "Content-Type", "text/plain").expect(201);
        admin.send("POST", "/v2/images", "{}").expect(201);
    }

    private static Set<String> fieldNames(JsonNode n) {
        Set<String> out = new TreeSet<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
