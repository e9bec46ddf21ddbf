package io.glint.registry.query;

import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImagePage;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.Result;
import io.glint.registry.model.Visibility;
import io.glint.registry.query.ListImagesRequest.SortField;
import io.glint.registry.query.ListImagesRequest.SortKey;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.glint.registry.query.ListFixture.image;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The list query's semantics (spec §4.3.1-§4.3.4) on small hand-made registries. */
class ImageListerTest {
    private static final Identity ADMIN = new Identity("p9", "root", List.of("admin"));
    private static final Identity P1 = Identity.member("p1");
    private static final Identity P2 = Identity.member("p2");
    private static final Identity ANONYMOUS = new Identity(null, null, List.of());

    private ListFixture f;

    @BeforeEach
    void setUp() {
        f = new ListFixture();
    }

    /** The ids on one page of {@code qs} (parsed like the API parses it) for {@code caller}. */
    private List<String> ids(Identity caller, String qs) {
        ImagePage p = page(caller, qs);
        List<String> out = new ArrayList<>();
        for (Image i : p.images()) out.add(i.id());
        return out;
    }

    private ImagePage page(Identity caller, String qs) {
        Result r = list(caller, qs);
        assertTrue(r.isOk(), () -> qs + " -> " + r);
        return r.value(ImagePage.class);
    }

    private Result list(Identity caller, String qs) {
        ListParams.Parsed p = ListParams.parse(caller, ListParamsTest.query(qs));
        assertTrue(p.isOk(), () -> qs + " -> " + p.error());
        return ImageLister.list(f.store, p.request());
    }

    /** One image of every kind p1 may or may not see; created_at = its number, so default order is by number desc. */
    private void visibilityZoo() {
        f.put(image("01").owner("p2").visibility(Visibility.PUBLIC).created(1000).build());
        f.put(image("02").owner("p1").visibility(Visibility.PRIVATE).created(2000).build());
        f.put(image("03").owner("p1").visibility(Visibility.COMMUNITY).created(3000).build());
        f.put(image("04").owner("p2").visibility(Visibility.COMMUNITY).created(4000).build());
        f.put(image("05").owner("p2").visibility(Visibility.SHARED).created(5000).build());
        f.member("05", "p1", MemberStatus.ACCEPTED);
        f.put(image("06").owner("p2").visibility(Visibility.SHARED).created(6000).build());
        f.member("06", "p1", MemberStatus.PENDING);
        f.put(image("07").owner("p2").visibility(Visibility.SHARED).created(7000).build());
        f.member("07", "p1", MemberStatus.REJECTED);
        f.put(image("08").owner("p2").visibility(Visibility.PRIVATE).created(8000).build());
        f.put(image("09").owner("p1").visibility(Visibility.PUBLIC).hidden(true).created(9000).build());
        f.put(image("10").owner("p1").visibility(Visibility.PUBLIC).status(ImageStatus.KILLED).created(10000).build());
        f.put(image("11").owner("p1").visibility(Visibility.PUBLIC).status(ImageStatus.DELETED).created(11000).build());
        f.put(image("12").owner("p1").visibility(Visibility.PUBLIC).status(ImageStatus.PENDING_DELETE).created(12000)
                .build());
        f.put(image("13").owner("p2").visibility(Visibility.SHARED).created(13000).build());
        f.put(image("14").owner("p1").visibility(Visibility.SHARED).created(14000).build());
        f.put(image("15").owner("p1").visibility(Visibility.PUBLIC).status(ImageStatus.QUEUED).created(15000).build());
    }

    @Test
    @DisplayName("API-037 default list: public + own + accepted shared; own community only; hidden, killed, deleted out")
    void defaultListOfAMember() {
        visibilityZoo();
        assertEquals(List.of("15", "14", "05", "03", "02", "01"), ids(P1, ""));
    }

    @Test
    @DisplayName("API-038 admin list covers every project but still leaves out foreign community images")
    void adminList() {
        visibilityZoo();
        assertEquals(List.of("15", "14", "13", "08", "07", "06", "05", "02", "01"), ids(ADMIN, ""));
        assertEquals(List.of("15", "14", "13", "08", "07", "06", "05", "04", "03", "02", "01"),
                ids(ADMIN, "visibility=all"));
    }

