package io.glint.registry.query;

import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.Visibility;
import io.glint.registry.query.ListImagesRequest.SortKey;
import io.glint.registry.query.ListImagesRequest.TimeFilter;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The deliberately naive twin of {@link ImageLister}: plain maps of images and members, and a list
 * that filters every image, sorts them all with a straightforward comparator, skips to after the
 * marker and takes the limit, written from spec §4.3 and §5.4 without sharing code with the lister.
 */
final class NaiveLister {
    final Map<String, Image> images = new HashMap<>();
    /** imageId -> member project -> status */
    final Map<String, Map<String, MemberStatus>> members = new HashMap<>();

    /** The answer: INVALID (null images) or a page. */
    record Answer(boolean invalid, List<Image> images, boolean full) {}

    void put(Image image) {
        images.put(image.id(), image);
    }

    void remove(String id) {
        images.remove(id);
    }

    void member(String imageId, String project, MemberStatus status) {
        members.computeIfAbsent(imageId, k -> new HashMap<>()).put(project, status);
    }

    void removeMember(String imageId, String project) {
        Map<String, MemberStatus> m = members.get(imageId);
        if (m != null) m.remove(project);
    }

    MemberStatus membership(String imageId, String project) {
        if (project == null) return null;
        Map<String, MemberStatus> m = members.get(imageId);
        return m == null ? null : m.get(project);
    }

    Answer list(ListImagesRequest r) {
        Identity who = r.caller();
        String p = who.projectId();
        Image marker = null;
        if (r.marker() != null) {
            marker = images.get(r.marker());
            if (marker == null || !visible(who, marker)) return new Answer(true, null, false);
        }
        List<Image> all = new ArrayList<>();
        for (Image i : images.values()) {
            if (i.status() == ImageStatus.DELETED || i.status() == ImageStatus.PENDING_DELETE) continue;
            if (i.status() == ImageStatus.KILLED) continue;
            boolean owned = p != null && p.equals(i.owner());
            boolean candidate = who.isAdmin()
                    || i.visibility() == Visibility.PUBLIC
                    || i.visibility() == Visibility.COMMUNITY
                    || owned
                    || (i.visibility() == Visibility.SHARED && memberStatusMatches(r, membership(i.id(), p)));
            if (!candidate) continue;
            boolean visibilityOk;
            switch (r.visibility()) {
                case DEFAULT: visibilityOk = i.visibility() != Visibility.COMMUNITY || owned; break;
                case ALL: visibilityOk = true; break;
                default: visibilityOk = i.visibility().name().equals(r.visibility().name());
            }
            if (!visibilityOk) continue;
            if (i.osHidden() != r.osHidden()) continue;
            if (!filtersMatch(r, i)) continue;
            all.add(i);
        }
        List<SortKey> keys = new ArrayList<>(r.sort());
        keys.add(new SortKey(ListImagesRequest.SortField.CREATED_AT, true));
        keys.add(new SortKey(ListImagesRequest.SortField.ID, true));
        Comparator<Image> cmp = comparator(keys);
        all.sort(cmp);
        List<Image> page = new ArrayList<>();
        for (Image i : all) {
            if (page.size() == r.limit()) break;
            if (marker != null && cmp.compare(i, marker) <= 0) continue;
            page.add(i);
        }
        return new Answer(false, page, !page.isEmpty() && page.size() == r.limit());
    }

    /** Spec §5.4 with role enforcement on. */
    boolean visible(Identity who, Image i) {
        if (i.status() == ImageStatus.DELETED || i.status() == ImageStatus.PENDING_DELETE) return false;
        if (who.isAdmin()) return true;
        if (i.visibility() == Visibility.PUBLIC || i.visibility() == Visibility.COMMUNITY) return true;
        if (who.projectId() != null && who.projectId().equals(i.owner())) return true;
        return i.visibility() == Visibility.SHARED && membership(i.id(), who.projectId()) != null;
    }

