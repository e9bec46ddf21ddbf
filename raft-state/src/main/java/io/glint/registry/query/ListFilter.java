package io.glint.registry.query;

import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.Visibility;
import io.glint.registry.query.ListImagesRequest.MemberStatusFilter;
import io.glint.registry.query.ListImagesRequest.TimeFilter;
import io.glint.registry.store.KeyValueView;
import io.glint.registry.store.Records;

import java.util.List;
import java.util.Map;

/**
 * Whether one image belongs in the answer to a list request, ignoring order and paging: the
 * candidate set of the caller, the visibility and os_hidden parameters and every filter (spec
 * §4.3.2-§4.3.3). The lister applies it to every row an index range yields, so an index only has
 * to deliver a superset of the answer in the right order.
 */
final class ListFilter {
    private final KeyValueView view;
    private final ListImagesRequest r;
    private final Identity caller;

    ListFilter(KeyValueView view, ListImagesRequest request) {
        this.view = view;
        this.r = request;
        this.caller = request.caller();
    }

    boolean test(Image image) {
        return Indexes.isListable(image)
                && image.osHidden() == r.osHidden()
                && passesVisibilityParam(image)
                && passesFilters(image)
                && isCandidate(image);
    }

    boolean ownedByCaller(Image image) {
        return caller.projectId() != null && caller.projectId().equals(image.owner());
    }

    /** Spec §4.3.2: admins see everything; others public, community, own, and shared per member_status. */
    private boolean isCandidate(Image image) {
        if (caller.isAdmin()) return true;
        Visibility v = image.visibility();
        if (v == Visibility.PUBLIC || v == Visibility.COMMUNITY || ownedByCaller(image)) return true;
        if (v != Visibility.SHARED) return false;
        return matches(r.memberStatus(), Records.membership(view, image.id(), caller.projectId()));
    }

    static boolean matches(MemberStatusFilter filter, MemberStatus status) {
        if (status == null) return false;
        switch (filter) {
            case ALL: return true;
            case ACCEPTED: return status == MemberStatus.ACCEPTED;
            case PENDING: return status == MemberStatus.PENDING;
            case REJECTED: return status == MemberStatus.REJECTED;
            default: throw new IllegalArgumentException("unknown member status filter " + filter);
        }
    }

    private boolean passesVisibilityParam(Image image) {
        Visibility v = image.visibility();
        switch (r.visibility()) {
            case DEFAULT: return v != Visibility.COMMUNITY || ownedByCaller(image);
            case ALL: return true;
            case PUBLIC: return v == Visibility.PUBLIC;
            case PRIVATE: return v == Visibility.PRIVATE;
            case SHARED: return v == Visibility.SHARED;
            case COMMUNITY: return v == Visibility.COMMUNITY;
            default: throw new IllegalArgumentException("unknown visibility filter " + r.visibility());
        }
    }

    private boolean passesFilters(Image image) {
        for (Map.Entry<String, List<String>> e : r.anyOf().entrySet()) {
            String value = coreString(e.getKey(), image);
            if (value == null || !e.getValue().contains(value)) return false;
        }
        if (r.owner() != null && !r.owner().equals(image.owner())) return false;
        if (r.isProtected() != null && r.isProtected() != image.isProtected()) return false;
        if (r.checksum() != null && !r.checksum().equals(image.checksum())) return false;
        if (r.osHashValue() != null && !r.osHashValue().equals(image.osHashValue())) return false;
        if (r.sizeMin() != null && (image.size() == null || image.size() < r.sizeMin())) return false;
        if (r.sizeMax() != null && (image.size() == null || image.size() > r.sizeMax())) return false;
        if (!times(r.createdAt(), image.createdAtMillis()) || !times(r.updatedAt(), image.updatedAtMillis())) {
            return false;
        }
        for (Map.Entry<String, Long> e : r.numbers().entrySet()) {
            if (!e.getValue().equals(coreNumber(e.getKey(), image))) return false;
        }
        for (String tag : r.tags()) {
            if (!image.hasTag(tag)) return false;
        }
        for (Map.Entry<String, String> e : r.extra().entrySet()) {
            if (!e.getValue().equals(image.extra().get(e.getKey()))) return false;
        }
        return true;
    }

    /** The fields an {@code anyOf} filter may name (see {@link ListParams}). */
    static String coreString(String field, Image image) {
        switch (field) {
            case "name": return image.name();
            case "id": return image.id();
            case "status": return image.status().wire();
            case "container_format": return image.containerFormat();
            case "disk_format": return image.diskFormat();
            case "os_hash_algo": return image.osHashAlgo();
            default: throw new IllegalArgumentException("not a filterable string field: " + field);
        }
    }

    /** The fields a {@code numbers} filter may name (see {@link ListParams}). */
    static Long coreNumber(String field, Image image) {
        switch (field) {
            case "min_ram": return image.minRam();
            case "min_disk": return image.minDisk();
            case "virtual_size": return image.virtualSize();
            case "size": return image.size();
            default: throw new IllegalArgumentException("not a filterable numeric field: " + field);
        }
    }

    private static boolean times(List<TimeFilter> filters, long millis) {
        long seconds = Math.floorDiv(millis, 1000L);
        for (TimeFilter f : filters) {
            long t = f.epochSeconds();
            boolean ok;
            switch (f.op()) {
                case GT: ok = seconds > t; break;
                case GTE: ok = seconds >= t; break;
                case EQ: ok = seconds == t; break;
                case NEQ: ok = seconds != t; break;
                case LT: ok = seconds < t; break;
                case LTE: ok = seconds <= t; break;
                default: throw new IllegalArgumentException("unknown time operator " + f.op());
            }
            if (!ok) return false;
        }
        return true;
    }
}