    @Test
    @DisplayName("API-039 visibility filter: community lists every community image, shared = own + shared-with-me, all")
    void visibilityParameter() {
        visibilityZoo();
        assertEquals(List.of("04", "03"), ids(P1, "visibility=community"));
        assertEquals(List.of("14", "05"), ids(P1, "visibility=shared"));
        assertEquals(List.of("02"), ids(P1, "visibility=private"));
        assertEquals(List.of("15", "01"), ids(P1, "visibility=public"));
        assertEquals(List.of("15", "14", "05", "04", "03", "02", "01"), ids(P1, "visibility=all"));
        assertEquals(List.of("15", "14", "05", "04", "03", "02", "01"), ids(P1, "visibility=all&member_status=accepted"));
    }

    @Test
    @DisplayName("API-040 member_status picks the shared-with-me images by my member status")
    void memberStatusParameter() {
        visibilityZoo();
        assertEquals(List.of("14", "06"), ids(P1, "visibility=shared&member_status=pending"));
        assertEquals(List.of("14", "07"), ids(P1, "visibility=shared&member_status=rejected"));
        assertEquals(List.of("14", "07", "06", "05"), ids(P1, "visibility=shared&member_status=all"));
    }

    @Test
    @DisplayName("API-041 os_hidden=true lists only hidden images")
    void hiddenImages() {
        visibilityZoo();
        assertEquals(List.of("09"), ids(P1, "os_hidden=true"));
        assertEquals(List.of(), ids(P2, "os_hidden=true&visibility=private"));
    }

    @Test
    @DisplayName("API-037 a caller without a project sees public images, and community ones only when asked")
    void anonymousCaller() {
        visibilityZoo();
        assertEquals(List.of("15", "01"), ids(ANONYMOUS, ""));
        assertEquals(List.of("15", "04", "03", "01"), ids(ANONYMOUS, "visibility=all"));
    }

    @Test
    @DisplayName("API-035 paging: full pages carry on from the marker; the page after an exact fit is empty")
    void pagingByMarker() {
        for (int i = 1; i <= 6; i++) f.put(image("0" + i).created(i * 1000L).build());
        ImagePage first = page(P1, "limit=2");
        assertEquals(List.of("06", "05"), idsOf(first));
        assertTrue(first.full());
        ImagePage second = page(P1, "limit=2&marker=05");
        assertEquals(List.of("04", "03"), idsOf(second));
        ImagePage third = page(P1, "limit=2&marker=03");
        assertEquals(List.of("02", "01"), idsOf(third));
        assertTrue(third.full());
        ImagePage fourth = page(P1, "limit=2&marker=01");
        assertEquals(List.of(), idsOf(fourth));
        assertFalse(fourth.full());
        ImagePage shortPage = page(P1, "limit=4&marker=04");
        assertEquals(List.of("03", "02", "01"), idsOf(shortPage));
        assertFalse(shortPage.full());
    }

    @Test
    @DisplayName("API-034 limit 0 gives an empty page that is not full")
    void limitZero() {
        f.put(image("01").build());
        ImagePage p = page(P1, "limit=0");
        assertEquals(List.of(), p.images());
        assertFalse(p.full());
    }

    @Test
    @DisplayName("API-036 unknown, invisible or deleted marker -> 400")
    void badMarkers() {
        visibilityZoo();
        assertEquals(Result.Code.INVALID, list(P1, "marker=nope").code());
        assertEquals(Result.Code.INVALID, list(P1, "marker=08").code(), "private image of p2");
        assertEquals(Result.Code.INVALID, list(P1, "marker=13").code(), "shared with others only");
        assertEquals(Result.Code.INVALID, list(P1, "marker=11").code(), "deleted");
        assertTrue(list(P1, "marker=06").isOk(), "pending membership still makes it visible");
        assertTrue(list(P1, "marker=04").isOk(), "a foreign community image is a valid marker");
        assertTrue(list(ADMIN, "marker=08").isOk());
    }

    @Test
    @DisplayName("API-035 a marker that the filters exclude still positions the page")
    void markerOutsideFilter() {
        f.put(image("01").created(1000).tags("x").build());
        f.put(image("02").created(2000).build());
        f.put(image("03").created(3000).tags("x").build());
        assertEquals(List.of("01"), ids(P1, "tag=x&marker=02"));
    }

    @Test
    @DisplayName("API-051 default order: created_at desc, then id desc")
    void defaultOrderTieBreak() {
        f.put(image("a").created(5000).build());
        f.put(image("c").created(5000).build());
        f.put(image("b").created(5000).build());
        f.put(image("d").created(1000).build());
        assertEquals(List.of("c", "b", "a", "d"), ids(P1, ""));
        assertEquals(List.of("b", "a", "d"), ids(P1, "marker=c"));
        assertEquals(List.of("a", "d"), ids(P1, "marker=b"));
    }

