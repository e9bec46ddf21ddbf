package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.glint.registry.model.Visibility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static io.glint.node.api.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /v2/images} (spec §4.3): shape, paging, candidate sets per caller, filters and sort.
 * Each group of images carries a tag of its own and every query filters on it, so groups (and the
 * images other tests create) never leak into each other's answers.
 */
class ImageListTest extends ApiTestBase {
    private static final int PAGES_MAX = 50;

    private final String pa = project("pa");
    private final String pb = project("pb");
    private final String pc = project("pc");
    private final String vw = project("vw");
    private String paPrivate;
    private String paSharedAcc;
    private String paSharedPend;
    private String paSharedRej;
    private String paPublic;
    private String paCommunity;
    private String paHidden;
    private String paDeleted;
    private String pbPrivate;
    private String pbShared;
    private String pbCommunity;

    @BeforeAll
    void visibilityWorld() {
        ApiClient a = admin.member(pa);
        ApiClient b = admin.member(pb);
        List<String> t = List.of(vw);
        paPrivate = a.create(json("visibility", "private", "tags", t)).get("id").asText();
        paSharedAcc = a.create(json("visibility", "shared", "tags", t)).get("id").asText();
        paSharedPend = a.create(json("visibility", "shared", "tags", t)).get("id").asText();
        paSharedRej = a.create(json("visibility", "shared", "tags", t)).get("id").asText();
        paPublic = admin.create(json("visibility", "public", "owner", pa, "tags", t)).get("id").asText();
        paCommunity = a.create(json("visibility", "community", "tags", t)).get("id").asText();
        paHidden = admin.create(json("visibility", "public", "owner", pa, "os_hidden", true, "tags", t))
                .get("id").asText();
        paDeleted = admin.create(json("visibility", "public", "owner", pa, "tags", t)).get("id").asText();
        admin.delete("/v2/images/" + paDeleted).expect(204);
        pbPrivate = b.create(json("visibility", "private", "tags", t)).get("id").asText();
        pbShared = b.create(json("visibility", "shared", "tags", t)).get("id").asText();
        pbCommunity = b.create(json("visibility", "community", "tags", t)).get("id").asText();
        for (String img : List.of(paSharedAcc, paSharedPend, paSharedRej)) {
            a.post("/v2/images/" + img + "/members", json("member", pb)).expect(200);
        }
        b.put("/v2/images/" + paSharedAcc + "/members/" + pb, json("status", "accepted")).expect(200);
        b.put("/v2/images/" + paSharedRej + "/members/" + pb, json("status", "rejected")).expect(200);
    }

