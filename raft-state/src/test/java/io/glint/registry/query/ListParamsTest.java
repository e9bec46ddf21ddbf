package io.glint.registry.query;

import io.glint.registry.model.Identity;
import io.glint.registry.query.ListImagesRequest.MemberStatusFilter;
import io.glint.registry.query.ListImagesRequest.SortField;
import io.glint.registry.query.ListImagesRequest.SortKey;
import io.glint.registry.query.ListImagesRequest.TimeFilter;
import io.glint.registry.query.ListImagesRequest.VisibilityFilter;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every parsing rule of spec §4.3.1-§4.3.4, one table row each, named by checklist id. */
class ListParamsTest {
    private static final Identity CALLER = Identity.member("p1");
    private static final long T0 = Instant.parse("2024-11-07T17:07:06Z").getEpochSecond();
    private static final long DAY0 = Instant.parse("2024-11-07T00:00:00Z").getEpochSecond();
    private static final long DAY1 = Instant.parse("2024-11-08T00:00:00Z").getEpochSecond();

    /** Parses a URL query string ({@code a=1&b=2&b=3}, percent-encoded) the way the HTTP edge will. */
    static Map<String, List<String>> query(String qs) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (qs.isEmpty()) return out;
        for (String pair : qs.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }

    static ListImagesRequest ok(String qs) {
        ListParams.Parsed p = ListParams.parse(CALLER, query(qs));
        assertTrue(p.isOk(), () -> qs + " -> " + p.error());
        return p.request();
    }

    static SortKey asc(SortField f) {
        return new SortKey(f, false);
    }

    static SortKey desc(SortField f) {
        return new SortKey(f, true);
    }

    // --- rejected requests: 400 ----------------------------------------------------------------

    static Stream<Arguments> rejected() {
        return Stream.of(
                Arguments.of("API-034 limit not an integer", "limit=abc"),
                Arguments.of("API-034 limit a decimal", "limit=2.5"),
                Arguments.of("API-034 limit negative", "limit=-1"),
                Arguments.of("API-034 limit empty", "limit="),
                Arguments.of("API-039 visibility unknown", "visibility=everyone"),
                Arguments.of("API-039 visibility is case-sensitive", "visibility=Public"),
                Arguments.of("API-040 member_status unknown", "member_status=maybe"),
                Arguments.of("API-041 os_hidden not a boolean", "os_hidden=yes"),
                Arguments.of("API-042 protected upper case", "protected=True"),
                Arguments.of("API-042 protected not a boolean", "protected=1"),
                Arguments.of("API-043 unknown operator", "name=gt:a"),
                Arguments.of("API-043 colon in a plain value is an operator", "name=a:b"),
                Arguments.of("API-043 unknown operator on status", "status=neq:active"),
                Arguments.of("API-043 unknown operator on id", "id=like:x"),
                Arguments.of("API-043 unbalanced quotes", "name=in:%22abc,def"),
                Arguments.of("API-043 quote not after a comma", "name=in:ab%22c%22"),
                Arguments.of("API-043 no comma after closing quote", "name=in:%22a%22b,c"),
                Arguments.of("API-044 created_at not a time", "created_at=yesterday"),
                Arguments.of("API-044 created_at unknown operator", "created_at=after:2024-01-01T00:00:00Z"),
                Arguments.of("API-044 updated_at bad time after operator", "updated_at=gt:2024-13-01T00:00:00Z"),
                Arguments.of("API-044 updated_at bad time", "updated_at=lt:soon"),
                Arguments.of("API-045 size_min not an integer", "size_min=big"),
                Arguments.of("API-045 size_max not an integer", "size_max=1e3"),
                Arguments.of("API-047 min_ram not an integer", "min_ram=lots"),
                Arguments.of("API-048 changes-since", "changes-since=2024-01-01T00:00:00Z"),
                Arguments.of("API-049 unknown sort key", "sort_key=owner"),
                Arguments.of("API-049 unknown sort dir", "sort_key=name&sort_dir=up"),
                Arguments.of("API-049 two dirs for one key", "sort_key=name&sort_dir=asc&sort_dir=desc"),
                Arguments.of("API-049 two dirs for three keys",
                        "sort_key=name&sort_key=size&sort_key=id&sort_dir=asc&sort_dir=desc"),
                Arguments.of("API-049 two dirs and no key", "sort_dir=asc&sort_dir=desc"),
                Arguments.of("API-050 unknown key in sort", "sort=name:asc,owner"),
                Arguments.of("API-050 unknown dir in sort", "sort=name:upward"),
                Arguments.of("API-050 empty item in sort", "sort=name,"),
                Arguments.of("API-050 sort with sort_key", "sort=name&sort_key=size"),
                Arguments.of("API-050 sort with sort_dir", "sort=name&sort_dir=asc"));
    }

