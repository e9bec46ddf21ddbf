package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static io.glint.node.api.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Delete (spec §4.5), deactivate/reactivate (§4.10), tags (§4.11) and the tasks of an image (§4.13). */
class ImageDeleteActionsTagsTest extends ApiTestBase {

    private ApiClient.Resp action(ApiClient who, String id, String action) {
        return who.send("POST", "/v2/images/" + id + "/actions/" + action, null);
    }

    private ApiClient.Resp putTag(ApiClient who, String id, String tag) {
        return who.send("PUT", "/v2/images/" + id + "/tags/" + tag, null);
    }

    private static Set<String> tags(JsonNode img) {
        Set<String> out = new TreeSet<>();
        img.get("tags").forEach(t -> out.add(t.asText()));
        return out;
    }

    private String activeImage(ApiClient owner, String body) {
        String id = create(owner, body).get("id").asText();
        activate(id);
        return id;
    }

    @Test
    @DisplayName("API-067: DELETE -> 204 with no body; then GET and DELETE -> 404")
    void api067_delete() {
        String id = create(admin, json("name", "x", "tags", List.of("t"))).get("id").asText();
        ApiClient.Resp r = admin.delete("/v2/images/" + id).expect(204);
        assertNoBody(r);
        admin.get("/v2/images/" + id).expect(404);
        admin.delete("/v2/images/" + id).expect(404);
        admin.patch("/v2/images/" + id, "[]").expect(404);
        admin.delete("/v2/images/" + uuid()).expect(404);
        admin.delete("/v2/images/not-a-uuid").expect(404);
    }

    @Test
    @DisplayName("API-067: delete works in active and deactivated status")
    void api067_deleteWithData() {
        String a = activeImage(admin, FORMATS);
        admin.delete("/v2/images/" + a).expect(204);
        admin.get("/v2/images/" + a).expect(404);
        String d = activeImage(admin, FORMATS);
        action(admin, d, "deactivate").expect(204);
        admin.delete("/v2/images/" + d).expect(204);
        admin.get("/v2/images/" + d).expect(404);
    }

    @Test
    @DisplayName("API-068: a protected image cannot be deleted, not even by an admin (403)")
    void api068_protected403() {
        String owner = project("o");
        String id = create(admin.member(owner), json("protected", true)).get("id").asText();
        admin.delete("/v2/images/" + id).expect(403);
        admin.member(owner).delete("/v2/images/" + id).expect(403);
        admin.show(id);
        admin.patch("/v2/images/" + id, "[{\"op\":\"replace\",\"path\":\"/protected\",\"value\":false}]").expect(200);
        admin.member(owner).delete("/v2/images/" + id).expect(204);
    }

    @Test
    @DisplayName("API-069: delete by a non-owner: visible -> 403, invisible -> 404")
    void api069_nonOwner() {
        String owner = project("o");
        String member = project("m");
        String pub = create(admin, json("visibility", "public", "owner", owner)).get("id").asText();
        String priv = create(admin.member(owner), json("visibility", "private")).get("id").asText();
        String shared = create(admin.member(owner), json("visibility", "shared")).get("id").asText();
        admin.member(owner).post("/v2/images/" + shared + "/members", json("member", member)).expect(200);
        ApiClient m = admin.member(member);
        m.delete("/v2/images/" + pub).expect(403);
        m.delete("/v2/images/" + priv).expect(404);
        m.delete("/v2/images/" + shared).expect(403);
        for (String id : List.of(pub, priv, shared)) admin.show(id);
    }

