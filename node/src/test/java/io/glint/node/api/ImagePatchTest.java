package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static io.glint.node.api.ApiClient.MAPPER;
import static io.glint.node.api.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code PATCH /v2/images/{id}} (spec §4.4). */
class ImagePatchTest extends ApiTestBase {

    /** One v2.1 operation as JSON text; {@code value} null means "no value member". */
    private static String op(String op, String path, Object value) {
        ObjectNode o = MAPPER.createObjectNode().put("op", op).put("path", path);
        if (value != null) o.set("value", MAPPER.valueToTree(value));
        return o.toString();
    }

    private static String ops(String... ops) {
        return "[" + String.join(",", ops) + "]";
    }

    private ApiClient.Resp patch(ApiClient who, String id, String body) {
        return who.patch("/v2/images/" + id, body);
    }

    /** Applies a patch expecting 200; returns the image and checks it against the schema. */
    private JsonNode ok(ApiClient who, String id, String body) {
        ApiClient.Resp r = patch(who, id, body).expect(200);
        assertJsonContentType(r);
        JsonNode img = r.json();
        assertValidImage(img);
        assertEquals(img, who.show(id), "the answer is the stored image");
        return img;
    }

    private void expect(int status, ApiClient who, String id, String body) {
        ApiClient.Resp r = patch(who, id, body);
        assertEquals(status, r.status(), body + " -> " + r.body());
    }

    private String fresh() {
        return create(admin, "{}").get("id").asText();
    }

    private static Set<String> tags(JsonNode img) {
        Set<String> out = new TreeSet<>();
        img.get("tags").forEach(t -> out.add(t.asText()));
        return out;
    }

    @Test
    @DisplayName("API-052: v2.1 media type accepted (parameters ignored); others 415 with Accept-Patch")
    void api052_mediaTypes() {
        String id = fresh();
        String body = ops(op("replace", "/name", "x"));
        for (String ct : List.of("application/json", "application/json-patch+json", "text/plain",
                "application/openstack-images-v2.2-json-patch")) {
            ApiClient.Resp r = admin.patch("/v2/images/" + id, ct, body);
            assertEquals(415, r.status(), ct);
            assertEquals("application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch",
                    r.header("Accept-Patch").orElse(""), ct);
        }
        assertEquals(415, admin.send("PATCH", "/v2/images/" + id, body).status(), "no Content-Type");
        assertTrue(admin.show(id).get("name").isNull(), "nothing applied");
        JsonNode img = admin.patch("/v2/images/" + id, ApiClient.PATCH_V21 + "; charset=UTF-8", body).expect(200).json();
        assertEquals("x", img.get("name").asText());
        admin.patch("/v2/images/" + id, "Application/OpenStack-Images-V2.1-JSON-Patch", body).expect(200);
    }

    @Test
    @DisplayName("API-053: add upserts core fields and extra properties")
    void api053_addUpserts() {
        String id = fresh();
        JsonNode img = ok(admin, id, ops(op("add", "/name", "n1"), op("add", "/os_distro", "ubuntu"),
                op("add", "/min_ram", 256), op("add", "/protected", true)));
        assertEquals("n1", img.get("name").asText());
        assertEquals("ubuntu", img.get("os_distro").asText());
        assertEquals(256, img.get("min_ram").asInt());
        assertTrue(img.get("protected").asBoolean());
        img = ok(admin, id, ops(op("add", "/name", "n2"), op("add", "/os_distro", "fedora"), op("add", "/protected", false)));
        assertEquals("n2", img.get("name").asText());
        assertEquals("fedora", img.get("os_distro").asText());
    }