    private static boolean memberStatusMatches(ListImagesRequest r, MemberStatus s) {
        if (s == null) return false;
        if (r.memberStatus() == ListImagesRequest.MemberStatusFilter.ALL) return true;
        return s.name().equals(r.memberStatus().name());
    }

    private static boolean filtersMatch(ListImagesRequest r, Image i) {
        for (Map.Entry<String, List<String>> e : r.anyOf().entrySet()) {
            String v;
            switch (e.getKey()) {
                case "name": v = i.name(); break;
                case "id": v = i.id(); break;
                case "status": v = i.status().wire(); break;
                case "container_format": v = i.containerFormat(); break;
                case "disk_format": v = i.diskFormat(); break;
                case "os_hash_algo": v = i.osHashAlgo(); break;
                default: throw new AssertionError(e.getKey());
            }
            if (v == null || !e.getValue().contains(v)) return false;
        }
        if (r.owner() != null && !r.owner().equals(i.owner())) return false;
        if (r.isProtected() != null && r.isProtected() != i.isProtected()) return false;
        if (r.checksum() != null && !r.checksum().equals(i.checksum())) return false;
        if (r.osHashValue() != null && !r.osHashValue().equals(i.osHashValue())) return false;
        if (r.sizeMin() != null && (i.size() == null || i.size() < r.sizeMin())) return false;
        if (r.sizeMax() != null && (i.size() == null || i.size() > r.sizeMax())) return false;
        for (TimeFilter f : r.createdAt()) if (!time(f, i.createdAtMillis())) return false;
        for (TimeFilter f : r.updatedAt()) if (!time(f, i.updatedAtMillis())) return false;
        for (Map.Entry<String, Long> e : r.numbers().entrySet()) {
            Long v;
            switch (e.getKey()) {
                case "min_ram": v = i.minRam(); break;
                case "min_disk": v = i.minDisk(); break;
                case "virtual_size": v = i.virtualSize(); break;
                case "size": v = i.size(); break;
                default: throw new AssertionError(e.getKey());
            }
            if (v == null || v.longValue() != e.getValue()) return false;
        }
        if (!i.tags().containsAll(r.tags())) return false;
        for (Map.Entry<String, String> e : r.extra().entrySet()) {
            if (!e.getValue().equals(i.extra().get(e.getKey()))) return false;
        }
        return true;
    }

    private static boolean time(TimeFilter f, long millis) {
        long s = millis >= 0 ? millis / 1000 : -((-millis + 999) / 1000);
        long t = f.epochSeconds();
        switch (f.op()) {
            case GT: return s > t;
            case GTE: return s >= t;
            case EQ: return s == t;
            case NEQ: return s != t;
            case LT: return s < t;
            case LTE: return s <= t;
            default: throw new AssertionError(f.op());
        }
    }

    static Comparator<Image> comparator(List<SortKey> keys) {
        return (a, b) -> {
            for (SortKey k : keys) {
                int c = compareAscNullsFirst(value(k.field(), a), value(k.field(), b));
                if (c != 0) return k.descending() ? -c : c;
            }
            return 0;
        };
    }

    private static Object value(ListImagesRequest.SortField f, Image i) {
        switch (f) {
            case NAME: return i.name();
            case STATUS: return i.status().wire();
            case CONTAINER_FORMAT: return i.containerFormat();
            case DISK_FORMAT: return i.diskFormat();
            case SIZE: return i.size();
            case ID: return i.id();
            case CREATED_AT: return i.createdAtMillis();
            case UPDATED_AT: return i.updatedAtMillis();
            default: throw new AssertionError(f);
        }
    }

    private static int compareAscNullsFirst(Object x, Object y) {
        if (x == null && y == null) return 0;
        if (x == null) return -1;
        if (y == null) return 1;
        if (x instanceof String s) {
            return Arrays.compareUnsigned(s.getBytes(StandardCharsets.UTF_8), ((String) y).getBytes(StandardCharsets.UTF_8));
        }
        return Long.compare((Long) x, (Long) y);
    }
}