    @ParameterizedTest(name = "{0}: {1} -> 400")
    @MethodSource("rejected")
    void rejectedWith400(String rule, String qs) {
        ListParams.Parsed p = ListParams.parse(CALLER, query(qs));
        assertFalse(p.isOk(), rule + ": " + qs + " was accepted");
        assertNull(p.request());
        assertNotNull(p.error());
        assertFalse(p.error().isBlank());
    }

    // --- accepted requests: what they mean --------------------------------------------------

    static Stream<Arguments> accepted() {
        return Stream.of(
                row("API-034 default limit is 25", "", r -> r.limit(), 25),
                row("API-034 limit honoured", "limit=7", r -> r.limit(), 7),
                row("API-034 limit 0 allowed", "limit=0", r -> r.limit(), 0),
                row("API-034 limit capped at 1000", "limit=5000", r -> r.limit(), 1000),
                row("API-034 huge limit capped", "limit=99999999999999999999999", r -> r.limit(), 1000),
                row("API-035 marker", "marker=abc", r -> r.marker(), "abc"),
                row("API-035 no marker", "", r -> r.marker(), null),
                row("API-037 default visibility", "", r -> r.visibility(), VisibilityFilter.DEFAULT),
                row("API-037 os_hidden defaults to false", "", r -> r.osHidden(), false),
                row("API-039 visibility all", "visibility=all", r -> r.visibility(), VisibilityFilter.ALL),
                row("API-039 visibility public", "visibility=public", r -> r.visibility(), VisibilityFilter.PUBLIC),
                row("API-039 visibility private", "visibility=private", r -> r.visibility(), VisibilityFilter.PRIVATE),
                row("API-039 visibility shared", "visibility=shared", r -> r.visibility(), VisibilityFilter.SHARED),
                row("API-039 visibility community", "visibility=community", r -> r.visibility(),
                        VisibilityFilter.COMMUNITY),
                row("API-040 member_status default accepted", "", r -> r.memberStatus(), MemberStatusFilter.ACCEPTED),
                row("API-040 member_status pending", "member_status=pending", r -> r.memberStatus(),
                        MemberStatusFilter.PENDING),
                row("API-040 member_status rejected", "member_status=rejected", r -> r.memberStatus(),
                        MemberStatusFilter.REJECTED),
                row("API-040 member_status all", "member_status=all", r -> r.memberStatus(), MemberStatusFilter.ALL),
                row("API-041 os_hidden true", "os_hidden=true", r -> r.osHidden(), true),
                row("API-041 os_hidden is case-insensitive", "os_hidden=TRUE", r -> r.osHidden(), true),
                row("API-041 os_hidden False", "os_hidden=False", r -> r.osHidden(), false),
                row("API-042 name exact", "name=cirros", r -> r.anyOf().get("name"), List.of("cirros")),
                row("API-042 id exact", "id=i1", r -> r.anyOf().get("id"), List.of("i1")),
                row("API-042 status exact", "status=active", r -> r.anyOf().get("status"), List.of("active")),
                row("API-042 container_format exact", "container_format=bare",
                        r -> r.anyOf().get("container_format"), List.of("bare")),
                row("API-042 disk_format exact", "disk_format=qcow2", r -> r.anyOf().get("disk_format"),
                        List.of("qcow2")),
                row("API-042 owner exact", "owner=p9", r -> r.owner(), "p9"),
                row("API-042 owner with a colon is not an operator", "owner=a:b", r -> r.owner(), "a:b"),
                row("API-042 checksum exact", "checksum=abc", r -> r.checksum(), "abc"),
                row("API-042 os_hash_value exact", "os_hash_value=def", r -> r.osHashValue(), "def"),
                row("API-042 protected true", "protected=true", r -> r.isProtected(), true),
                row("API-042 protected false", "protected=false", r -> r.isProtected(), false),
                row("API-042 exact match is case-sensitive", "name=CirrOS", r -> r.anyOf().get("name"),
                        List.of("CirrOS")),
                row("API-043 eq: prefix", "name=eq:a:b", r -> r.anyOf().get("name"), List.of("a:b")),
                row("API-043 in: list", "status=in:active,queued", r -> r.anyOf().get("status"),
                        List.of("active", "queued")),
                row("API-043 in: with a quoted comma", "name=in:%22glass,%20darkly%22,share%20me",
                        r -> r.anyOf().get("name"), List.of("glass, darkly", "share me")),
                row("API-043 in: with an escaped quote", "name=in:%22say%20%5C%22hi%5C%22%22,x",
                        r -> r.anyOf().get("name"), List.of("say \"hi\"", "x")),
                row("API-043 in: empty item between commas", "name=in:a,,b", r -> r.anyOf().get("name"),
                        List.of("a", "", "b")),
                row("API-043 in: trailing comma adds nothing", "name=in:a,b,", r -> r.anyOf().get("name"),
                        List.of("a", "b")),
                row("API-043 in: quoted value with a colon", "id=in:%22a:b%22", r -> r.anyOf().get("id"),
                        List.of("a:b")),
                row("API-043 in: on disk_format", "disk_format=in:raw,qcow2", r -> r.anyOf().get("disk_format"),
                        List.of("raw", "qcow2")),
                row("API-044 bare timestamp means eq", "created_at=2024-11-07T17:07:06Z", r -> r.createdAt(),
                        List.of(new TimeFilter(TimeFilter.Op.EQ, T0))),
                row("API-044 gt", "created_at=gt:2024-11-07T17:07:06Z", r -> r.createdAt(),
                        List.of(new TimeFilter(TimeFilter.Op.GT, T0))),
                row("API-044 gte with an offset", "updated_at=gte:2024-11-07T19:07:06%2B02:00", r -> r.updatedAt(),
                        List.of(new TimeFilter(TimeFilter.Op.GTE, T0))),
                row("API-044 neq with a fraction", "updated_at=neq:2024-11-07T17:07:06.999Z", r -> r.updatedAt(),
                        List.of(new TimeFilter(TimeFilter.Op.NEQ, T0))),
                row("API-044 lt without a zone is UTC", "created_at=lt:2024-11-07T17:07:06", r -> r.createdAt(),
                        List.of(new TimeFilter(TimeFilter.Op.LT, T0))),
                row("API-044 lte with a date only", "created_at=lte:2024-11-07", r -> r.createdAt(),
                        List.of(new TimeFilter(TimeFilter.Op.LTE, DAY0))),
                row("API-044 eq: explicit", "created_at=eq:2024-11-07 17:07:06", r -> r.createdAt(),
                        List.of(new TimeFilter(TimeFilter.Op.EQ, T0))),
                row("API-044 repeated conditions all kept", "created_at=gt:2024-11-07&created_at=lt:2024-11-08",
                        r -> r.createdAt(), List.of(new TimeFilter(TimeFilter.Op.GT, DAY0),
                                new TimeFilter(TimeFilter.Op.LT, DAY1))),
                row("API-045 size_min", "size_min=10", r -> r.sizeMin(), 10L),
                row("API-045 size_max", "size_max=20", r -> r.sizeMax(), 20L),
                row("API-046 repeated tags all kept", "tag=a&tag=b", r -> r.tags(), List.of("a", "b")),
                row("API-047 unknown key is an extra-property filter", "os_distro=cirros", r -> r.extra(),
                        Map.of("os_distro", "cirros")),
                row("API-047 extra value with a colon is literal", "hw_bus=a:b", r -> r.extra(),
                        Map.of("hw_bus", "a:b")),
                row("API-047 min_ram exact", "min_ram=512", r -> r.numbers(), Map.of("min_ram", 512L)),
                row("API-047 min_disk and virtual_size exact", "min_disk=1&virtual_size=99", r -> r.numbers(),
                        Map.of("min_disk", 1L, "virtual_size", 99L)),
                row("API-047 paging and sort params are not filters", "limit=3&marker=m&sort=name",
                        r -> r.extra(), Map.of()),
                row("API-049 sort_key with default desc", "sort_key=name", r -> r.sort(),
                        List.of(desc(SortField.NAME), desc(SortField.CREATED_AT), desc(SortField.ID))),
                row("API-049 one dir applies to every key and tie-breaker", "sort_key=name&sort_key=size&sort_dir=asc",
                        r -> r.sort(), List.of(asc(SortField.NAME), asc(SortField.SIZE), asc(SortField.CREATED_AT),
                                asc(SortField.ID))),
                row("API-049 one dir per key, tie-breakers desc",
                        "sort_key=name&sort_key=size&sort_dir=asc&sort_dir=asc", r -> r.sort(),
                        List.of(asc(SortField.NAME), asc(SortField.SIZE), desc(SortField.CREATED_AT),
                                desc(SortField.ID))),
                row("API-049 sort_dir alone sorts created_at", "sort_dir=asc", r -> r.sort(),
                        List.of(asc(SortField.CREATED_AT), asc(SortField.ID))),
                row("API-049 present tie-breaker not repeated", "sort_key=id&sort_dir=asc", r -> r.sort(),
                        List.of(asc(SortField.ID), asc(SortField.CREATED_AT))),
                row("API-050 sort with dirs", "sort=name:asc,size:desc", r -> r.sort(),
                        List.of(asc(SortField.NAME), desc(SortField.SIZE), desc(SortField.CREATED_AT),
                                desc(SortField.ID))),
                row("API-050 sort single key asc sets the tie-breakers", "sort=status:asc", r -> r.sort(),
                        List.of(asc(SortField.STATUS), asc(SortField.CREATED_AT), asc(SortField.ID))),
                row("API-050 sort missing dir is desc", "sort=disk_format,updated_at:asc", r -> r.sort(),
                        List.of(desc(SortField.DISK_FORMAT), asc(SortField.UPDATED_AT), desc(SortField.CREATED_AT),
                                desc(SortField.ID))),
                row("API-050 sort containing created_at", "sort=created_at:asc", r -> r.sort(),
                        List.of(asc(SortField.CREATED_AT), asc(SortField.ID))),
                row("API-051 default order", "", r -> r.sort(),
                        List.of(desc(SortField.CREATED_AT), desc(SortField.ID))));
    }

    static Arguments row(String rule, String qs, Function<ListImagesRequest, Object> get, Object expected) {
        return Arguments.of(rule, qs, get, expected);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("accepted")
    void acceptedAs(String rule, String qs, Function<ListImagesRequest, Object> get, Object expected) {
        assertEquals(expected, get.apply(ok(qs)), rule);
    }

    @Test
    @DisplayName("API-047 a filter parameter never leaks into another")
    void filtersAreSeparate() {
        ListImagesRequest r = ok("name=n&owner=o&tag=t&os_distro=d&min_ram=1&size_min=2");
        assertEquals(Map.of("name", List.of("n")), r.anyOf());
        assertEquals("o", r.owner());
        assertEquals(List.of("t"), r.tags());
        assertEquals(Map.of("os_distro", "d"), r.extra());
        assertEquals(Map.of("min_ram", 1L), r.numbers());
        assertEquals(2L, r.sizeMin());
        assertEquals(CALLER, r.caller());
    }

    @Test
    @DisplayName("API-035 a repeated scalar parameter takes its last value")
    void lastValueWins() {
        assertEquals(9, ok("limit=3&limit=9").limit());
        assertEquals(List.of("b"), ok("name=a&name=b").anyOf().get("name"));
    }
}