    private static String q(String key, String value) {
        return key + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** The ids of one page of {@code GET /v2/images?<query>} as {@code who}, validating each image. */
    private List<String> page(ApiClient who, String query) {
        JsonNode body = who.get("/v2/images?" + query).expect(200).json();
        for (JsonNode i : body.get("images")) assertValidImage(i);
        return ApiClient.ids(body);
    }

    private Set<String> set(ApiClient who, String query) {
        List<String> ids = page(who, query + "&limit=1000");
        Set<String> out = new TreeSet<>(ids);
        assertEquals(ids.size(), out.size(), "duplicates in " + ids);
        return out;
    }

    private static Set<String> setOf(String... ids) {
        return new TreeSet<>(List.of(ids));
    }

    private void assertWorld(ApiClient who, String extra, String... expected) {
        String query = "tag=" + vw + (extra.isEmpty() ? "" : "&" + extra);
        assertEquals(setOf(expected), set(who, query), query);
    }

    private void status(int expected, ApiClient who, String query) {
        ApiClient.Resp r = who.get("/v2/images?" + query);
        assertEquals(expected, r.status(), query + " -> " + r.body());
    }

    // --- shape and paging ------------------------------------------------------------------------

    @Test
    @DisplayName("API-033: list shape: images, first, schema; no next on a short page")
    void api033_listShape() {
        ApiClient.Resp r = admin.member(project("empty")).get("/v2/images").expect(200);
        assertJsonContentType(r);
        JsonNode b = r.json();
        Set<String> keys = new TreeSet<>();
        b.fieldNames().forEachRemaining(keys::add);
        assertEquals(Set.of("images", "first", "schema"), keys);
        assertTrue(b.get("images").isArray());
        assertEquals("/v2/images", b.get("first").asText());
        assertEquals("/v2/schemas/images", b.get("schema").asText());
        JsonNode withParams = admin.member(pb).get("/v2/images?limit=2&tag=" + vw + "&marker=" + pbShared)
                .expect(200).json();
        assertEquals("/v2/images?limit=2&tag=" + vw, withParams.get("first").asText());
        JsonNode onlyMarker = admin.member(pb).get("/v2/images?marker=" + pbShared).expect(200).json();
        assertEquals("/v2/images", onlyMarker.get("first").asText());
    }

    @Test
    @DisplayName("API-034: default limit 25, cap 1000, limit=0 empty; bad or negative limit -> 400")
    void api034_limits() {
        String many = project("many");
        for (int i = 0; i < 1005; i++) createAt(System.currentTimeMillis(), many, null, Visibility.PRIVATE, List.of());
        ApiClient m = admin.member(many);
        JsonNode first = m.get("/v2/images").expect(200).json();
        assertEquals(25, first.get("images").size());
        assertTrue(first.has("next"));
        JsonNode capped = m.get("/v2/images?limit=5000").expect(200).json();
        assertEquals(1000, capped.get("images").size());
        assertTrue(capped.get("next").asText().contains("limit=5000"), "next keeps the parameter as sent");
        assertEquals(1000, m.get("/v2/images?limit=99999999999999999999").expect(200).json().get("images").size());
        JsonNode zero = m.get("/v2/images?limit=0").expect(200).json();
        assertEquals(0, zero.get("images").size());
        assertFalse(zero.has("next"));
        for (String bad : List.of("-1", "abc", "1.5", "", "1e3")) status(400, m, "limit=" + bad);
    }

    @Test
    @DisplayName("API-035: following next page by page until it is absent yields every image once, in order")
    void api035_markerPaging() {
        String pg = project("pg");
        String t1 = project("t1");
        String t2 = project("t2");
        String six = project("six");
        ApiClient m = admin.member(pg);
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            List<String> tags = i < 6 ? List.of(t1, t2, six) : List.of(t1, t2);
            created.add(m.create(json("name", "img" + i, "tags", tags)).get("id").asText());
        }
        String query = "limit=3&tag=" + t1 + "&tag=" + t2;
        List<String> all = page(m, "limit=100&tag=" + t1 + "&tag=" + t2);
        assertEquals(new TreeSet<>(created), new TreeSet<>(all));
        List<Integer> sizes = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        String link = "/v2/images?" + query;
        for (int n = 0; link != null; n++) {
            assertTrue(n < PAGES_MAX, "paging does not end");
            JsonNode body = m.get(link).expect(200).json();
            assertEquals("/v2/images?" + query, body.get("first").asText());
            List<String> ids = ApiClient.ids(body);
            sizes.add(ids.size());
            seen.addAll(ids);
            if (body.has("next")) {
                String next = body.get("next").asText();
                assertTrue(next.startsWith("/v2/images?"), next);
                assertTrue(next.contains("tag=" + t1) && next.contains("tag=" + t2), "repeated tags kept: " + next);
                assertTrue(next.contains("limit=3"), next);
                assertTrue(next.endsWith("marker=" + ids.get(ids.size() - 1)), next);
                link = next;
            } else {
                link = null;
            }
        }
        assertEquals(List.of(3, 3, 1), sizes);
        assertEquals(all, seen);
        // six images, pages of three: the third page is empty and has no next (Glance quirk)
        sizes.clear();
        link = "/v2/images?limit=3&tag=" + six;
        for (int n = 0; link != null; n++) {
            assertTrue(n < PAGES_MAX, "paging does not end");
            JsonNode body = m.get(link).expect(200).json();
            sizes.add(body.get("images").size());
            link = body.has("next") ? body.get("next").asText() : null;
        }
        assertEquals(List.of(3, 3, 0), sizes);
    }