    @Test
    @DisplayName("API-054: replace sets core fields, also from null; on an absent extra -> 409")
    void api054_replace() {
        String id = fresh();
        JsonNode img = ok(admin, id, ops(op("replace", "/name", "n"), op("replace", "/disk_format", "qcow2"),
                op("replace", "/container_format", "bare"), op("replace", "/visibility", "private"),
                op("replace", "/os_hidden", true), op("replace", "/min_disk", 3)));
        assertEquals("n", img.get("name").asText());
        assertEquals("qcow2", img.get("disk_format").asText());
        assertEquals("bare", img.get("container_format").asText());
        assertEquals("private", img.get("visibility").asText());
        assertTrue(img.get("os_hidden").asBoolean());
        assertEquals(3, img.get("min_disk").asInt());
        img = ok(admin, id, ops(op("replace", "/name", null).replace("}", ",\"value\":null}")));
        assertTrue(img.get("name").isNull(), "name back to null");
        expect(409, admin, id, ops(op("replace", "/os_distro", "x")));
        ok(admin, id, ops(op("add", "/os_distro", "a")));
        assertEquals("b", ok(admin, id, ops(op("replace", "/os_distro", "b"))).get("os_distro").asText());
    }

    @Test
    @DisplayName("API-055: remove deletes extras; on a core field -> 403; on an absent extra -> 409")
    void api055_remove() {
        String id = create(admin, json("foo", "bar", "name", "n")).get("id").asText();
        JsonNode img = ok(admin, id, ops(op("remove", "/foo", null)));
        assertFalse(img.has("foo"));
        expect(409, admin, id, ops(op("remove", "/foo", null)));
        for (String core : List.of("name", "tags", "visibility", "protected", "min_ram", "owner", "disk_format",
                "os_hidden")) {
            expect(403, admin, id, ops(op("remove", "/" + core, null)));
        }
        assertEquals("n", admin.show(id).get("name").asText());
    }

    @Test
    @DisplayName("API-056: read-only paths -> 403")
    void api056_readOnly403() {
        String id = fresh();
        for (String f : List.of("id", "status", "checksum", "size", "virtual_size", "created_at", "updated_at",
                "os_hash_algo", "os_hash_value", "self", "file", "schema", "direct_url", "stores")) {
            expect(403, admin, id, ops(op("replace", "/" + f, "x")));
            expect(403, admin, id, ops(op("add", "/" + f, "x")));
            expect(403, admin, id, ops(op("remove", "/" + f, null)));
        }
    }

    @Test
    @DisplayName("API-026: reserved names on patch -> 403")
    void api026_reservedOnPatch403() {
        String id = fresh();
        for (String f : List.of("location", "deleted", "deleted_at", "os_glance_import_task", "os_glancex")) {
            expect(403, admin, id, ops(op("add", "/" + f, "x")));
            expect(403, admin, id, ops(op("replace", "/" + f, "x")));
            expect(403, admin, id, ops(op("remove", "/" + f, null)));
        }
    }

    @Test
    @DisplayName("API-057: restricted JSON pointers: leading /, no empty segments, ~0/~1 only, depth 1")
    void api057_pointers() {
        String id = fresh();
        for (String p : List.of("name", "", "/", "/name/", "//name", "/a//b", "/a~2b", "/a~", "/name/x",
                "/os_distro/0")) {
            expect(400, admin, id, ops(op("add", p, "x")));
        }
        JsonNode img = ok(admin, id, ops(op("add", "/a~0b", "tilde"), op("add", "/c~1d", "slash"),
                op("add", "/~01", "tilde-one")));
        assertEquals("tilde", img.get("a~b").asText());
        assertEquals("slash", img.get("c/d").asText());
        assertEquals("tilde-one", img.get("~1").asText());
        img = ok(admin, id, ops(op("remove", "/a~0b", null)));
        assertFalse(img.has("a~b"));
        expect(400, admin, id, ops(op("add", "/" + "k".repeat(256), "v")));
    }

