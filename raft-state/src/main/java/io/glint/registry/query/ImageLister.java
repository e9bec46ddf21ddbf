package io.glint.registry.query;

import io.glint.registry.model.Image;
import io.glint.registry.model.ImagePage;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.Result;
import io.glint.registry.model.Visibility;
import io.glint.registry.query.ListImagesRequest.SortField;
import io.glint.registry.query.ListImagesRequest.SortKey;
import io.glint.registry.query.ListImagesRequest.VisibilityFilter;
import io.glint.registry.query.PositionStream.Window;
import io.glint.registry.store.Bytes;
import io.glint.registry.store.Cursor;
import io.glint.registry.store.KeyValueView;
import io.glint.registry.store.Records;
import io.glint.registry.store.Table;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Answers {@code GET /v2/images} from the secondary indexes (spec §4.3) at a cost of
 * O(page + skipped index entries), never a scan of every image when an index fits.
 *
 * <p>Every plan reads positions (see {@link Indexes}) for the first sort key's field F in that
 * key's direction, starting right after the marker, tests each row with {@link ListFilter} and
 * stops at the limit. When the remaining sort keys are not (created_at, id) in the same
 * direction, each run of equal F values is gathered and sorted in memory by the full key list.
 * The plan picks the narrowest source that surely holds every answer, in this order:
 * <ol>
 *   <li>{@code id} filter: the listed images, read directly and sorted in memory;</li>
 *   <li>an equality / {@code in:} filter on F itself: the ranges {@code IDX_SORT [F][value]};</li>
 *   <li>{@code owner} filter: that owner's entries for F;</li>
 *   <li>{@code name} or {@code tag} filter: its (created_at ordered) range, streamed when F is
 *       created_at, else gathered and sorted in memory if it holds at most a budget of entries;</li>
 *   <li>a non-admin caller: the merge of the sources of its candidate set (public, community,
 *       own, and shared-with-it from SHARED_WITH), each only if the visibility parameter admits it.
 *       The shared source costs one read per membership of the caller's project;</li>
 *   <li>a status / format filter when F is created_at: its ranges;</li>
 *   <li>an admin asking for one visibility: that visibility's entries for F;</li>
 *   <li>otherwise the whole {@code IDX_SORT [F]}.</li>
 * </ol>
 */
public final class ImageLister {
    private ImageLister() {}

    /** Most index entries read to decide that a name / tag range is small enough to sort in memory. */
    static final int GATHER_BUDGET_ENTRIES = 1024;

    /** An {@link ImagePage}, or INVALID for an unknown or invisible marker. */
    public static Result list(KeyValueView view, ListImagesRequest request) {
        return list(view, request, GATHER_BUDGET_ENTRIES);
    }

    /** As {@link #list(KeyValueView, ListImagesRequest)} with a chosen gather budget (tests vary it). */
    static Result list(KeyValueView view, ListImagesRequest request, int gatherBudgetEntries) {
        String bad = unsupportedField(request);
        if (bad != null) return Result.invalid(bad);
        Image marker = null;
        if (request.marker() != null) {
            marker = QueryEngine.visibleImage(view, request.caller(), request.marker());
            if (marker == null) return Result.invalid("Marker " + request.marker() + " could not be found.");
        }
        if (request.limit() == 0) return Result.ok(new ImagePage(List.of(), false));
        List<Image> rows = new Plan(view, request, marker, gatherBudgetEntries).run();
        return Result.ok(new ImagePage(rows, rows.size() == request.limit()));
    }

    /** The full sort order: the request's keys, made total by created_at and id if they are missing. */
    static List<SortKey> totalOrder(List<SortKey> keys) {
        List<SortKey> all = new ArrayList<>(keys);
        all.addAll(SortKey.DEFAULT);
        return SortOrder.effective(all);
    }

    private static String unsupportedField(ListImagesRequest r) {
        for (String f : r.anyOf().keySet()) {
            if (!ListParams.ANY_OF_FIELDS.contains(f)) return "Unsupported filter field: " + f;
        }
        for (String f : r.numbers().keySet()) {
            if (!ListParams.NUMBER_FIELDS.contains(f)) return "Unsupported filter field: " + f;
        }
        return null;
    }

    /** One execution: the request, the chosen source, and the page being filled. */
    private static final class Plan {
        private final KeyValueView view;
        private final ListImagesRequest r;
        private final Image marker;
        private final int gatherBudget;
        private final ListFilter filter;
        private final List<SortKey> sort;
        private final Comparator<Image> order;
        private final SortField field;
        private final boolean descending;
        private final boolean streamIsOrdered;
        private final List<Image> page = new ArrayList<>();