    @Test
    @DisplayName("API-036: unknown, invisible, deleted or non-UUID marker -> 400")
    void api036_badMarker400() {
        status(400, admin, "marker=" + uuid());
        status(400, admin, "marker=not-a-uuid");
        status(400, admin, "marker=" + paDeleted);
        status(400, admin.member(pc), "marker=" + pbPrivate);
        status(200, admin.member(pb), "marker=" + pbPrivate);
    }

    // --- candidate sets ---------------------------------------------------------------------------

    @Test
    @DisplayName("API-037: default list of a member: public + own (incl. own community) + accepted shared")
    void api037_defaultListOfMember() {
        assertWorld(admin.member(pb), "", paPublic, paSharedAcc, pbPrivate, pbShared, pbCommunity);
        assertWorld(admin.member(pa), "", paPrivate, paSharedAcc, paSharedPend, paSharedRej, paPublic, paCommunity);
        assertWorld(admin.member(pc), "", paPublic);
    }

    @Test
    @DisplayName("API-038: admin lists every project's images, community still excluded by default")
    void api038_adminList() {
        assertWorld(admin, "", paPrivate, paSharedAcc, paSharedPend, paSharedRej, paPublic, pbPrivate, pbShared);
        assertWorld(admin, "visibility=all", paPrivate, paSharedAcc, paSharedPend, paSharedRej, paPublic, pbPrivate,
                pbShared, paCommunity, pbCommunity);
        assertWorld(admin, "visibility=shared", paSharedAcc, paSharedPend, paSharedRej, pbShared);
        assertWorld(admin, "visibility=community", paCommunity, pbCommunity);
        assertWorld(admin.as(project("other"), "admin"), "visibility=private", paPrivate, pbPrivate);
    }

    @Test
    @DisplayName("API-039: visibility filter public/private/shared/community/all; invalid -> 400")
    void api039_visibilityFilter() {
        ApiClient b = admin.member(pb);
        assertWorld(b, "visibility=public", paPublic);
        assertWorld(b, "visibility=private", pbPrivate);
        assertWorld(b, "visibility=shared", paSharedAcc, pbShared);
        assertWorld(b, "visibility=community", paCommunity, pbCommunity);
        assertWorld(b, "visibility=all", paPublic, paSharedAcc, pbPrivate, pbShared, pbCommunity, paCommunity);
        ApiClient c = admin.member(pc);
        assertWorld(c, "visibility=community", paCommunity, pbCommunity);
        assertWorld(c, "visibility=all", paPublic, paCommunity, pbCommunity);
        assertWorld(c, "visibility=private");
        for (String bad : List.of("bogus", "Public", "")) status(400, b, "visibility=" + bad);
    }

    @Test
    @DisplayName("API-040: member_status accepted (default) / pending / rejected / all; invalid -> 400")
    void api040_memberStatus() {
        ApiClient b = admin.member(pb);
        assertWorld(b, "member_status=accepted", paPublic, paSharedAcc, pbPrivate, pbShared, pbCommunity);
        assertWorld(b, "member_status=pending", paPublic, paSharedPend, pbPrivate, pbShared, pbCommunity);
        assertWorld(b, "member_status=rejected", paPublic, paSharedRej, pbPrivate, pbShared, pbCommunity);
        assertWorld(b, "member_status=all", paPublic, paSharedAcc, paSharedPend, paSharedRej, pbPrivate, pbShared,
                pbCommunity);
        assertWorld(b, "visibility=shared&member_status=pending", paSharedPend, pbShared);
        assertWorld(admin, "visibility=shared&member_status=pending", paSharedAcc, paSharedPend, paSharedRej,
                pbShared);
        status(400, b, "member_status=bogus");
    }