    @Test
    @DisplayName("API-101: deactivate/reactivate -> 204, idempotent, wrong status -> 403")
    void api101_deactivateReactivate() {
        String owner = project("o");
        ApiClient o = admin.member(owner);
        String queued = create(o, FORMATS).get("id").asText();
        action(o, queued, "deactivate").expect(403);
        action(o, queued, "reactivate").expect(403);
        assertEquals("queued", o.show(queued).get("status").asText());
        String id = activeImage(o, json("disk_format", "raw", "container_format", "bare",
                "visibility", "community"));
        ApiClient.Resp r = action(o, id, "reactivate").expect(204);
        assertNoBody(r);
        assertEquals("active", o.show(id).get("status").asText());
        action(o, id, "deactivate").expect(204);
        JsonNode d = o.show(id);
        assertEquals("deactivated", d.get("status").asText());
        assertValidImage(d);
        action(o, id, "deactivate").expect(204);
        assertEquals("deactivated", o.show(id).get("status").asText());
        ApiClient other = admin.member(project("x"));
        action(other, id, "reactivate").expect(403);
        action(admin, id, "reactivate").expect(204);
        assertEquals("active", o.show(id).get("status").asText());
        action(other, id, "deactivate").expect(403);
        String priv = activeImage(o, json("disk_format", "raw", "container_format", "bare", "visibility", "private"));
        action(other, priv, "deactivate").expect(404);
        action(o, uuid(), "deactivate").expect(404);
        o.send("POST", "/v2/images/" + id + "/actions/explode", null).expect(404);
    }

    @Test
    @DisplayName("API-102: PUT tag -> 204, idempotent, URL-decoded; >255 chars -> 400; quota -> 413")
    void api102_addTag() {
        String owner = project("o");
        ApiClient o = admin.member(owner);
        String id = create(o, "{}").get("id").asText();
        assertNoBody(putTag(o, id, "alpha").expect(204));
        putTag(o, id, "alpha").expect(204);
        putTag(o, id, "two%20words").expect(204);
        putTag(o, id, "Alpha").expect(204);
        putTag(o, id, "t".repeat(255)).expect(204);
        putTag(o, id, "t".repeat(256)).expect(400);
        assertEquals(Set.of("alpha", "Alpha", "two words", "t".repeat(255)), tags(o.show(id)));
        putTag(admin.member(project("x")), id, "nope").expect(404);
        String pub = create(admin, json("visibility", "public", "owner", owner)).get("id").asText();
        putTag(admin.member(project("x")), pub, "nope").expect(403);
        putTag(o, uuid(), "t").expect(404);
        String full = create(o, "{}").get("id").asText();
        for (int i = 0; i < 128; i++) putTag(o, full, "t" + i).expect(204);
        putTag(o, full, "t0").expect(204);
        putTag(o, full, "one-too-many").expect(413);
        assertEquals(128, o.show(full).get("tags").size());
    }

    @Test
    @DisplayName("API-103: DELETE tag -> 204; absent -> 404; non-owner -> 403")
    void api103_removeTag() {
        String owner = project("o");
        ApiClient o = admin.member(owner);
        String id = create(admin, json("visibility", "public", "owner", owner, "tags", List.of("a", "b", "c d")))
                .get("id").asText();
        assertNoBody(o.delete("/v2/images/" + id + "/tags/a").expect(204));
        o.delete("/v2/images/" + id + "/tags/c%20d").expect(204);
        assertEquals(Set.of("b"), tags(o.show(id)));
        o.delete("/v2/images/" + id + "/tags/a").expect(404);
        o.delete("/v2/images/" + id + "/tags/B").expect(404);
        admin.member(project("x")).delete("/v2/images/" + id + "/tags/b").expect(403);
        o.delete("/v2/images/" + uuid() + "/tags/b").expect(404);
        // tags are patchable in any visible status
        String active = activeImage(o, FORMATS);
        action(o, active, "deactivate").expect(204);
        putTag(o, active, "late").expect(204);
        o.delete("/v2/images/" + active + "/tags/late").expect(204);
    }

    @Test
    @DisplayName("API-110: GET /v2/images/{id}/tasks -> 200 {\"tasks\": []}; invisible -> 404")
    void api110_imageTasks() {
        String owner = project("o");
        String id = create(admin.member(owner), json("visibility", "private")).get("id").asText();
        ApiClient.Resp r = admin.member(owner).get("/v2/images/" + id + "/tasks").expect(200);
        assertJsonContentType(r);
        assertEquals(ApiClient.MAPPER.createObjectNode().set("tasks", ApiClient.MAPPER.createArrayNode()), r.json());
        admin.get("/v2/images/" + id + "/tasks").expect(200);
        admin.member(project("x")).get("/v2/images/" + id + "/tasks").expect(404);
        admin.get("/v2/images/" + uuid() + "/tasks").expect(404);
        admin.get("/v2/images/not-a-uuid/tasks").expect(404);
    }
}