        Plan(KeyValueView view, ListImagesRequest r, Image marker, int gatherBudget) {
            this.view = view;
            this.r = r;
            this.marker = marker;
            this.gatherBudget = gatherBudget;
            this.filter = new ListFilter(view, r);
            this.sort = totalOrder(r.sort());
            this.order = SortOrder.comparator(sort);
            this.field = sort.get(0).field();
            this.descending = sort.get(0).descending();
            this.streamIsOrdered = SortOrder.positionOrderIsRequested(sort);
        }

        List<Image> run() {
            List<String> ids = r.anyOf().get("id");
            if (ids != null) return gathered(new LinkedHashSet<>(ids));
            String fieldFilter = anyOfName(field);
            if (fieldFilter != null && r.anyOf().containsKey(fieldFilter)) {
                List<PositionStream> s = new ArrayList<>();
                for (String v : r.anyOf().get(fieldFilter)) {
                    s.add(range(Table.IDX_SORT, Indexes.sortPrefix(field), Indexes.stringBytes(v)));
                }
                return streamed(s);
            }
            if (r.owner() != null) {
                return streamed(List.of(range(Table.IDX_ATTR, Indexes.ownerPrefix(r.owner(), field), null)));
            }
            List<Prefix> strong = createdOrderedPrefixes(true);
            if (!strong.isEmpty()) {
                if (field == SortField.CREATED_AT) return streamed(createdOrderedStreams(strong));
                Set<String> small = gatherIds(strong);
                if (small != null) return gathered(small);
            }
            if (!r.caller().isAdmin()) return streamed(candidateStreams());
            List<Prefix> weak = createdOrderedPrefixes(false);
            if (field == SortField.CREATED_AT && !weak.isEmpty()) return streamed(createdOrderedStreams(weak));
            Visibility only = single(r.visibility());
            if (only != null) {
                return streamed(List.of(range(Table.IDX_ATTR, Indexes.visibilityPrefix(only, field), null)));
            }
            return streamed(List.of(range(Table.IDX_SORT, Indexes.sortPrefix(field), null)));
        }

        // --- sources -----------------------------------------------------------------------

        /**
         * Where positions of {@link #field} must start: right after the marker when the stream
         * order is the requested order, else at the start of the marker's run of equal values.
         */
        private Window window() {
            if (marker == null) return Window.ALL;
            if (streamIsOrdered) {
                byte[] pos = Indexes.position(field, marker);
                return descending ? new Window(null, pos) : new Window(Bytes.successor(pos), null);
            }
            byte[] run = Indexes.valueBytes(field, marker);
            return descending ? new Window(null, Bytes.prefixEnd(run)) : new Window(run, null);
        }

        private PositionStream range(Table table, byte[] prefix, byte[] positionPrefix) {
            Window w = positionPrefix == null ? window() : window().within(positionPrefix);
            return PositionStream.range(view, table, prefix, w, descending, field);
        }

        /**
         * Prefixes of index ranges holding the images that pass one equality filter, each in
         * created_at order. Strong: name values or one tag (usually few images); weak: status or
         * format values (usually many).
         */
        private List<Prefix> createdOrderedPrefixes(boolean strong) {
            List<Prefix> out = new ArrayList<>();
            if (strong) {
                List<String> names = r.anyOf().get("name");
                if (names != null) {
                    for (String v : names) out.add(valueRange(SortField.NAME, v));
                    return out;
                }
                if (!r.tags().isEmpty()) out.add(new Prefix(Table.IDX_ATTR, Indexes.tagPrefix(r.tags().get(0))));
                return out;
            }
            for (SortField f : new SortField[] {SortField.STATUS, SortField.DISK_FORMAT, SortField.CONTAINER_FORMAT}) {
                List<String> values = r.anyOf().get(anyOfName(f));
                if (values == null) continue;
                for (String v : values) out.add(valueRange(f, v));
                return out;
            }
            return out;
        }

        /** {@code IDX_SORT [f][value]}: the images whose string field f equals value, in created_at order. */
        private static Prefix valueRange(SortField f, String value) {
            return new Prefix(Table.IDX_SORT, Indexes.concat(Indexes.sortPrefix(f), Indexes.stringBytes(value)));
        }

        private List<PositionStream> createdOrderedStreams(List<Prefix> prefixes) {
            List<PositionStream> out = new ArrayList<>();
            for (Prefix p : prefixes) out.add(range(p.table(), p.prefix(), null));
            return out;
        }