    @Test
    @DisplayName("API-041: os_hidden default false; true -> only hidden (case-insensitive); invalid -> 400")
    void api041_osHidden() {
        ApiClient b = admin.member(pb);
        assertWorld(b, "os_hidden=true", paHidden);
        assertWorld(b, "os_hidden=TRUE", paHidden);
        assertWorld(b, "os_hidden=False", paPublic, paSharedAcc, pbPrivate, pbShared, pbCommunity);
        assertWorld(admin, "os_hidden=true&visibility=all", paHidden);
        status(400, b, "os_hidden=maybe");
        status(400, b, "os_hidden=1");
    }

    @Test
    @DisplayName("API-037/109: deleted images are never listed; shared images only when accepted by default")
    void api037_deletedNeverListed() {
        for (ApiClient who : List.of(admin, admin.member(pa))) {
            assertFalse(set(who, "tag=" + vw + "&visibility=all&member_status=all").contains(paDeleted));
            assertFalse(set(who, "tag=" + vw + "&visibility=public").contains(paDeleted));
        }
    }

    // --- filters ---------------------------------------------------------------------------------

    @Test
    @DisplayName("API-042..048: exact filters, in:, size range, tags AND, extra properties, changes-since")
    void api042_filters() {
        String pf = project("pf");
        String ft = project("ft");
        ApiClient m = admin.member(pf);
        String f1 = m.create(json("name", "alpha", "disk_format", "raw", "container_format", "bare", "min_ram", 512,
                "protected", true, "os_distro", "ubuntu", "tags", List.of(ft, "x", "y"))).get("id").asText();
        String f2 = m.create(json("name", "beta", "disk_format", "qcow2", "container_format", "bare", "min_disk", 10,
                "os_distro", "fedora", "tags", List.of(ft, "x"))).get("id").asText();
        String f3 = m.create(json("name", "glass, darkly", "disk_format", "iso", "container_format", "ovf",
                "tags", List.of(ft, "y"))).get("id").asText();
        String f4 = m.create(json("name", "a:b", "tags", List.of(ft))).get("id").asText();
        String f5 = m.create(json("name", "say \"hi\"", "tags", List.of(ft))).get("id").asText();
        byte[] d2 = new byte[100];
        byte[] d3 = new byte[300];
        d3[0] = 1;
        activate(f2, d2);
        activate(f3, d3);
        String base = "tag=" + ft + "&";
        List<Object[]> cases = List.of(
                new Object[] {q("name", "alpha"), setOf(f1)},
                new Object[] {q("name", "Alpha"), setOf()},
                new Object[] {q("name", "in:alpha,beta"), setOf(f1, f2)},
                new Object[] {q("name", "in:\"glass, darkly\",beta"), setOf(f2, f3)},
                new Object[] {q("name", "in:\"say \\\"hi\\\"\""), setOf(f5)},
                new Object[] {q("name", "eq:a:b"), setOf(f4)},
                new Object[] {q("name", "eq:alpha"), setOf(f1)},
                new Object[] {q("id", f1), setOf(f1)},
                new Object[] {q("id", "in:" + f1 + "," + f2), setOf(f1, f2)},
                new Object[] {q("status", "active"), setOf(f2, f3)},
                new Object[] {q("status", "queued"), setOf(f1, f4, f5)},
                new Object[] {q("status", "in:queued,active"), setOf(f1, f2, f3, f4, f5)},
                new Object[] {q("disk_format", "raw"), setOf(f1)},
                new Object[] {q("disk_format", "in:iso,qcow2"), setOf(f2, f3)},
                new Object[] {q("container_format", "in:bare,ovf"), setOf(f1, f2, f3)},
                new Object[] {q("container_format", "bare"), setOf(f1, f2)},
                new Object[] {q("owner", pf), setOf(f1, f2, f3, f4, f5)},
                new Object[] {q("owner", "someone"), setOf()},
                new Object[] {q("protected", "true"), setOf(f1)},
                new Object[] {q("protected", "false"), setOf(f2, f3, f4, f5)},
                new Object[] {q("checksum", hex("MD5", d2)), setOf(f2)},
                new Object[] {q("os_hash_value", hex("SHA-512", d3)), setOf(f3)},
                new Object[] {q("size_min", "100"), setOf(f2, f3)},
                new Object[] {q("size_min", "101"), setOf(f3)},
                new Object[] {q("size_max", "100"), setOf(f2)},
                new Object[] {q("size_min", "100") + "&" + q("size_max", "300"), setOf(f2, f3)},
                new Object[] {q("size_max", "99"), setOf()},
                new Object[] {"tag=x", setOf(f1, f2)},
                new Object[] {"tag=x&tag=y", setOf(f1)},
                new Object[] {"tag=X", setOf()},
                new Object[] {q("os_distro", "ubuntu"), setOf(f1)},
                new Object[] {q("os_distro", "Ubuntu"), setOf()},
                new Object[] {q("no_such_property", "v"), setOf()},
                new Object[] {q("min_ram", "512"), setOf(f1)},
                new Object[] {q("min_disk", "10"), setOf(f2)});
        for (Object[] c : cases) {
            assertEquals(c[1], set(m, base + c[0]), (String) c[0]);
        }
        for (String bad : List.of(q("name", "a:b"), q("name", "gt:alpha"), q("name", "in:\"glass"),
                q("status", "lt:active"), q("protected", "True"), q("protected", "yes"), q("size_min", "abc"),
                q("size_max", "1.5"), q("changes-since", "2020-01-01T00:00:00Z"))) {
            status(400, m, base + bad);
        }
    }