    @Test
    @DisplayName("API-058: unsupported op, missing op/path/value, non-array body -> 400; [] is a no-op")
    void api058_structure400() {
        String id = fresh();
        String before = admin.show(id).toString();
        for (String body : List.of(
                ops(op("test", "/name", "x")), ops(op("move", "/name", "x")), ops(op("copy", "/name", "x")),
                "[{\"path\":\"/name\",\"value\":\"x\"}]", "[{\"op\":\"add\",\"value\":\"x\"}]",
                "[{\"op\":\"add\",\"path\":5,\"value\":\"x\"}]", "[{\"op\":5,\"path\":\"/name\",\"value\":\"x\"}]",
                ops(op("add", "/name", null)), ops(op("replace", "/os_distro", null)),
                "{\"op\":\"add\",\"path\":\"/name\",\"value\":\"x\"}", "[1]", "[\"add\"]", "[[]]", "[", "", "null",
                "\"x\"")) {
            expect(400, admin, id, body);
        }
        assertEquals(before, admin.show(id).toString());
        JsonNode same = admin.patch("/v2/images/" + id, "[]").expect(200).json();
        assertEquals(before, same.toString(), "empty patch: no change, updated_at kept");
    }

    @Test
    @DisplayName("API-059: patch values validated against the image schema -> 400")
    void api059_schemaValidation400() {
        String id = fresh();
        List<String[]> bad = List.of(
                new String[] {"/name", "5"}, new String[] {"/name", "\"" + "n".repeat(256) + "\""},
                new String[] {"/visibility", "\"bogus\""}, new String[] {"/visibility", "null"},
                new String[] {"/protected", "\"true\""}, new String[] {"/protected", "null"},
                new String[] {"/os_hidden", "0"}, new String[] {"/min_ram", "-1"}, new String[] {"/min_ram", "\"1\""},
                new String[] {"/min_disk", "1.5"}, new String[] {"/min_disk", "null"},
                new String[] {"/disk_format", "\"bogus\""}, new String[] {"/container_format", "1"},
                new String[] {"/tags", "\"a\""}, new String[] {"/tags", "[1]"}, new String[] {"/tags", "null"},
                new String[] {"/tags", "[\"" + "t".repeat(256) + "\"]"},
                new String[] {"/owner", "5"}, new String[] {"/os_distro", "5"}, new String[] {"/os_distro", "null"},
                new String[] {"/foo", "{}"}, new String[] {"/foo", "[\"a\"]"},
                new String[] {"/kernel_id", "\"not-a-uuid\""},
                new String[] {"/cinder_encryption_key_deletion_policy", "\"later\""});
        for (String[] b : bad) {
            for (String o : List.of("add", "replace")) {
                if (o.equals("replace") && !b[0].matches("/(name|visibility|protected|os_hidden|min_ram|min_disk|disk_format|container_format|tags|owner)")) {
                    continue;
                }
                expect(400, admin, id, "[{\"op\":\"" + o + "\",\"path\":\"" + b[0] + "\",\"value\":" + b[1] + "}]");
            }
        }
        JsonNode img = ok(admin, id, "[{\"op\":\"add\",\"path\":\"/kernel_id\",\"value\":\"" + uuid() + "\"},"
                + "{\"op\":\"add\",\"path\":\"/container_format\",\"value\":null}]");
        assertTrue(img.get("kernel_id").isTextual());
    }

    @Test
    @DisplayName("API-060: replace /tags replaces the whole set; duplicates collapse")
    void api060_replaceTags() {
        String id = create(admin, json("tags", List.of("old1", "old2"))).get("id").asText();
        JsonNode img = ok(admin, id, ops(op("replace", "/tags", List.of("a", "b", "a"))));
        assertEquals(Set.of("a", "b"), tags(img));
        assertEquals(2, img.get("tags").size());
        img = ok(admin, id, ops(op("add", "/tags", List.of("c"))));
        assertEquals(Set.of("c"), tags(img));
        img = ok(admin, id, ops(op("replace", "/tags", List.of())));
        assertEquals(0, img.get("tags").size());
    }

