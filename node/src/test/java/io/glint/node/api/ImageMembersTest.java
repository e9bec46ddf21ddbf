package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static io.glint.node.api.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Image sharing (spec §4.12, §5.5, §5.6). */
class ImageMembersTest extends ApiTestBase {

    /** A shared image owned by a fresh project, with the owner's client. */
    private record Shared(String id, ApiClient owner, String ownerProject) {
        String members() {
            return "/v2/images/" + id + "/members";
        }

        String member(String project) {
            return members() + "/" + project;
        }
    }

    private Shared shared() {
        String p = project("owner");
        ApiClient o = admin.member(p);
        return new Shared(create(o, json("visibility", "shared")).get("id").asText(), o, p);
    }

    private JsonNode addMember(Shared s, String project) {
        ApiClient.Resp r = s.owner().post(s.members(), json("member", project)).expect(200);
        assertJsonContentType(r);
        assertValidMember(r.json());
        return r.json();
    }

    private static Set<String> memberIds(JsonNode list) {
        Set<String> out = new TreeSet<>();
        list.get("members").forEach(m -> out.add(m.get("member_id").asText()));
        return out;
    }

    @Test
    @DisplayName("API-104: add member -> 200 (not 201) with a pending member that validates against the schema")
    void api104_addMember() {
        Shared s = shared();
        String m = project("m");
        JsonNode member = addMember(s, m);
        assertEquals(m, member.get("member_id").asText());
        assertEquals(s.id(), member.get("image_id").asText());
        assertEquals("pending", member.get("status").asText());
        assertEquals("/v2/schemas/member", member.get("schema").asText());
        assertTrue(member.get("created_at").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"));
        Instant.parse(member.get("updated_at").asText());
        Set<String> keys = new TreeSet<>();
        member.fieldNames().forEachRemaining(keys::add);
        assertEquals(Set.of("member_id", "image_id", "status", "created_at", "updated_at", "schema"), keys);
        s.owner().post(s.members(), json("member", m)).expect(409);
        admin.post(s.members(), json("member", project("by-admin"))).expect(200);
    }

    @Test
    @DisplayName("API-104: bad bodies -> 400; non-shared -> 403; non-owner -> 403; invisible -> 404")
    void api104_addMemberErrors() {
        Shared s = shared();
        for (String body : List.of("{}", json("member", ""), json("member", "  "), json("member", 5),
                json("member", null), "[\"x\"]", "\"x\"", "{bad", "")) {
            ApiClient.Resp r = s.owner().post(s.members(), body);
            assertEquals(400, r.status(), body + " -> " + r.body());
        }
        for (String vis : List.of("private", "public", "community")) {
            String id = create(admin, json("visibility", vis, "owner", s.ownerProject())).get("id").asText();
            s.owner().post("/v2/images/" + id + "/members", json("member", "x")).expect(403);
        }
        String m = project("m");
        addMember(s, m);
        admin.member(m).post(s.members(), json("member", project("friend"))).expect(403);
        admin.member(project("stranger")).post(s.members(), json("member", "x")).expect(404);
        s.owner().post("/v2/images/" + uuid() + "/members", json("member", "x")).expect(404);
    }

    @Test
    @DisplayName("API-104: more than 128 members -> 413")
    void api104_memberQuota413() {
        Shared s = shared();
        for (int i = 0; i < 128; i++) s.owner().post(s.members(), json("member", "q" + i)).expect(200);
        s.owner().post(s.members(), json("member", "q128")).expect(413);
        assertEquals(128, s.owner().get(s.members()).expect(200).json().get("members").size());
    }

    @Test
    @DisplayName("API-105: owner and admin list all members; a member sees only itself; non-shared -> 403")
    void api105_listMembers() {
        Shared s = shared();
        String m1 = project("m1");
        String m2 = project("m2");
        addMember(s, m1);
        addMember(s, m2);
        ApiClient.Resp r = s.owner().get(s.members()).expect(200);
        assertJsonContentType(r);
        JsonNode list = r.json();
        assertEquals("/v2/schemas/members", list.get("schema").asText());
        assertEquals(Set.of(m1, m2), memberIds(list));
        list.get("members").forEach(this::assertValidMember);
        assertEquals(Set.of(m1, m2), memberIds(admin.get(s.members()).expect(200).json()));
        assertEquals(Set.of(m1), memberIds(admin.member(m1).get(s.members()).expect(200).json()));
        admin.member(project("stranger")).get(s.members()).expect(404);
        String priv = create(s.owner(), json("visibility", "private")).get("id").asText();
        s.owner().get("/v2/images/" + priv + "/members").expect(403);
        String pub = create(admin, json("visibility", "public", "owner", s.ownerProject())).get("id").asText();
        admin.member(project("stranger")).get("/v2/images/" + pub + "/members").expect(403);
    }

    @Test
    @DisplayName("API-106: show member: owner, admin and the member itself; others and non-shared -> 404")
    void api106_showMember() {
        Shared s = shared();
        String m1 = project("m1");
        String m2 = project("m2");
        addMember(s, m1);
        addMember(s, m2);
        for (ApiClient who : List.of(s.owner(), admin, admin.member(m1))) {
            JsonNode m = who.get(s.member(m1)).expect(200).json();
            assertEquals(m1, m.get("member_id").asText());
            assertValidMember(m);
        }
        admin.member(m2).get(s.member(m1)).expect(404);
        admin.member(project("stranger")).get(s.member(m1)).expect(404);
        s.owner().get(s.member("nobody")).expect(404);
        s.owner().patch("/v2/images/" + s.id(), "[{\"op\":\"replace\",\"path\":\"/visibility\",\"value\":\"private\"}]")
                .expect(200);
        s.owner().get(s.member(m1)).expect(404);
    }

    @Test
    @DisplayName("API-107: only the member (or an admin) sets its status; owner -> 403; bad status -> 400")
    void api107_updateMember() {
        Shared s = shared();
        String m1 = project("m1");
        String m2 = project("m2");
        addMember(s, m1);
        addMember(s, m2);
        ApiClient member = admin.member(m1);
        ApiClient.Resp r = member.put(s.member(m1), json("status", "accepted")).expect(200);
        assertValidMember(r.json());
        assertEquals("accepted", r.json().get("status").asText());
        assertEquals("rejected", member.put(s.member(m1), json("status", "rejected")).expect(200).json()
                .get("status").asText());
        assertEquals("rejected", s.owner().get(s.member(m1)).expect(200).json().get("status").asText());
        s.owner().put(s.member(m1), json("status", "accepted")).expect(403);
        assertEquals("pending", admin.put(s.member(m2), json("status", "pending")).expect(200).json()
                .get("status").asText());
        assertEquals("accepted", admin.put(s.member(m2), json("status", "accepted")).expect(200).json()
                .get("status").asText());
        for (String body : List.of("{}", json("status", "bogus"), json("status", "Accepted"), json("status", 1),
                json("status", null), "[]", "{bad", "")) {
            ApiClient.Resp bad = member.put(s.member(m1), body);
            assertEquals(400, bad.status(), body + " -> " + bad.body());
        }
        member.put(s.member(m2), json("status", "accepted")).expect(404);
        admin.member(project("stranger")).put(s.member(m1), json("status", "accepted")).expect(404);
        s.owner().put(s.member("nobody"), json("status", "accepted")).expect(404);
        s.owner().patch("/v2/images/" + s.id(), "[{\"op\":\"replace\",\"path\":\"/visibility\",\"value\":\"private\"}]")
                .expect(200);
        s.owner().put(s.member(m1), json("status", "accepted")).expect(403);
    }

    @Test
    @DisplayName("API-108: owner or admin removes a member -> 204; member itself -> 403; absent -> 404")
    void api108_removeMember() {
        Shared s = shared();
        String m1 = project("m1");
        String m2 = project("m2");
        addMember(s, m1);
        addMember(s, m2);
        admin.member(m1).delete(s.member(m1)).expect(403);
        assertNoBody(s.owner().delete(s.member(m1)).expect(204));
        s.owner().delete(s.member(m1)).expect(404);
        admin.member(m1).get("/v2/images/" + s.id()).expect(404);
        admin.delete(s.member(m2)).expect(204);
        assertEquals(Set.of(), memberIds(s.owner().get(s.members()).expect(200).json()));
        JsonNode again = addMember(s, m1);
        assertEquals("pending", again.get("status").asText(), "re-added afresh");
        String priv = create(s.owner(), json("visibility", "private")).get("id").asText();
        s.owner().delete("/v2/images/" + priv + "/members/" + m1).expect(403);
    }

    @Test
    @DisplayName("API-109: members read the image in every member status; default list only when accepted")
    void api109_memberVisibility() {
        Shared s = shared();
        String m = project("m");
        addMember(s, m);
        ApiClient member = admin.member(m);
        for (String status : List.of("pending", "rejected", "accepted")) {
            if (!status.equals("pending")) member.put(s.member(m), json("status", status)).expect(200);
            JsonNode img = member.get("/v2/images/" + s.id()).expect(200).json();
            assertValidImage(img);
            boolean listed = member.listIds("").contains(s.id());
            assertEquals(status.equals("accepted"), listed, status);
            assertTrue(member.listIds("member_status=" + status).contains(s.id()), status);
        }
        // a member may not modify the image
        member.patch("/v2/images/" + s.id(), "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"x\"}]").expect(403);
        // away from shared the membership grants nothing; back to shared it counts again
        String vis = "[{\"op\":\"replace\",\"path\":\"/visibility\",\"value\":\"%s\"}]";
        s.owner().patch("/v2/images/" + s.id(), String.format(vis, "private")).expect(200);
        member.get("/v2/images/" + s.id()).expect(404);
        assertFalse(member.listIds("").contains(s.id()));
        s.owner().patch("/v2/images/" + s.id(), String.format(vis, "shared")).expect(200);
        member.get("/v2/images/" + s.id()).expect(200);
        assertEquals("accepted", s.owner().get(s.member(m)).expect(200).json().get("status").asText());
        // deleting the image takes its members along
        s.owner().delete("/v2/images/" + s.id()).expect(204);
        s.owner().get(s.members()).expect(404);
    }
}
