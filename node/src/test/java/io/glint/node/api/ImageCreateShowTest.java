package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static io.glint.node.api.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Create and show (spec §2, §4.1, §4.2, §5.6). */
class ImageCreateShowTest extends ApiTestBase {
    private static final Set<String> CORE = Set.of("id", "name", "status", "visibility", "protected", "os_hidden",
            "checksum", "os_hash_algo", "os_hash_value", "owner", "size", "virtual_size", "min_disk", "min_ram",
            "container_format", "disk_format", "created_at", "updated_at", "tags", "self", "file", "schema");

    private static Set<String> keys(JsonNode n) {
        Set<String> out = new TreeSet<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test
    @DisplayName("API-015/019: every core field present (null when unset); no locations, direct_url, stores")
    void api015_everyCoreFieldPresent() {
        ObjectNode img = create(admin, "{}");
        assertEquals(CORE, keys(img));
        for (String k : List.of("name", "checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size",
                "container_format", "disk_format")) {
            assertTrue(img.get(k).isNull(), k + " is " + img.get(k));
        }
        assertEquals(CORE, keys(admin.show(img.get("id").asText())));
    }

    @Test
    @DisplayName("API-016: self, file and schema links")
    void api016_links() {
        ObjectNode img = create(admin, "{}");
        String id = img.get("id").asText();
        assertEquals("/v2/images/" + id, img.get("self").asText());
        assertEquals("/v2/images/" + id + "/file", img.get("file").asText());
        assertEquals("/v2/schemas/image", img.get("schema").asText());
    }

    @Test
    @DisplayName("API-017: timestamps are UTC YYYY-MM-DDThh:mm:ssZ; updated_at = created_at at create")
    void api017_timestamps() {
        Instant before = Instant.now().minusSeconds(1);
        ObjectNode img = create(admin, "{}");
        String created = img.get("created_at").asText();
        assertTrue(created.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z"), created);
        assertEquals(created, img.get("updated_at").asText());
        Instant t = Instant.parse(created);
        assertFalse(t.isBefore(before.minus(Duration.ofSeconds(1))), created + " vs " + before);
        assertFalse(t.isAfter(Instant.now().plusSeconds(1)), created);
    }

    @Test
    @DisplayName("API-018: extra properties are top-level strings, kept as sent (UTF-8 as is)")
    void api018_extraProperties() {
        ObjectNode img = create(admin, json("os_distro", "ubuntu", "hw_disk_bus", "virtio", "note", "žluťoučký kůň",
                "empty", "", "owner_specified.openstack.md5", "abc"));
        String id = img.get("id").asText();
        for (JsonNode shown : List.of(img, admin.show(id))) {
            assertEquals("ubuntu", shown.get("os_distro").asText());
            assertEquals("virtio", shown.get("hw_disk_bus").asText());
            assertEquals("žluťoučký kůň", shown.get("note").asText());
            assertEquals("", shown.get("empty").asText());
            assertEquals("abc", shown.get("owner_specified.openstack.md5").asText());
            assertTrue(shown.get("note").isTextual());
        }
        String raw = admin.get("/v2/images/" + id).body();
        assertTrue(raw.contains("žluťoučký kůň"), "non-ASCII emitted as is: " + raw);
    }

    @Test
    @DisplayName("API-019: stores appears once the image has data")
    void api019_storesWithData() {
        String id = create(admin, json("disk_format", "raw", "container_format", "bare")).get("id").asText();
        activate(id);
        JsonNode img = admin.show(id);
        assertEquals("cluster", img.get("stores").asText());
        assertFalse(img.has("locations"));
        assertFalse(img.has("direct_url"));
        assertValidImage(img);
    }

    @Test
    @DisplayName("API-021: create defaults")
    void api021_createDefaults() {
        String p = project("p");
        ObjectNode img = create(admin.member(p), "{}");
        assertEquals("queued", img.get("status").asText());
        assertEquals("shared", img.get("visibility").asText());
        assertFalse(img.get("protected").asBoolean());
        assertTrue(img.get("protected").isBoolean());
        assertFalse(img.get("os_hidden").asBoolean());
        assertEquals(0, img.get("min_disk").asInt());
        assertEquals(0, img.get("min_ram").asInt());
        assertTrue(img.get("min_disk").isIntegralNumber());
        assertTrue(img.get("tags").isArray());
        assertEquals(0, img.get("tags").size());
        assertEquals(p, img.get("owner").asText());
        assertTrue(img.get("id").asText().matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
                "generated UUIDv4, lowercase");
    }

    @Test
    @DisplayName("API-022: POST /v2/images -> 201, image JSON and absolute Location")
    void api022_createReturns201WithLocation() {
        ApiClient.Resp r = admin.post("/v2/images", json("name", "cirros", "disk_format", "qcow2",
                "container_format", "bare", "min_ram", 64, "min_disk", 1, "protected", false, "os_hidden", true,
                "tags", List.of("a", "b"), "visibility", "private"));
        r.expect(201);
        assertJsonContentType(r);
        JsonNode img = r.json();
        assertValidImage(img);
        String id = img.get("id").asText();
        assertEquals(node.url() + "/v2/images/" + id, r.header("Location").orElse(""));
        assertEquals("cirros", img.get("name").asText());
        assertEquals("qcow2", img.get("disk_format").asText());
        assertEquals("bare", img.get("container_format").asText());
        assertEquals(64, img.get("min_ram").asInt());
        assertEquals(1, img.get("min_disk").asInt());
        assertTrue(img.get("os_hidden").asBoolean());
        assertEquals("private", img.get("visibility").asText());
        assertEquals(Set.of("a", "b"), Set.of(img.get("tags").get(0).asText(), img.get("tags").get(1).asText()));
        assertEquals(img, admin.show(id));
    }

    @Test
    @DisplayName("API-023: a client-supplied id is honoured; reusing it is 409, also after delete")
    void api023_clientIdAndReuse() {
        String id = uuid();
        assertEquals(id, create(admin, json("id", id)).get("id").asText());
        admin.post("/v2/images", json("id", id)).expect(409);
        admin.member(project("p")).post("/v2/images", json("id", id)).expect(409);
        admin.delete("/v2/images/" + id).expect(204);
        admin.post("/v2/images", json("id", id)).expect(409);
        admin.get("/v2/images/" + id).expect(404);
    }

    @Test
    @DisplayName("API-024: create body validated against the image schema -> 400")
    void api024_schemaValidation400() {
        List<String> bad = List.of(
                json("name", 123), json("name", "n".repeat(256)), json("name", List.of("x")),
                json("visibility", "bogus"), json("visibility", null),
                json("protected", "yes"), json("protected", null), json("os_hidden", 1),
                json("min_disk", "1"), json("min_disk", 1.5), json("min_ram", null), json("min_ram", -1),
                json("min_disk", -5),
                json("container_format", "bogus"), json("disk_format", "QCOW2"), json("disk_format", 7),
                json("tags", "a"), json("tags", List.of(1)), json("tags", List.of("t".repeat(256))),
                json("tags", null),
                json("owner", 5), json("owner", "o".repeat(256)),
                json("id", "not-a-uuid"), json("id", 5),
                json("os_distro", 5), json("os_distro", true), json("os_distro", null), json("foo", Map.of()),
                json("kernel_id", "not-a-uuid"), json("cinder_encryption_key_deletion_policy", "sometimes"),
                "[]", "[{}]");
        for (String body : bad) {
            ApiClient.Resp r = admin.post("/v2/images", body);
            assertEquals(400, r.status(), body + " -> " + r.body());
        }
        // the nullable custom properties accept null; valid values pass
        create(admin, json("kernel_id", null, "ramdisk_id", uuid(), "cinder_encryption_key_deletion_policy",
                "do_not_delete", "name", null, "owner", "x", "container_format", null, "disk_format", null));
        create(admin, json("name", "n".repeat(255), "tags", List.of("t".repeat(255))));
    }

    @Test
    @DisplayName("API-024/025: checks in spec order: generated attrs 403 first, then schema 400, then read-only 403")
    void api024_checkOrder() {
        admin.post("/v2/images", json("self", "x", "name", 5)).expect(403);
        admin.post("/v2/images", json("status", "active", "name", 5)).expect(400);
        admin.post("/v2/images", json("status", "active", "os_glance_x", "y")).expect(403);
        admin.post("/v2/images", json("deleted", "x", "k".repeat(256), "v")).expect(400);
    }

    @Test
    @DisplayName("API-025: read-only and server-generated attributes on create -> 403")
    void api025_readOnly403() {
        Map<String, Object> values = Map.ofEntries(Map.entry("status", "active"), Map.entry("checksum", "x"),
                Map.entry("size", 5), Map.entry("virtual_size", 5), Map.entry("created_at", "2020-01-01T00:00:00Z"),
                Map.entry("updated_at", "2020-01-01T00:00:00Z"), Map.entry("os_hash_algo", "sha512"),
                Map.entry("os_hash_value", "ab"), Map.entry("locations", List.of()), Map.entry("direct_url", "x"),
                Map.entry("self", "x"), Map.entry("file", "x"), Map.entry("schema", "x"), Map.entry("stores", "cluster"));
        for (Map.Entry<String, Object> e : values.entrySet()) {
            ApiClient.Resp r = admin.post("/v2/images", json(e.getKey(), e.getValue()));
            assertEquals(403, r.status(), e.getKey() + " -> " + r.body());
        }
    }

    @Test
    @DisplayName("API-026: reserved names on create -> 403")
    void api026_reserved403() {
        for (String k : List.of("location", "deleted", "deleted_at", "os_glance_import_task", "os_glance",
                "os_glance_stage_host")) {
            ApiClient.Resp r = admin.post("/v2/images", json(k, "x"));
            assertEquals(403, r.status(), k + " -> " + r.body());
        }
        assertEquals("x", create(admin, json("xos_glance", "x", "deleted_by", "x")).get("xos_glance").asText());
    }

    @Test
    @DisplayName("API-027: a foreign owner by a non-admin -> 403; own owner and admin allowed")
    void api027_foreignOwner() {
        String p = project("p");
        ApiClient m = admin.member(p);
        m.post("/v2/images", json("owner", "someone-else")).expect(403);
        m.post("/v2/images", json("owner", null)).expect(403);
        assertEquals(p, create(m, json("owner", p)).get("owner").asText());
        assertEquals("someone-else", create(admin, json("owner", "someone-else")).get("owner").asText());
        assertTrue(create(admin, json("owner", null)).get("owner").isNull());
    }

    @Test
    @DisplayName("API-028: visibility public by a non-admin -> 403; community and private allowed")
    void api028_publicByNonAdmin() {
        ApiClient m = admin.member(project("p"));
        m.post("/v2/images", json("visibility", "public")).expect(403);
        assertEquals("community", create(m, json("visibility", "community")).get("visibility").asText());
        assertEquals("private", create(m, json("visibility", "private")).get("visibility").asText());
        assertEquals("public", create(admin, json("visibility", "public")).get("visibility").asText());
    }

    @Test
    @DisplayName("API-029/030: OpenStack-image-import-methods and OpenStack-image-store-ids on create")
    void api029_importMethodsHeader() {
        ApiClient.Resp r = admin.post("/v2/images", "{}").expect(201);
        assertEquals("glance-direct,web-download,copy-image", r.header("OpenStack-image-import-methods").orElse(""));
        assertEquals("cluster", r.header("OpenStack-image-store-ids").orElse(""));
        // X-Image-Meta-Store is accepted and ignored at create
        admin.post("/v2/images", "{}", "X-Image-Meta-Store", "elsewhere").expect(201);
    }

    @Test
    @DisplayName("API-031: an extra property key longer than 255 chars -> 400; 255 is fine")
    void api031_longKey400() {
        admin.post("/v2/images", json("k".repeat(256), "v")).expect(400);
        ObjectNode img = create(admin, json("k".repeat(255), "v"));
        assertEquals("v", img.get("k".repeat(255)).asText());
    }

    @Test
    @DisplayName("API-064: more than 128 extra properties or tags at create -> 413")
    void api064_createQuotas413() {
        ObjectNode props = ApiClient.MAPPER.createObjectNode();
        for (int i = 0; i < 129; i++) props.put("p" + i, "v");
        admin.post("/v2/images", props.toString()).expect(413);
        props.remove("p0");
        create(admin, props.toString());
        ObjectNode tags = ApiClient.MAPPER.createObjectNode();
        for (int i = 0; i < 129; i++) tags.withArray("tags").add("t" + i);
        admin.post("/v2/images", tags.toString()).expect(413);
    }

    @Test
    @DisplayName("API-032: show -> 200; missing, deleted, invisible, non-UUID or long ids -> 404")
    void api032_show() {
        String p = project("p");
        String id = create(admin.member(p), json("visibility", "private", "name", "x")).get("id").asText();
        ApiClient.Resp ok = admin.member(p).get("/v2/images/" + id).expect(200);
        assertJsonContentType(ok);
        assertValidImage(ok.json());
        admin.get("/v2/images/" + uuid()).expect(404);
        admin.get("/v2/images/not-a-uuid").expect(404);
        admin.get("/v2/images/" + id + "0").expect(404);
        admin.get("/v2/images/" + id.replace("-", "")).expect(404);
        assertEquals(404, RawHttp.exchange(node.server.port(),
                "GET /v2/images/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status());
        admin.member(project("stranger")).get("/v2/images/" + id).expect(404);
        admin.delete("/v2/images/" + id).expect(204);
        admin.get("/v2/images/" + id).expect(404);
        admin.member(p).get("/v2/images/" + id).expect(404);
    }

    @Test
    @DisplayName("API-032: an upper-case image id in the path finds the image")
    void api032_upperCaseIdInPath() {
        String id = create(admin, "{}").get("id").asText();
        assertEquals(id, admin.get("/v2/images/" + id.toUpperCase()).expect(200).json().get("id").asText());
    }

    @Test
    @DisplayName("API-116: an invisible image is 404 on every endpoint, never 403")
    void api116_invisibleIs404() {
        String owner = project("owner");
        String id = create(admin.member(owner), json("visibility", "private", "disk_format", "raw",
                "container_format", "bare")).get("id").asText();
        String shared = create(admin.member(owner), json("visibility", "shared")).get("id").asText();
        ApiClient s = admin.member(project("stranger"));
        for (String img : List.of(id, shared)) {
            String base = "/v2/images/" + img;
            List<ApiClient.Resp> rs = List.of(
                    s.get(base),
                    s.patch(base, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"x\"}]"),
                    s.delete(base),
                    s.send("PUT", base + "/tags/t", null),
                    s.delete(base + "/tags/t"),
                    s.send("POST", base + "/actions/deactivate", null),
                    s.send("POST", base + "/actions/reactivate", null),
                    s.get(base + "/members"),
                    s.post(base + "/members", json("member", "x")),
                    s.get(base + "/members/x"),
                    s.put(base + "/members/x", json("status", "accepted")),
                    s.delete(base + "/members/x"),
                    s.get(base + "/tasks"));
            for (ApiClient.Resp r : rs) assertEquals(404, r.status(), img + ": " + r.body());
        }
        assertTrue(admin.show(id).get("name").isNull(), "the stranger's PATCH changed nothing");
    }
}