    @Test
    @DisplayName("API-061: owner changes are admin-only -> 403")
    void api061_ownerAdminOnly() {
        String p = project("p");
        ApiClient m = admin.member(p);
        String id = create(m, "{}").get("id").asText();
        expect(403, m, id, ops(op("replace", "/owner", "other")));
        expect(403, m, id, "[{\"op\":\"replace\",\"path\":\"/owner\",\"value\":null}]");
        assertEquals(p, m.show(id).get("owner").asText());
        assertEquals("other", ok(admin, id, ops(op("replace", "/owner", "other"))).get("owner").asText());
        m.get("/v2/images/" + id).expect(404);
    }

    @Test
    @DisplayName("API-028: visibility public by a non-admin patch -> 403; community allowed; admin may publicize")
    void api028_publicizeOnPatch() {
        ApiClient m = admin.member(project("p"));
        String id = create(m, "{}").get("id").asText();
        expect(403, m, id, ops(op("replace", "/visibility", "public")));
        assertEquals("community", ok(m, id, ops(op("replace", "/visibility", "community"))).get("visibility").asText());
        assertEquals("private", ok(m, id, ops(op("replace", "/visibility", "private"))).get("visibility").asText());
        assertEquals("public", ok(admin, id, ops(op("replace", "/visibility", "public"))).get("visibility").asText());
    }

    @Test
    @DisplayName("API-062: disk/container format changes only while queued -> 403 otherwise")
    void api062_formatsOnlyWhileQueued() {
        String id = create(admin, json("disk_format", "raw", "container_format", "bare")).get("id").asText();
        assertEquals("qcow2", ok(admin, id, ops(op("replace", "/disk_format", "qcow2"))).get("disk_format").asText());
        activate(id);
        expect(403, admin, id, ops(op("replace", "/disk_format", "raw")));
        expect(403, admin, id, ops(op("replace", "/container_format", "ovf")));
        expect(403, admin, id, "[{\"op\":\"replace\",\"path\":\"/disk_format\",\"value\":null}]");
        admin.send("POST", "/v2/images/" + id + "/actions/deactivate", null).expect(204);
        expect(403, admin, id, ops(op("replace", "/disk_format", "raw")));
        JsonNode img = ok(admin, id, ops(op("replace", "/name", "still patchable when deactivated")));
        assertEquals("deactivated", img.get("status").asText());
        assertEquals("qcow2", img.get("disk_format").asText());
    }

    @Test
    @DisplayName("API-063: a patch is atomic; 200 returns the full image with updated_at bumped")
    void api063_atomic() throws InterruptedException {
        String id = create(admin, json("name", "orig", "keep", "v")).get("id").asText();
        JsonNode before = admin.show(id);
        expect(409, admin, id, ops(op("replace", "/name", "new"), op("add", "/x", "y"), op("replace", "/absent", "z")));
        expect(403, admin, id, ops(op("replace", "/name", "new"), op("remove", "/name", null)));
        expect(400, admin, id, ops(op("replace", "/name", "new"), op("replace", "/min_ram", -1)));
        assertEquals(before, admin.show(id), "nothing of a failed patch is applied");
        // updated_at has second resolution: wait for the next second so the bump is visible
        String created = before.get("updated_at").asText();
        long createdSecond = java.time.Instant.parse(created).getEpochSecond();
        io.glint.node.Poll.until(java.time.Duration.ofSeconds(3), java.time.Duration.ofMillis(50),
                () -> java.time.Instant.now().getEpochSecond() > createdSecond, () -> "the clock's next second");
        JsonNode after = ok(admin, id, ops(op("replace", "/name", "new"), op("add", "/x", "y")));
        assertEquals("new", after.get("name").asText());
        assertEquals("y", after.get("x").asText());
        assertEquals("v", after.get("keep").asText());
        assertEquals(before.get("created_at"), after.get("created_at"));
        assertTrue(after.get("updated_at").asText().compareTo(before.get("updated_at").asText()) > 0,
                before.get("updated_at") + " -> " + after.get("updated_at"));
    }

