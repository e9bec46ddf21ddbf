package io.glint.registry.query;

import io.glint.registry.model.Identity;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A parsed and validated {@code GET /v2/images} request (spec §4.3): every filter, the full sort
 * order (tie-breakers already appended), the marker and the effective limit. {@link ListParams}
 * builds it from a query string; the list query answers it from the secondary indexes.
 *
 * @param caller       who asks: decides the candidate set (spec §4.3.2)
 * @param visibility   the {@code visibility} parameter
 * @param memberStatus the {@code member_status} parameter
 * @param osHidden     false: only images that are not hidden (default); true: only hidden ones
 * @param anyOf        exact / {@code in:} filters on {@code name}, {@code id}, {@code status},
 *                     {@code container_format}, {@code disk_format}: the value must be one of the list
 * @param owner        exact owner, or null
 * @param isProtected  exact {@code protected}, or null
 * @param checksum     exact MD5, or null
 * @param osHashValue  exact, or null
 * @param sizeMin      {@code size >= sizeMin}, or null (an image without size never matches)
 * @param sizeMax      {@code size <= sizeMax}, or null
 * @param createdAt    every condition must hold, compared at second resolution
 * @param updatedAt    every condition must hold, compared at second resolution
 * @param numbers      exact match on {@code min_ram}, {@code min_disk}, {@code virtual_size}
 * @param tags         the image must carry every one
 * @param extra        extra property {@code k} must equal the value exactly
 * @param sort         the full sort order; the last two keys are always created_at and id
 * @param marker       id of the last image of the previous page, or null
 * @param limit        effective page size, 0..1000
 */
public record ListImagesRequest(
        Identity caller,
        VisibilityFilter visibility,
        MemberStatusFilter memberStatus,
        boolean osHidden,
        SortedMap<String, List<String>> anyOf,
        String owner,
        Boolean isProtected,
        String checksum,
        String osHashValue,
        Long sizeMin,
        Long sizeMax,
        List<TimeFilter> createdAt,
        List<TimeFilter> updatedAt,
        SortedMap<String, Long> numbers,
        List<String> tags,
        SortedMap<String, String> extra,
        List<SortKey> sort,
        String marker,
        int limit) {

    public static final int DEFAULT_LIMIT = 25;
    public static final int MAX_LIMIT = 1000;

    public ListImagesRequest {
        anyOf = new TreeMap<>(anyOf == null ? Map.of() : anyOf);
        numbers = new TreeMap<>(numbers == null ? Map.of() : numbers);
        extra = new TreeMap<>(extra == null ? Map.of() : extra);
        createdAt = createdAt == null ? List.of() : List.copyOf(createdAt);
        updatedAt = updatedAt == null ? List.of() : List.copyOf(updatedAt);
        tags = tags == null ? List.of() : List.copyOf(tags);
        sort = sort == null || sort.isEmpty() ? SortKey.DEFAULT : List.copyOf(sort);
        if (visibility == null) visibility = VisibilityFilter.DEFAULT;
        if (memberStatus == null) memberStatus = MemberStatusFilter.ACCEPTED;
        if (limit < 0 || limit > MAX_LIMIT) throw new IllegalArgumentException("limit out of range: " + limit);
    }

    /** The default request of a caller: no filters, default sort, default limit. */
    public static ListImagesRequest defaults(Identity caller) {
        return new ListImagesRequest(caller, VisibilityFilter.DEFAULT, MemberStatusFilter.ACCEPTED, false, null, null,
                null, null, null, null, null, null, null, null, null, null, SortKey.DEFAULT, null, DEFAULT_LIMIT);
    }

    public enum VisibilityFilter { DEFAULT, ALL, PUBLIC, PRIVATE, SHARED, COMMUNITY }

    public enum MemberStatusFilter { ACCEPTED, PENDING, REJECTED, ALL }

    /** A created_at / updated_at condition; {@code epochSeconds} is compared with the truncated timestamp. */
    public record TimeFilter(Op op, long epochSeconds) {
        public enum Op { GT, GTE, EQ, NEQ, LT, LTE }
    }

    public enum SortField { NAME, STATUS, CONTAINER_FORMAT, DISK_FORMAT, SIZE, ID, CREATED_AT, UPDATED_AT }

    public record SortKey(SortField field, boolean descending) {
        /** {@code created_at desc, id desc} (spec §4.3.4). */
        public static final List<SortKey> DEFAULT =
                List.of(new SortKey(SortField.CREATED_AT, true), new SortKey(SortField.ID, true));
    }
}
