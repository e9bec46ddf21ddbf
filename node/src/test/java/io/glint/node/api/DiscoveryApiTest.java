package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.glint.registry.model.Formats;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.glint.node.api.ApiClient.MAPPER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Versions document, version prefixes, schemas and /v2/info (spec §1.1-§1.2, §4.15, §4.16). */
class DiscoveryApiTest extends ApiTestBase {

    @Test
    @DisplayName("API-001: GET / is the versions document with 300")
    void api001_rootIs300() {
        ApiClient.Resp r = admin.get("/").expect(300);
        assertJsonContentType(r);
        assertTrue(r.json().get("versions").size() > 0);
    }

    @Test
    @DisplayName("API-002: GET /versions is the same document with 200")
    void api002_versionsIs200() {
        ApiClient.Resp root = admin.get("/").expect(300);
        ApiClient.Resp versions = admin.get("/versions").expect(200);
        assertJsonContentType(versions);
        assertEquals(root.json(), versions.json());
    }

    @Test
    @DisplayName("API-003: ids v2.N, one CURRENT first, others SUPPORTED, one absolute self link to /v2/")
    void api003_versionEntries() {
        JsonNode versions = admin.get("/versions").expect(200).json().get("versions");
        int current = 0;
        for (int i = 0; i < versions.size(); i++) {
            JsonNode v = versions.get(i);
            assertTrue(v.get("id").asText().matches("v2\\.[0-9]+"), v.toString());
            String status = v.get("status").asText();
            if (i == 0) assertEquals("CURRENT", status);
            else assertEquals("SUPPORTED", status);
            if (status.equals("CURRENT")) current++;
            assertEquals(1, v.get("links").size());
            assertEquals("self", v.get("links").get(0).get("rel").asText());
            assertEquals(node.url() + "/v2/", v.get("links").get(0).get("href").asText());
        }
        assertEquals(1, current);
    }

    @Test
    @DisplayName("API-003: the self href honours X-Forwarded-Proto / X-Forwarded-Host")
    void api003_forwardedHeaders() {
        JsonNode versions = admin.get("/versions", "X-Forwarded-Proto", "https",
                "X-Forwarded-Host", "images.example.com:8443").expect(200).json().get("versions");
        assertEquals("https://images.example.com:8443/v2/", versions.get(0).get("links").get(0).get("href").asText());
    }

    @Test
    @DisplayName("API-004: advertises v2.18 (CURRENT: the cache API is served), v2.17..v2.0, newest first")
    void api004_advertisedVersions() {
        List<String> ids = new ArrayList<>();
        for (JsonNode v : admin.get("/versions").expect(200).json().get("versions")) ids.add(v.get("id").asText());
        assertEquals("CURRENT", admin.get("/versions").expect(200).json().get("versions").get(0).get("status").asText());
        assertEquals(List.of("v2.18", "v2.17", "v2.16", "v2.15", "v2.14", "v2.13", "v2.12", "v2.11", "v2.10", "v2.9", "v2.8", "v2.7", "v2.6",
                "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0"), ids);
    }

    @Test
    @DisplayName("API-005: unknown version prefixes answer with the versions document and 300")
    void api005_unknownVersionPrefix() {
        JsonNode doc = admin.get("/versions").expect(200).json();
        for (String path : List.of("/v1/images", "/v1", "/v3/anything/else", "/v2.19/images", "/v2.99/images")) {
            ApiClient.Resp r = admin.get(path);
            assertEquals(300, r.status(), path + ": " + r.body());
            assertEquals(doc, r.json(), path);
        }
    }

    @Test
    @DisplayName("API-006: /v2.N/... aliases the v2 API")
    void api006_versionAliases() {
        admin.get("/v2.1/images").expect(200);
        assertTrue(admin.get("/v2.0/images").expect(200).json().has("images"));
        assertEquals(admin.get("/v2/schemas/image").expect(200).json(),
                admin.get("/v2.17/schemas/image").expect(200).json());
        String id = admin.create("{}").get("id").asText();
        assertEquals(id, admin.get("/v2.9/images/" + id).expect(200).json().get("id").asText());
        admin.get("/v2.1/images/not-a-uuid").expect(404);
    }

    // --- schemas --------------------------------------------------------------------------------

    private static Set<String> types(JsonNode prop) {
        JsonNode t = prop.get("type");
        if (t.isTextual()) return Set.of(t.asText());
        Set<String> out = new java.util.HashSet<>();
        t.forEach(x -> out.add(x.asText()));
        return out;
    }