    @Test
    @DisplayName("API-049 name sort: nulls first ascending, last descending; strings by UTF-8 bytes")
    void nameSortNullsAndBytes() {
        f.put(image("1").name(null).build());
        f.put(image("2").name("B").build());
        f.put(image("3").name("a").build());
        f.put(image("4").name("\uD83D\uDE00").build());
        f.put(image("5").name("\uE000").build());
        f.put(image("6").name("").build());
        assertEquals(List.of("1", "6", "2", "3", "5", "4"), ids(P1, "sort=name:asc"));
        assertEquals(List.of("4", "5", "3", "2", "6", "1"), ids(P1, "sort=name:desc"));
    }

    @Test
    @DisplayName("API-049 sort by a non-unique key with mixed directions; marker inside a run of equal values")
    void runsOfEqualValues() {
        f.put(image("a").size(10L).created(1000).build());
        f.put(image("b").size(10L).created(3000).build());
        f.put(image("c").size(10L).created(2000).build());
        f.put(image("d").size(null).created(2000).build());
        f.put(image("e").size(5L).created(2000).build());
        String qs = "sort_key=size&sort_key=created_at&sort_dir=desc&sort_dir=asc";
        assertEquals(List.of("a", "c", "b", "e", "d"), ids(P1, qs));
        assertEquals(List.of("c", "b", "e"), ids(P1, qs + "&marker=a&limit=3"));
        assertEquals(List.of("b", "e", "d"), ids(P1, qs + "&marker=c"));
        assertEquals(List.of("d"), ids(P1, qs + "&marker=e"));
    }

    @Test
    @DisplayName("API-042/043 exact and in: filters on name, status and formats")
    void exactAndInFilters() {
        f.put(image("1").name("x").formats("bare", "raw").build());
        f.put(image("2").name("y").formats("ovf", "qcow2").status(ImageStatus.QUEUED).build());
        f.put(image("3").name("glass, darkly").formats("bare", "iso").build());
        f.put(image("4").name("a:b").formats(null, null).build());
        assertEquals(List.of("1"), ids(P1, "name=x"));
        assertEquals(List.of("3", "1"), ids(P1, "name=in:x,%22glass,%20darkly%22"));
        assertEquals(List.of("4"), ids(P1, "name=eq:a:b"));
        assertEquals(List.of("2"), ids(P1, "status=queued"));
        assertEquals(List.of("4", "3", "2", "1"), ids(P1, "status=in:queued,active"));
        assertEquals(List.of("3", "1"), ids(P1, "container_format=bare"));
        assertEquals(List.of("3", "2"), ids(P1, "disk_format=in:qcow2,iso"));
        assertEquals(List.of("2", "1"), ids(P1, "id=in:1,2,99"));
        assertEquals(List.of(), ids(P1, "name=in:"));
    }

    @Test
    @DisplayName("API-042 owner, protected and hash filters")
    void ownerProtectedFilters() {
        f.put(image("1").owner("p1").isProtected(true).build());
        f.put(image("2").owner("p2").build());
        assertEquals(List.of("2"), ids(P1, "owner=p2"));
        assertEquals(List.of("1"), ids(P1, "protected=true"));
        assertEquals(List.of("2"), ids(P1, "protected=false"));
        assertEquals(List.of(), ids(P1, "checksum=abc"));
    }

    @Test
    @DisplayName("API-044 time filters compare whole seconds")
    void timeFilters() {
        f.put(image("1").created(1_731_000_000_000L).updated(1_731_000_000_999L).build());
        f.put(image("2").created(1_731_000_001_000L).updated(1_731_000_001_000L).build());
        String t = "2024-11-07T17:20:00Z"; // 1731000000
        assertEquals(List.of("1"), ids(P1, "created_at=" + t));
        assertEquals(List.of("1"), ids(P1, "updated_at=eq:" + t));
        assertEquals(List.of("2"), ids(P1, "updated_at=gt:" + t));
        assertEquals(List.of("2", "1"), ids(P1, "created_at=gte:" + t));
        assertEquals(List.of(), ids(P1, "created_at=lt:" + t));
        assertEquals(List.of("1"), ids(P1, "created_at=lte:" + t));
        assertEquals(List.of("2"), ids(P1, "created_at=neq:" + t));
    }