    // --- time filters and sorting ----------------------------------------------------------------

    private static long at(String iso) {
        return Instant.parse(iso).toEpochMilli();
    }

    @Test
    @DisplayName("API-044: created_at / updated_at with gt, gte, eq, neq, lt, lte and bare times")
    void api044_timeFilters() {
        String pt = project("pt");
        String tt = project("tt");
        String t1 = createAt(at("2020-01-01T00:00:00Z"), pt, "c", Visibility.PRIVATE, List.of(tt)).id();
        String t2 = createAt(at("2021-01-01T00:00:00Z"), pt, "a", Visibility.PRIVATE, List.of(tt)).id();
        String t3 = createAt(at("2022-01-01T00:00:00Z"), pt, "b", Visibility.PRIVATE, List.of(tt)).id();
        ApiClient m = admin.member(pt);
        String base = "tag=" + tt + "&";
        assertEquals(List.of(t3, t2, t1), page(m, "tag=" + tt), "API-051: default order created_at desc");
        List<Object[]> cases = List.of(
                new Object[] {q("created_at", "gt:2020-06-01T00:00:00Z"), setOf(t2, t3)},
                new Object[] {q("created_at", "gte:2021-01-01T00:00:00Z"), setOf(t2, t3)},
                new Object[] {q("created_at", "gt:2021-01-01T00:00:00Z"), setOf(t3)},
                new Object[] {q("created_at", "lt:2021-01-01T00:00:00Z"), setOf(t1)},
                new Object[] {q("created_at", "lte:2021-01-01T00:00:00Z"), setOf(t1, t2)},
                new Object[] {q("created_at", "eq:2021-01-01T00:00:00Z"), setOf(t2)},
                new Object[] {q("created_at", "2021-01-01T00:00:00Z"), setOf(t2)},
                new Object[] {q("created_at", "neq:2021-01-01T00:00:00Z"), setOf(t1, t3)},
                new Object[] {q("created_at", "gt:2020-06-01T00:00:00Z") + "&" + q("created_at", "lt:2021-06-01T00:00:00Z"),
                        setOf(t2)},
                new Object[] {q("updated_at", "lt:2021-06-01T00:00:00Z"), setOf(t1, t2)});
        for (Object[] c : cases) assertEquals(c[1], set(m, base + c[0]), (String) c[0]);
        for (String bad : List.of(q("created_at", "yesterday"), q("created_at", "foo:2021-01-01T00:00:00Z"),
                q("created_at", "gt:not-a-time"), q("updated_at", "2021-13-01T00:00:00Z"))) {
            status(400, m, base + bad);
        }
    }