    @Test
    @DisplayName("API-112: image schema S1-S6: additionalProperties string, types, nullable unions, enums, is_base")
    void api112_imageSchemaStructure() {
        ApiClient.Resp r = admin.get("/v2/schemas/image").expect(200);
        assertJsonContentType(r);
        JsonNode s = r.json();
        assertEquals("image", s.get("name").asText());
        assertEquals(MAPPER.createObjectNode().put("type", "string"), s.get("additionalProperties"), "S1");
        assertFalse(s.has("required"), "S6: no required list by default");
        List<String> rels = new ArrayList<>();
        for (JsonNode l : s.get("links")) rels.add(l.get("rel").asText() + "=" + l.get("href").asText());
        assertEquals(List.of("self={self}", "enclosure={file}", "describedby={schema}"), rels);
        JsonNode p = s.get("properties");
        Map<String, Set<String>> base = Map.ofEntries(
                Map.entry("id", Set.of("string")), Map.entry("name", Set.of("null", "string")),
                Map.entry("status", Set.of("string")), Map.entry("visibility", Set.of("string")),
                Map.entry("protected", Set.of("boolean")), Map.entry("os_hidden", Set.of("boolean")),
                Map.entry("checksum", Set.of("null", "string")), Map.entry("os_hash_algo", Set.of("null", "string")),
                Map.entry("os_hash_value", Set.of("null", "string")), Map.entry("owner", Set.of("null", "string")),
                Map.entry("size", Set.of("null", "integer")), Map.entry("virtual_size", Set.of("null", "integer")),
                Map.entry("container_format", Set.of("null", "string")),
                Map.entry("disk_format", Set.of("null", "string")), Map.entry("created_at", Set.of("string")),
                Map.entry("updated_at", Set.of("string")), Map.entry("tags", Set.of("array")),
                Map.entry("direct_url", Set.of("string")), Map.entry("min_ram", Set.of("integer")),
                Map.entry("min_disk", Set.of("integer")), Map.entry("self", Set.of("string")),
                Map.entry("file", Set.of("string")), Map.entry("stores", Set.of("string")),
                Map.entry("schema", Set.of("string")), Map.entry("locations", Set.of("array")));
        for (Map.Entry<String, Set<String>> e : base.entrySet()) {
            JsonNode prop = p.get(e.getKey());
            assertNotNull(prop, "S2: base property " + e.getKey());
            assertEquals(e.getValue(), types(prop), "S2: type of " + e.getKey());
            assertFalse(prop.has("is_base"), "S4: base property " + e.getKey() + " carries is_base");
        }
        assertEquals(255, p.get("name").get("maxLength").asInt());
        assertEquals(255, p.get("tags").get("items").get("maxLength").asInt());
        assertEquals("string", p.get("tags").get("items").get("type").asText());
        assertEquals(Formats.DISK_FORMATS.size() + 1, p.get("disk_format").get("enum").size());
        List<String> disk = new ArrayList<>();
        p.get("disk_format").get("enum").forEach(x -> disk.add(x.isNull() ? null : x.asText()));
        assertNull(disk.get(0), "S2: disk_format enum starts with null");
        assertEquals(Formats.DISK_FORMATS, disk.subList(1, disk.size()), "S5");
        List<String> container = new ArrayList<>();
        p.get("container_format").get("enum").forEach(x -> container.add(x.isNull() ? null : x.asText()));
        assertNull(container.get(0), "S2: container_format enum starts with null");
        assertEquals(Formats.CONTAINER_FORMATS, container.subList(1, container.size()), "S5");
        Set<String> statuses = new java.util.HashSet<>();
        p.get("status").get("enum").forEach(x -> statuses.add(x.asText()));
        assertEquals(Set.of("queued", "saving", "active", "killed", "deleted", "uploading", "importing",
                "pending_delete", "deactivated"), statuses);
        Set<String> vis = new java.util.HashSet<>();
        p.get("visibility").get("enum").forEach(x -> vis.add(x.asText()));
        assertEquals(Set.of("public", "private", "shared", "community"), vis);
        JsonNode locItem = p.get("locations").get("items");
        assertEquals(MAPPER.valueToTree(List.of("url", "metadata")), locItem.get("required"));
        int custom = 0;
        for (Iterator<String> it = p.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (base.containsKey(k)) continue;
            custom++;
            assertTrue(p.get(k).has("is_base") && !p.get(k).get("is_base").asBoolean(), "S3: " + k);
        }
        assertEquals(9, custom, "the nine upstream custom properties");
        assertEquals(MAPPER.valueToTree(List.of("on_image_deletion", "do_not_delete")),
                p.get("cinder_encryption_key_deletion_policy").get("enum"));
        assertTrue(types(p.get("kernel_id")).contains("null"));
    }