    @Test
    @DisplayName("API-045 size_min / size_max; an image without size never matches")
    void sizeRange() {
        f.put(image("1").size(10L).build());
        f.put(image("2").size(20L).build());
        f.put(image("3").size(null).build());
        assertEquals(List.of("2"), ids(P1, "size_min=11"));
        assertEquals(List.of("2", "1"), ids(P1, "size_min=10&size_max=20"));
        assertEquals(List.of("1"), ids(P1, "size_max=10"));
    }

    @Test
    @DisplayName("API-046 repeated tag filters combine with AND")
    void tagsAnd() {
        f.put(image("1").tags("a", "b").build());
        f.put(image("2").tags("a").build());
        f.put(image("3").tags("b").build());
        assertEquals(List.of("2", "1"), ids(P1, "tag=a"));
        assertEquals(List.of("1"), ids(P1, "tag=a&tag=b"));
        assertEquals(List.of("1"), ids(P1, "tag=b&tag=a&sort=name:asc"));
    }

    @Test
    @DisplayName("API-047 unknown keys filter on extra properties; min_ram / min_disk exact")
    void extraPropertyFilter() {
        f.put(image("1").extra("os_distro", "cirros").build());
        f.put(image("2").extra("os_distro", "ubuntu").build());
        f.put(image("3").build());
        assertEquals(List.of("1"), ids(P1, "os_distro=cirros"));
        assertEquals(List.of(), ids(P1, "os_distro=Cirros"));
        assertEquals(List.of("3", "2", "1"), ids(P1, "min_ram=0"));
        assertEquals(List.of(), ids(P1, "min_disk=1"));
    }

    @Test
    @DisplayName("an image that becomes killed, deleted or changes owner moves in or out of the list at once")
    void reindexOnChange() {
        f.put(image("1").owner("p1").visibility(Visibility.PRIVATE).build());
        assertEquals(List.of("1"), ids(P1, ""));
        f.put(image("1").owner("p2").visibility(Visibility.PRIVATE).build());
        assertEquals(List.of(), ids(P1, ""));
        assertEquals(List.of("1"), ids(P2, "owner=p2"));
        f.put(image("1").owner("p2").visibility(Visibility.PRIVATE).status(ImageStatus.KILLED).build());
        assertEquals(List.of(), ids(P2, ""));
        f.put(image("1").owner("p2").visibility(Visibility.PRIVATE).build());
        assertEquals(List.of("1"), ids(P2, ""));
        f.remove("1");
        assertEquals(List.of(), ids(ADMIN, "visibility=all"));
    }

    @Test
    @DisplayName("membership changes are seen without touching the image")
    void membershipChanges() {
        f.put(image("1").owner("p2").visibility(Visibility.SHARED).build());
        assertEquals(List.of(), ids(P1, ""));
        f.member("1", "p1", MemberStatus.PENDING);
        assertEquals(List.of(), ids(P1, ""));
        f.member("1", "p1", MemberStatus.ACCEPTED);
        assertEquals(List.of("1"), ids(P1, ""));
        f.removeMember("1", "p1");
        assertEquals(List.of(), ids(P1, "member_status=all"));
    }

    @Test
    @DisplayName("a request whose sort lacks the tie-breakers still pages stably (created_at desc, id desc appended)")
    void incompleteSortIsCompleted() {
        f.put(image("a").name("n").created(1000).build());
        f.put(image("b").name("n").created(1000).build());
        f.put(image("c").name("n").created(2000).build());
        ListImagesRequest base = ListImagesRequest.defaults(P1);
        ListImagesRequest r = new ListImagesRequest(P1, base.visibility(), base.memberStatus(), false, null, null,
                null, null, null, null, null, null, null, null, null, null,
                List.of(new SortKey(SortField.NAME, false)), "c", 10);
        List<String> out = new ArrayList<>();
        for (Image i : ImageLister.list(f.store, r).value(ImagePage.class).images()) out.add(i.id());
        assertEquals(List.of("b", "a"), out);
    }

    @Test
    @DisplayName("a request naming an unsupported core field is INVALID, not a crash")
    void unsupportedField() {
        ListImagesRequest r = new ListImagesRequest(P1, null, null, false, new TreeMap<>(Map.of("owner", List.of("x"))),
                null, null, null, null, null, null, null, null, new TreeMap<>(Map.of("ram", 1L)), null, null, null,
                null, 5);
        assertEquals(Result.Code.INVALID, ImageLister.list(f.store, r).code());
    }

    private static List<String> idsOf(ImagePage p) {
        List<String> out = new ArrayList<>();
        for (Image i : p.images()) out.add(i.id());
        return out;
    }
}