    @Test
    @DisplayName("API-064: property and tag quotas (128) on patch -> 413")
    void api064_patchQuotas413() {
        ObjectNode props = MAPPER.createObjectNode();
        for (int i = 0; i < 128; i++) props.put("p" + i, "v");
        String id = create(admin, props.toString()).get("id").asText();
        expect(413, admin, id, ops(op("add", "/one_more", "v")));
        ok(admin, id, ops(op("replace", "/p0", "changed"), op("remove", "/p1", null), op("add", "/p1b", "v")));
        String t = fresh();
        ArrayNode many = MAPPER.createArrayNode();
        for (int i = 0; i < 129; i++) many.add("t" + i);
        expect(413, admin, t, "[{\"op\":\"replace\",\"path\":\"/tags\",\"value\":" + many + "}]");
        many.remove(0);
        assertEquals(128, ok(admin, t, "[{\"op\":\"replace\",\"path\":\"/tags\",\"value\":" + many + "}]")
                .get("tags").size());
    }

    @Test
    @DisplayName("API-065: v2.0 dialect: {\"replace\": path}; add on an existing path -> 409")
    void api065_draft4Dialect() {
        String id = create(admin, json("existing", "v")).get("id").asText();
        JsonNode img = admin.patch("/v2/images/" + id, ApiClient.PATCH_V20,
                "[{\"replace\":\"/name\",\"value\":\"d4\"},{\"add\":\"/newprop\",\"value\":\"n\"}]").expect(200).json();
        assertEquals("d4", img.get("name").asText());
        assertEquals("n", img.get("newprop").asText());
        assertValidImage(img);
        for (String body : List.of("[{\"add\":\"/name\",\"value\":\"x\"}]", "[{\"add\":\"/existing\",\"value\":\"x\"}]",
                "[{\"add\":\"/min_ram\",\"value\":1}]")) {
            assertEquals(409, admin.patch("/v2/images/" + id, ApiClient.PATCH_V20, body).status(), body);
        }
        for (String body : List.of("[{\"add\":\"/a\",\"replace\":\"/b\",\"value\":\"x\"}]", "[{\"value\":\"x\"}]",
                "[{\"op\":\"add\",\"path\":\"/c\",\"value\":\"x\"}]", "[{\"test\":\"/name\",\"value\":\"x\"}]")) {
            assertEquals(400, admin.patch("/v2/images/" + id, ApiClient.PATCH_V20, body).status(), body);
        }
        img = admin.patch("/v2/images/" + id, ApiClient.PATCH_V20, "[{\"remove\":\"/existing\"}]").expect(200).json();
        assertFalse(img.has("existing"));
    }

    @Test
    @DisplayName("API-066: locations via PATCH -> 403 while locations are hidden")
    void api066_locationsHidden403() {
        String id = fresh();
        expect(403, admin, id, ops(op("add", "/locations/-", MAPPER.createObjectNode().put("url", "http://x/y")
                .set("metadata", MAPPER.createObjectNode()))));
        expect(403, admin, id, ops(op("replace", "/locations", List.of())));
        expect(403, admin, id, ops(op("remove", "/locations/0", null)));
        expect(400, admin, id, ops(op("add", "/locations", List.of())));
        expect(400, admin, id, ops(op("replace", "/locations/0", "x")));
    }

    @Test
    @DisplayName("API-116/069: patch by a non-owner: visible -> 403, invisible -> 404; bad ids -> 404")
    void api116_patchPermissions() {
        String owner = project("owner");
        String pub = create(admin, json("visibility", "public", "owner", owner)).get("id").asText();
        String priv = create(admin.member(owner), json("visibility", "private")).get("id").asText();
        ApiClient other = admin.member(project("other"));
        String body = ops(op("replace", "/name", "x"));
        expect(403, other, pub, body);
        expect(404, other, priv, body);
        ok(admin.member(owner), pub, body);
        expect(404, admin, uuid(), body);
        assertEquals(404, admin.patch("/v2/images/not-a-uuid", body).status());
    }
}