    @Test
    @DisplayName("API-049/050: sort_key/sort_dir and sort= syntaxes, validation, mixing -> 400")
    void api049_sorting() {
        String ps = project("ps");
        String st = project("st");
        String c = createAt(at("2020-01-01T00:00:00Z"), ps, "c", Visibility.PRIVATE, List.of(st)).id();
        String a = createAt(at("2021-01-01T00:00:00Z"), ps, "a", Visibility.PRIVATE, List.of(st)).id();
        String b = createAt(at("2022-01-01T00:00:00Z"), ps, "b", Visibility.PRIVATE, List.of(st)).id();
        ApiClient m = admin.member(ps);
        String base = "tag=" + st + "&";
        assertEquals(List.of(a, b, c), page(m, base + "sort_key=name&sort_dir=asc"));
        assertEquals(List.of(c, b, a), page(m, base + "sort_key=name"));
        assertEquals(List.of(c, a, b), page(m, base + "sort_key=created_at&sort_dir=asc"));
        assertEquals(List.of(a, b, c), page(m, base + "sort_key=name&sort_key=created_at&sort_dir=asc&sort_dir=desc"));
        assertEquals(List.of(c, a, b), page(m, base + "sort_key=status&sort_dir=asc"), "ties fall back to created_at");
        assertEquals(List.of(a, b, c), page(m, base + "sort=name:asc"));
        assertEquals(List.of(c, b, a), page(m, base + "sort=name"));
        assertEquals(List.of(c, b, a), page(m, base + q("sort", "status:asc,name:desc")));
        assertEquals(List.of(b, a, c), page(m, base + "sort=created_at:desc"));
        List<String> followed = new ArrayList<>();
        String link = "/v2/images?" + base + "sort=name:asc&limit=1";
        for (int n = 0; link != null; n++) {
            assertTrue(n < PAGES_MAX);
            JsonNode body = m.get(link).expect(200).json();
            followed.addAll(ApiClient.ids(body));
            link = body.has("next") ? body.get("next").asText() : null;
        }
        assertEquals(List.of(a, b, c), followed, "marker paging under a custom sort");
        for (String bad : List.of("sort_key=bogus", "sort_key=owner", "sort_dir=up", "sort_key=name&sort_dir=ASC",
                "sort_key=name&sort_dir=asc&sort_dir=desc", "sort_key=name&sort_key=id&sort_dir=asc&sort_dir=desc&sort_dir=asc",
                "sort=bogus:asc", "sort=name:sideways", "sort=name&sort_key=name", "sort=name&sort_dir=asc")) {
            status(400, m, base + bad);
        }
    }

    @Test
    @DisplayName("API-051: default order created_at desc, ties broken by id in the same direction")
    void api051_tieBreakById() {
        String pz = project("pz");
        String zt = project("zt");
        long same = at("2023-03-03T03:03:03Z");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) ids.add(createAt(same, pz, null, Visibility.PRIVATE, List.of(zt)).id());
        String older = createAt(same - 5_000, pz, null, Visibility.PRIVATE, List.of(zt)).id();
        ApiClient m = admin.member(pz);
        List<String> desc = new ArrayList<>(ids);
        desc.sort(Comparator.reverseOrder());
        desc.add(older);
        assertEquals(desc, page(m, "tag=" + zt));
        List<String> asc = new ArrayList<>(ids);
        asc.sort(Comparator.naturalOrder());
        asc.add(0, older);
        assertEquals(asc, page(m, "tag=" + zt + "&sort_dir=asc"));
        assertEquals(asc, page(m, "tag=" + zt + "&sort_key=name&sort_dir=asc"), "null names tie; asc tie-breakers");
        // paging one at a time through the ties is stable
        List<String> followed = new ArrayList<>();
        Set<String> unique = new HashSet<>();
        String link = "/v2/images?tag=" + zt + "&limit=1";
        for (int n = 0; link != null; n++) {
            assertTrue(n < PAGES_MAX);
            JsonNode body = m.get(link).expect(200).json();
            followed.addAll(ApiClient.ids(body));
            link = body.has("next") ? body.get("next").asText() : null;
        }
        unique.addAll(followed);
        assertEquals(desc, followed);
        assertEquals(desc.size(), unique.size());
    }
}
