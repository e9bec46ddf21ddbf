package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A small HTTP/1.1 client for the API tests: sends a request as a given identity (the noauth
 * headers X-Project-Id / X-User-Id / X-Roles) and gives back status, headers and body. It uses
 * java.net.http, which cannot send restricted headers (Content-Length, Connection, ...): tests
 * needing raw or malformed requests use {@link RawHttp}.
 */
final class ApiClient {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String PATCH_V21 = "application/openstack-images-v2.1-json-patch";
    static final String PATCH_V20 = "application/openstack-images-v2.0-json-patch";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final HttpClient http;
    final String baseUrl;
    /** identity headers, name/value pairs; empty = the noauth default admin */
    private final List<String> identity;

    private ApiClient(HttpClient http, String baseUrl, List<String> identity) {
        this.http = http;
        this.baseUrl = baseUrl;
        this.identity = identity;
    }

    static ApiClient of(String baseUrl) {
        HttpClient h = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
        return new ApiClient(h, baseUrl, List.of());
    }

    /** The same client acting as a non-admin member of {@code project}. */
    ApiClient member(String project) {
        return as(project, "member,reader");
    }

    /** The same client acting as {@code project} with the given comma-separated roles. */
    ApiClient as(String project, String roles) {
        return new ApiClient(http, baseUrl, List.of("X-Project-Id", project, "X-User-Id", "user-" + project,
                "X-Roles", roles));
    }

    /** The response of one request. */
    record Resp(int status, java.net.http.HttpHeaders headers, byte[] bodyBytes) {
        String body() {
            return new String(bodyBytes, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return MAPPER.readTree(bodyBytes);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body(), e);
            }
        }

        Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        /** Asserts the status, showing the body when it differs. */
        Resp expect(int expected) {
            if (status != expected) fail("expected HTTP " + expected + " but got " + status + ": " + body());
            return this;
        }
    }

    Resp get(String path, String... headers) {
        return send("GET", path, null, headers);
    }

    Resp delete(String path, String... headers) {
        return send("DELETE", path, null, headers);
    }

    Resp post(String path, String jsonBody, String... headers) {
        return send("POST", path, jsonBody, withContentType("application/json", headers));
    }

    Resp put(String path, String jsonBody, String... headers) {
        return send("PUT", path, jsonBody, withContentType("application/json", headers));
    }

    Resp patch(String path, String jsonBody) {
        return send("PATCH", path, jsonBody, "Content-Type", PATCH_V21);
    }

    Resp patch(String path, String contentType, String jsonBody) {
        return send("PATCH", path, jsonBody, "Content-Type", contentType);
    }

    private static String[] withContentType(String ct, String[] headers) {
        for (int i = 0; i < headers.length; i += 2) {
            if (headers[i].equalsIgnoreCase("Content-Type")) return headers;
        }
        String[] out = new String[headers.length + 2];
        out[0] = "Content-Type";
        out[1] = ct;
        System.arraycopy(headers, 0, out, 2, headers.length);
        return out;
    }

    /** Any method, optional body (sent with Content-Length), extra header name/value pairs. */
    Resp send(String method, String path, String body, String... headers) {
        return exchange(method, path, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8), headers);
    }

    /**
     * Any method with a binary body: sent with Content-Length, or, when {@code chunked}, from a
     * stream of unknown length (java.net.http then uses chunked transfer encoding). No Content-Type
     * is added: pass it in {@code headers}.
     */
    Resp sendBytes(String method, String path, byte[] body, boolean chunked, String... headers) {
        HttpRequest.BodyPublisher publisher = chunked
                ? HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))
                : HttpRequest.BodyPublishers.ofByteArray(body);
        return exchange(method, path, publisher, headers);
    }

    /** Sends one request as this client's identity plus {@code headers} (name/value pairs). */
    private Resp exchange(String method, String path, HttpRequest.BodyPublisher publisher, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(TIMEOUT)
                .method(method, publisher);
        for (int i = 0; i < identity.size(); i += 2) b.header(identity.get(i), identity.get(i + 1));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Resp(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The identity headers of this client as name/value pairs (for raw requests). */
    List<String> identityHeaders() {
        return identity;
    }

    // --- shortcuts -------------------------------------------------------------------------

    /** Creates an image from a JSON body, expecting 201; returns the image JSON. */
    ObjectNode create(String jsonBody) {
        return (ObjectNode) post("/v2/images", jsonBody).expect(201).json();
    }

    ObjectNode show(String id) {
        return (ObjectNode) get("/v2/images/" + id).expect(200).json();
    }

    /** The ids of a list response's images, in order. */
    static List<String> ids(JsonNode listBody) {
        List<String> out = new ArrayList<>();
        for (JsonNode i : listBody.get("images")) out.add(i.get("id").asText());
        return out;
    }

    /** Lists with the given query (without '?'), expecting 200; returns the ids of one page. */
    List<String> listIds(String query) {
        return ids(get("/v2/images" + (query.isEmpty() ? "" : "?" + query)).expect(200).json());
    }

    static String json(Object... kv) {
        ObjectNode o = MAPPER.createObjectNode();
        for (int i = 0; i < kv.length; i += 2) o.set((String) kv[i], MAPPER.valueToTree(kv[i + 1]));
        return o.toString();
    }

    static void assertStatus(int expected, Resp r) {
        assertEquals(expected, r.status(), () -> "body: " + r.body());
    }
}