        /** The image ids under {@code prefixes}, or null when there are more than the gather budget. */
        private Set<String> gatherIds(List<Prefix> prefixes) {
            Set<String> ids = new LinkedHashSet<>();
            int seen = 0;
            for (Prefix p : prefixes) {
                try (PositionStream s = PositionStream.range(view, p.table(), p.prefix(), Window.ALL, false,
                        SortField.CREATED_AT)) {
                    while (s.next()) {
                        if (++seen > gatherBudget) return null;
                        ids.add(s.imageId());
                    }
                }
            }
            return ids;
        }

        /** The sources of a non-admin caller's candidate set that the visibility parameter admits. */
        private List<PositionStream> candidateStreams() {
            VisibilityFilter vf = r.visibility();
            String project = r.caller().projectId();
            List<PositionStream> out = new ArrayList<>();
            if (vf == VisibilityFilter.DEFAULT || vf == VisibilityFilter.ALL || vf == VisibilityFilter.PUBLIC) {
                out.add(range(Table.IDX_ATTR, Indexes.visibilityPrefix(Visibility.PUBLIC, field), null));
            }
            if (vf == VisibilityFilter.ALL || vf == VisibilityFilter.COMMUNITY) {
                out.add(range(Table.IDX_ATTR, Indexes.visibilityPrefix(Visibility.COMMUNITY, field), null));
            }
            if (project == null) return out;
            if (vf != VisibilityFilter.PUBLIC && vf != VisibilityFilter.COMMUNITY) {
                out.add(range(Table.IDX_ATTR, Indexes.ownerPrefix(project, field), null));
            }
            if (vf == VisibilityFilter.DEFAULT || vf == VisibilityFilter.ALL || vf == VisibilityFilter.SHARED) {
                out.add(sharedWith(project));
            }
            return out;
        }

        /** Shared images on which {@code project} is a member with a matching status, from SHARED_WITH. */
        private PositionStream sharedWith(String project) {
            List<PositionStream.Entry> entries = new ArrayList<>();
            byte[] p = Records.prefix(project);
            try (Cursor c = view.scan(Table.SHARED_WITH, p, Bytes.prefixEnd(p), false)) {
                while (c.next()) {
                    MemberStatus status = MemberStatus.valueOf(new String(c.value(), StandardCharsets.UTF_8));
                    if (!ListFilter.matches(r.memberStatus(), status)) continue;
                    Image image = Records.image(view, Records.secondPart(c.key()));
                    if (!Indexes.isListable(image) || image.visibility() != Visibility.SHARED) continue;
                    entries.add(new PositionStream.Entry(Indexes.position(field, image), image.id()));
                }
            }
            return PositionStream.of(entries, window(), descending);
        }

        // --- filling the page -----------------------------------------------------------------

        /** Reads the merged streams in order, sorting each run of equal first-key values if needed. */
        private List<Image> streamed(List<PositionStream> streams) {
            List<Image> run = new ArrayList<>();
            try (PositionStream s = PositionStream.merge(streams, descending)) {
                while (page.size() < r.limit() && s.next()) {
                    Image image = Records.image(view, s.imageId());
                    if (image == null) throw new IllegalStateException("index entry without image " + s.imageId());
                    if (!filter.test(image)) continue;
                    if (!run.isEmpty() && SortOrder.compareField(field, run.get(0), image) != 0) flush(run);
                    run.add(image);
                    if (streamIsOrdered) flush(run);
                }
            }
            flush(run);
            return page;
        }

        /** Reads the given images directly and sorts them in memory (a small candidate set). */
        private List<Image> gathered(Set<String> ids) {
            List<Image> all = new ArrayList<>();
            for (String id : ids) {
                Image image = Records.image(view, id);
                if (image != null && filter.test(image)) all.add(image);
            }
            flush(all);
            return page;
        }

        /** Adds the images of {@code rows} that come after the marker, in order, up to the limit. */
        private void flush(List<Image> rows) {
            if (rows.size() > 1) rows.sort(order);
            for (Image image : rows) {
                if (page.size() >= r.limit()) break;
                if (marker == null || order.compare(image, marker) > 0) page.add(image);
            }
            rows.clear();
        }
    }

    /** The anyOf key of a string sort field, or null for the numeric ones and id. */
    private static String anyOfName(SortField f) {
        switch (f) {
            case NAME: return "name";
            case STATUS: return "status";
            case CONTAINER_FORMAT: return "container_format";
            case DISK_FORMAT: return "disk_format";
            default: return null;
        }
    }

    private static Visibility single(VisibilityFilter vf) {
        switch (vf) {
            case PUBLIC: return Visibility.PUBLIC;
            case PRIVATE: return Visibility.PRIVATE;
            case SHARED: return Visibility.SHARED;
            case COMMUNITY: return Visibility.COMMUNITY;
            default: return null;
        }
    }

    /** An index range whose entries end in created_at positions. */
    private record Prefix(Table table, byte[] prefix) {}
}
