package io.glint.node.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glint.node.http.ApiException;
import io.glint.node.http.Json;
import io.glint.node.http.Request;
import io.glint.node.http.Response;
import io.glint.node.http.Route.BodyMode;
import io.glint.node.http.Router;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Versions (spec §1.1-§1.2), schemas (§4.15) and the {@code /v2/info} documents (§4.16), plus the
 * version-prefix aliases: {@code /v2.N/...} is {@code /v2/...}, any other first segment answers
 * with the versions document and 300.
 */
public final class DiscoveryApi {
    /** Advertised minor versions, newest first (spec §1.1: multi-store and the cache API). */
    static final List<String> VERSIONS = List.of("v2.18", "v2.17", "v2.16", "v2.15", "v2.14", "v2.13", "v2.12", "v2.11", "v2.10", "v2.9",
            "v2.8", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0");
    private static final Set<String> ALIASES = Set.copyOf(VERSIONS);
    private static final Pattern VERSION_SEGMENT = Pattern.compile("^/(v[0-9][^/]*)(/.*)?$");
    private static final List<String> SCHEMAS = List.of("image", "images", "member", "members", "task", "tasks");
    private static final List<String> METADEF_SCHEMAS = List.of("namespace", "namespaces", "resource_type",
            "resource_types", "property", "properties", "object", "objects", "tag", "tags");

    private final ApiSettings settings;

    public DiscoveryApi(ApiSettings settings) {
        this.settings = settings;
    }

    /** Maps {@code /v2.N/x} to {@code /v2/x}; other paths are left alone. */
    public static String normalize(String path) {
        var m = VERSION_SEGMENT.matcher(path);
        if (m.matches() && ALIASES.contains(m.group(1))) return "/v2" + (m.group(2) == null ? "" : m.group(2));
        return path;
    }

    public void register(Router r) {
        r.add(HttpMethod.GET, "/", BodyMode.NONE, req -> versions(req, HttpResponseStatus.MULTIPLE_CHOICES));
        r.add(HttpMethod.GET, "/versions", BodyMode.NONE, req -> versions(req, HttpResponseStatus.OK));
        r.add(HttpMethod.GET, "/healthcheck", BodyMode.NONE,
                req -> Response.bytes(HttpResponseStatus.OK, "text/plain; charset=UTF-8", "OK".getBytes()));
        for (String s : SCHEMAS) {
            byte[] doc = resource("/glint/schemas/" + s + ".json");
            r.add(HttpMethod.GET, "/v2/schemas/" + s, BodyMode.NONE,
                    req -> Response.bytes(HttpResponseStatus.OK, "application/json", doc));
        }
        for (String s : METADEF_SCHEMAS) {
            byte[] doc = resource("/glint/schemas/metadefs-" + s + ".json");
            r.add(HttpMethod.GET, "/v2/schemas/metadefs/" + s, BodyMode.NONE,
                    req -> Response.bytes(HttpResponseStatus.OK, "application/json", doc));
        }
        r.add(HttpMethod.GET, "/v2/info/import", BodyMode.NONE, this::importInfo);
        r.add(HttpMethod.GET, "/v2/info/stores", BodyMode.NONE, this::stores);
        r.add(HttpMethod.GET, "/v2/info/stores/detail", BodyMode.NONE, this::storesDetail);
        r.add(HttpMethod.GET, "/v2/info/usage", BodyMode.NONE, this::usage);
    }

    /** Whether an unrouted path should get the versions document (its first segment is no v2 alias). */
    public static boolean isUnknownVersionPath(String path) {
        return !(path.equals("/v2") || path.startsWith("/v2/"));
    }

    public static Response versionsDocument(Request req, HttpResponseStatus status) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode arr = out.putArray("versions");
        for (int i = 0; i < VERSIONS.size(); i++) {
            ObjectNode v = arr.addObject();
            v.put("id", VERSIONS.get(i));
            v.put("status", i == 0 ? "CURRENT" : "SUPPORTED");
            ObjectNode link = v.putArray("links").addObject();
            link.put("rel", "self");
            link.put("href", req.baseUrl() + "/v2/");
        }
        return Response.json(status, out);
    }

    private Response versions(Request req, HttpResponseStatus status) {
        return versionsDocument(req, status);
    }

    private Response importInfo(Request req) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        ObjectNode m = out.putObject("import-methods");
        m.put("description", "Import methods available.");
        m.put("type", "array");
        ArrayNode v = m.putArray("value");
        settings.importMethods().forEach(v::add);
        return Response.json(HttpResponseStatus.OK, out);
    }

    /** Quota enforcement is off (spec §9: use_keystone_limits false): an empty usage object. */
    private Response usage(Request req) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.putObject("usage");
        return Response.json(HttpResponseStatus.OK, out);
    }

    private Response stores(Request req) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        ObjectNode s = out.putArray("stores").addObject();
        s.put("id", ImageJson.STORE_ID);
        s.put("description", "The replicated chunk store of this Glint cluster");
        s.put("default", "true");
        return Response.json(HttpResponseStatus.OK, out);
    }

    private Response storesDetail(Request req) {
        List<String> roles = req.identity().roles();
        if (!(roles.contains("admin") || roles.contains("service"))) {
            throw ApiException.forbidden("Only admins and services may see store details.");
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        ObjectNode s = out.putArray("stores").addObject();
        s.put("id", ImageJson.STORE_ID);
        s.put("description", "The replicated chunk store of this Glint cluster");
        s.put("default", "true");
        s.put("type", "cluster");
        s.put("weight", 0);
        s.putObject("properties");
        return Response.json(HttpResponseStatus.OK, out);
    }

    private static byte[] resource(String name) {
        try (InputStream in = DiscoveryApi.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource " + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