    @Test
    @DisplayName("API-114: /v2/schemas/images wraps the image schema, with first/next/describedby links")
    void api114_imagesSchema() {
        JsonNode image = admin.get("/v2/schemas/image").expect(200).json();
        JsonNode s = admin.get("/v2/schemas/images").expect(200).json();
        assertEquals("images", s.get("name").asText());
        assertEquals("array", s.get("properties").get("images").get("type").asText());
        assertEquals(image, s.get("properties").get("images").get("items"));
        for (String k : List.of("first", "next", "schema")) {
            assertEquals("string", s.get("properties").get(k).get("type").asText(), k);
        }
        List<String> rels = new ArrayList<>();
        for (JsonNode l : s.get("links")) rels.add(l.get("rel").asText() + "=" + l.get("href").asText());
        assertEquals(List.of("first={first}", "next={next}", "describedby={schema}"), rels);
    }

    @Test
    @DisplayName("API-114: /v2/schemas/member and /members")
    void api114_memberSchemas() {
        JsonNode m = admin.get("/v2/schemas/member").expect(200).json();
        assertEquals("member", m.get("name").asText());
        JsonNode p = m.get("properties");
        for (String k : List.of("member_id", "image_id", "created_at", "updated_at", "status", "schema")) {
            assertEquals("string", p.get(k).get("type").asText(), k);
        }
        assertEquals(MAPPER.valueToTree(List.of("pending", "accepted", "rejected")), p.get("status").get("enum"));
        assertTrue(p.get("image_id").has("pattern"));
        assertFalse(m.has("additionalProperties"));
        assertFalse(m.has("links"));
        JsonNode ms = admin.get("/v2/schemas/members").expect(200).json();
        assertEquals("members", ms.get("name").asText());
        assertEquals(m, ms.get("properties").get("members").get("items"));
        assertEquals("string", ms.get("properties").get("schema").get("type").asText());
        assertEquals("describedby", ms.get("links").get(0).get("rel").asText());
        assertEquals("{schema}", ms.get("links").get(0).get("href").asText());
    }

    @Test
    @DisplayName("API-115: task and metadef schemas are served")
    void api115_otherSchemas() {
        for (String s : List.of("task", "tasks", "metadefs/namespace", "metadefs/namespaces", "metadefs/resource_type",
                "metadefs/resource_types", "metadefs/property", "metadefs/properties", "metadefs/object",
                "metadefs/objects", "metadefs/tag", "metadefs/tags")) {
            ApiClient.Resp r = admin.get("/v2/schemas/" + s).expect(200);
            assertJsonContentType(r);
            assertTrue(r.json().isObject(), s);
        }
        admin.get("/v2/schemas/nope").expect(404);
    }

    // --- info --------------------------------------------------------------------------------

    @Test
    @DisplayName("API-098: /v2/info/import lists the enabled methods")
    void api098_importInfo() {
        JsonNode m = admin.get("/v2/info/import").expect(200).json().get("import-methods");
        assertEquals("array", m.get("type").asText());
        assertTrue(m.get("description").isTextual());
        assertEquals(MAPPER.valueToTree(List.of("glance-direct", "web-download", "copy-image")), m.get("value"));
        admin.member(project("p")).get("/v2/info/import").expect(200);
    }

    @Test
    @DisplayName("API-099: /v2/info/stores for anyone; /detail for admin and service only (403)")
    void api099_stores() {
        JsonNode stores = admin.member(project("p")).get("/v2/info/stores").expect(200).json().get("stores");
        assertEquals(1, stores.size());
        JsonNode s = stores.get(0);
        assertEquals("cluster", s.get("id").asText());
        assertEquals("true", s.get("default").asText());
        assertTrue(s.get("default").isTextual(), "default is the string \"true\"");
        JsonNode detail = admin.get("/v2/info/stores/detail").expect(200).json().get("stores").get(0);
        assertEquals("cluster", detail.get("id").asText());
        assertTrue(detail.get("type").isTextual());
        assertTrue(detail.get("weight").isIntegralNumber());
        assertTrue(detail.get("properties").isObject());
        admin.member(project("p")).get("/v2/info/stores/detail").expect(403);
        admin.as(project("svc"), "service").get("/v2/info/stores/detail").expect(200);
    }

    @Test
    @DisplayName("API-100: /v2/info/usage without quota enforcement is {\"usage\": {}}")
    void api100_usage() {
        JsonNode u = admin.member(project("p")).get("/v2/info/usage").expect(200).json();
        assertEquals(MAPPER.createObjectNode().set("usage", MAPPER.createObjectNode()), u);
    }

    @Test
    @DisplayName("healthcheck answers 200 OK")
    void healthcheck() {
        assertEquals("OK", admin.get("/healthcheck").expect(200).body());
    }
}
