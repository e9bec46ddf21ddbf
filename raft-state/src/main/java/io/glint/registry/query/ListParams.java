package io.glint.registry.query;

import io.glint.registry.model.Identity;
import io.glint.registry.query.ListImagesRequest.MemberStatusFilter;
import io.glint.registry.query.ListImagesRequest.SortField;
import io.glint.registry.query.ListImagesRequest.SortKey;
import io.glint.registry.query.ListImagesRequest.TimeFilter;
import io.glint.registry.query.ListImagesRequest.VisibilityFilter;

import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Turns the query parameters of {@code GET /v2/images} into a {@link ListImagesRequest}, or the
 * message of a 400, by the rules of spec §4.3.1-§4.3.4. Parameter values arrive URL-decoded; a
 * parameter that is not repeatable and is given more than once takes its last value (as a WebOb
 * {@code params[key]} does), except that every {@code created_at} / {@code updated_at} condition
 * given is kept and all must hold.
 */
public final class ListParams {
    private ListParams() {}

    /** Fields of {@link ListImagesRequest#anyOf()}: the operator filters plus {@code os_hash_algo} (exact). */
    static final Set<String> ANY_OF_FIELDS =
            Set.of("name", "id", "status", "container_format", "disk_format", "os_hash_algo");
    /** Fields of the operator filters ({@code eq:} / {@code in:}). */
    private static final Set<String> OPERATOR_FIELDS = Set.of("name", "id", "status", "container_format", "disk_format");
    /** Fields of {@link ListImagesRequest#numbers()}: exact integer match on core columns. */
    static final Set<String> NUMBER_FIELDS = Set.of("min_ram", "min_disk", "virtual_size", "size");

    private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");
    private static final int VALUE_CHARS_MAX = 65536;

    /** Either a request or the message of a 400. */
    public record Parsed(ListImagesRequest request, String error) {
        public Parsed {
            if ((request == null) == (error == null)) throw new IllegalArgumentException("exactly one of request, error");
        }

        public boolean isOk() {
            return request != null;
        }

        static Parsed ok(ListImagesRequest r) {
            return new Parsed(r, null);
        }
    }

    /** A parse failure: the message of the 400. */
    private static final class Bad extends Exception {
        Bad(String message) {
            super(message, null, false, false);
        }
    }

    public static Parsed parse(Identity caller, Map<String, List<String>> queryParams) {
        try {
            return Parsed.ok(parseOrThrow(caller, queryParams));
        } catch (Bad e) {
            return new Parsed(null, e.getMessage());
        }
    }

    private static ListImagesRequest parseOrThrow(Identity caller, Map<String, List<String>> params) throws Bad {
        int limit = ListImagesRequest.DEFAULT_LIMIT;
        String marker = null;
        VisibilityFilter visibility = VisibilityFilter.DEFAULT;
        MemberStatusFilter memberStatus = MemberStatusFilter.ACCEPTED;
        boolean osHidden = false;
        TreeMap<String, List<String>> anyOf = new TreeMap<>();
        String owner = null;
        Boolean isProtected = null;
        String checksum = null;
        String osHashValue = null;
        Long sizeMin = null;
        Long sizeMax = null;
        List<TimeFilter> createdAt = new ArrayList<>();
        List<TimeFilter> updatedAt = new ArrayList<>();
        TreeMap<String, Long> numbers = new TreeMap<>();
        List<String> tags = new ArrayList<>();
        TreeMap<String, String> extra = new TreeMap<>();
        for (Map.Entry<String, List<String>> e : new TreeMap<>(params).entrySet()) {
            String key = e.getKey();
            List<String> values = e.getValue();
            if (values == null || values.isEmpty()) continue;
            for (String v : values) {
                if (v == null) throw new Bad("Missing value for parameter " + key);
                if (v.length() > VALUE_CHARS_MAX) throw new Bad("Value of parameter " + key + " is too long");
            }
            String last = values.get(values.size() - 1);
            if (ANY_OF_FIELDS.contains(key)) {
                anyOf.put(key, OPERATOR_FIELDS.contains(key) ? operatorValues(key, last) : List.of(last));
            } else if (NUMBER_FIELDS.contains(key)) {
                numbers.put(key, integer(key, last));
            } else {
                switch (key) {
                    case "limit": limit = limit(last); break;
                    case "marker": marker = last; break;
                    case "sort": case "sort_key": case "sort_dir": break;
                    case "visibility": visibility = visibility(last); break;
                    case "member_status": memberStatus = memberStatus(last); break;
                    case "os_hidden": osHidden = osHidden(last); break;
                    case "protected": isProtected = isProtected(last); break;
                    case "owner": owner = last; break;
                    case "checksum": checksum = last; break;
                    case "os_hash_value": osHashValue = last; break;
                    case "size_min": sizeMin = integer(key, last); break;
                    case "size_max": sizeMax = integer(key, last); break;
                    case "created_at": for (String v : values) createdAt.add(timeFilter(key, v)); break;
                    case "updated_at": for (String v : values) updatedAt.add(timeFilter(key, v)); break;
                    case "tag": tags.addAll(values); break;
                    case "changes-since": throw new Bad("The 'changes-since' filter is no longer available on v2.");
                    default: extra.put(key, last);
                }
            }
        }
        List<SortKey> sort = sort(params);
        return new ListImagesRequest(caller, visibility, memberStatus, osHidden, anyOf, owner, isProtected, checksum,
                osHashValue, sizeMin, sizeMax, createdAt, updatedAt, numbers, tags, extra, sort, marker, limit);
    }

    // --- paging and simple values ------------------------------------------------------------

    /** Spec §4.3.1: default 25, capped silently at 1000; not an integer or negative: 400. */
    static int limit(String raw) throws Bad {
        String s = raw.strip();
        if (!INTEGER.matcher(s).matches()) throw new Bad("limit param must be an integer");
        BigInteger n = new BigInteger(s);
        if (n.signum() < 0) throw new Bad("limit param must be positive");
        return n.min(BigInteger.valueOf(ListImagesRequest.MAX_LIMIT)).intValueExact();
    }

    private static long integer(String key, String raw) throws Bad {
        String s = raw.strip();
        try {
            if (!INTEGER.matcher(s).matches()) throw new NumberFormatException(s);
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new Bad("Invalid value for " + key + ": '" + raw + "' is not an integer");
        }
    }

    private static VisibilityFilter visibility(String v) throws Bad {
        switch (v) {
            case "public": return VisibilityFilter.PUBLIC;
            case "private": return VisibilityFilter.PRIVATE;
            case "shared": return VisibilityFilter.SHARED;
            case "community": return VisibilityFilter.COMMUNITY;
            case "all": return VisibilityFilter.ALL;
            default: throw new Bad("Invalid visibility value: " + v);
        }
    }

    private static MemberStatusFilter memberStatus(String v) throws Bad {
        switch (v) {
            case "accepted": return MemberStatusFilter.ACCEPTED;
            case "pending": return MemberStatusFilter.PENDING;
            case "rejected": return MemberStatusFilter.REJECTED;
            case "all": return MemberStatusFilter.ALL;
            default: throw new Bad("Invalid status value: " + v);
        }
    }

    /** Case-insensitive {@code true} / {@code false}. */
    private static boolean osHidden(String v) throws Bad {
        if (v.equalsIgnoreCase("true")) return true;
        if (v.equalsIgnoreCase("false")) return false;
        throw new Bad("Invalid value for os_hidden: " + v + " (expected true or false)");
    }

    /** Lower-case {@code true} / {@code false} only. */
    private static boolean isProtected(String v) throws Bad {
        if (v.equals("true")) return true;
        if (v.equals("false")) return false;
        throw new Bad("Invalid value for 'protected': " + v + " (expected 'true' or 'false')");
    }

    // --- operator filters ----------------------------------------------------------------------

    /**
     * A value of name / id / status / container_format / disk_format: plain (exact), {@code eq:v}
     * (exact, v may contain colons) or {@code in:v1,v2} (any of). Text before the first colon is
     * always an operator, so {@code a:b} is an unknown operator (Glance quirk).
     */
    static List<String> operatorValues(String key, String value) throws Bad {
        int colon = value.indexOf(':');
        if (colon < 0) return List.of(value);
        String op = value.substring(0, colon);
        String rest = value.substring(colon + 1);
        if (op.equals("eq")) return List.of(rest);
        if (op.equals("in")) return inList(rest);
        throw new Bad("Unable to filter on " + key + " with unknown operator '" + op + "'");
    }

    /**
     * The values of an {@code in:} list: comma separated; a value holding a comma is double-quoted,
     * {@code \"} inside quotes is a quote. A quote must open right after a comma (or at the start)
     * and close right before one (or at the end); an unclosed quote is an error. As in Glance, an
     * empty item between two commas is the empty string and a trailing comma adds nothing.
     */
    static List<String> inList(String s) throws Bad {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            if (s.charAt(i) == '"') {
                StringBuilder v = new StringBuilder();
                int j = i + 1;
                boolean closed = false;
                while (j < n) {
                    char c = s.charAt(j);
                    if (c == '\\' && j + 1 < n && s.charAt(j + 1) == '"') {
                        v.append('"');
                        j += 2;
                    } else if (c == '"') {
                        closed = true;
                        break;
                    } else {
                        v.append(c);
                        j++;
                    }
                }
                if (!closed) throw new Bad("Invalid filter value " + s + ". The quote is not closed.");
                j++;
                if (j < n && s.charAt(j) != ',') {
                    throw new Bad("Invalid filter value " + s + ". There is no comma after closing quotation mark.");
                }
                out.add(v.toString());
                i = j + 1;
            } else {
                int comma = s.indexOf(',', i);
                int end = comma < 0 ? n : comma;
                String v = s.substring(i, end);
                if (unescapedQuote(v)) {
                    throw new Bad("Invalid filter value " + s + ". There is no comma before opening quotation mark.");
                }
                out.add(v);
                i = end + 1;
            }
        }
        return out;
    }

    private static boolean unescapedQuote(String v) {
        for (int k = 0; k < v.length(); k++) {
            if (v.charAt(k) == '"' && (k == 0 || v.charAt(k - 1) != '\\')) return true;
        }
        return false;
    }

    // --- time filters --------------------------------------------------------------------------

    private static final DateTimeFormatter ISO = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .optionalStart()
            .appendLiteral('T')
            .appendValue(ChronoField.HOUR_OF_DAY, 2).appendLiteral(':').appendValue(ChronoField.MINUTE_OF_HOUR, 2)
            .optionalStart()
            .appendLiteral(':').appendValue(ChronoField.SECOND_OF_MINUTE, 2)
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true).optionalEnd()
            .optionalEnd()
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HH", "Z").optionalEnd()
            .optionalEnd()
            .toFormatter(Locale.ROOT)
            .withResolverStyle(ResolverStyle.STRICT);

    /**
     * {@code created_at} / {@code updated_at}: {@code op:time} with op one of gt, gte, eq, neq,
     * lt, lte, or a bare time meaning eq. The whole value is tried as a time first, since a time
     * holds colons itself.
     */
    static TimeFilter timeFilter(String key, String value) throws Bad {
        Long whole = epochSeconds(value);
        if (whole != null) return new TimeFilter(TimeFilter.Op.EQ, whole);
        int colon = value.indexOf(':');
        if (colon < 0) throw new Bad("Invalid time for " + key + ": " + value);
        TimeFilter.Op op = timeOp(value.substring(0, colon));
        if (op == null) throw new Bad("Invalid operator for " + key + ": " + value.substring(0, colon));
        Long t = epochSeconds(value.substring(colon + 1));
        if (t == null) throw new Bad("Invalid time for " + key + ": " + value.substring(colon + 1));
        return new TimeFilter(op, t);
    }

    private static TimeFilter.Op timeOp(String s) {
        switch (s) {
            case "gt": return TimeFilter.Op.GT;
            case "gte": return TimeFilter.Op.GTE;
            case "eq": return TimeFilter.Op.EQ;
            case "neq": return TimeFilter.Op.NEQ;
            case "lt": return TimeFilter.Op.LT;
            case "lte": return TimeFilter.Op.LTE;
            default: return null;
        }
    }

    /**
     * An ISO 8601 date or date-time ({@code T} or a space between them; seconds, fraction and
     * offset optional; no offset means UTC), as whole epoch seconds (the fraction is dropped); null
     * if it is not one.
     */
    static Long epochSeconds(String s) {
        String t = s.strip();
        if (t.length() > 10 && t.charAt(10) == ' ') t = t.substring(0, 10) + 'T' + t.substring(11);
        try {
            TemporalAccessor a = ISO.parse(t);
            LocalDate date = LocalDate.from(a);
            LocalTime time = a.isSupported(ChronoField.HOUR_OF_DAY) ? LocalTime.from(a) : LocalTime.MIDNIGHT;
            ZoneOffset offset = a.isSupported(ChronoField.OFFSET_SECONDS) ? ZoneOffset.from(a) : ZoneOffset.UTC;
            return date.atTime(time).toInstant(offset).getEpochSecond();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    // --- sorting --------------------------------------------------------------------------------

    /**
     * Spec §4.3.4. Classic {@code sort_key}/{@code sort_dir} (0 dirs: desc; 1 dir: for all keys;
     * otherwise one per key) or {@code sort=k[:d],...} (missing dir: desc), never both. Then
     * created_at and id are appended where missing, in the single supplied direction or desc.
     */
    static List<SortKey> sort(Map<String, List<String>> params) throws Bad {
        List<String> sortParam = nonEmpty(params.get("sort"));
        List<String> keyParams = nonEmpty(params.get("sort_key"));
        List<String> dirParams = nonEmpty(params.get("sort_dir"));
        List<SortField> keys = new ArrayList<>();
        List<Boolean> descending = new ArrayList<>();
        if (sortParam != null) {
            if (keyParams != null || dirParams != null) {
                throw new Bad("The 'sort' parameter can not be combined with 'sort_key' or 'sort_dir'.");
            }
            for (String item : sortParam.get(sortParam.size() - 1).strip().split(",", -1)) {
                int colon = item.indexOf(':');
                String k = colon < 0 ? item : item.substring(0, colon);
                String d = colon < 0 ? "" : item.substring(colon + 1);
                keys.add(sortField(k.strip()));
                descending.add(d.isBlank() || sortDescending(d.strip()));
            }
        } else {
            if (keyParams != null) {
                for (String k : keyParams) keys.add(sortField(k.strip()));
            }
            if (dirParams != null) {
                for (String d : dirParams) descending.add(sortDescending(d.strip()));
                if (descending.size() > 1 && descending.size() != keys.size()) {
                    throw new Bad("Number of sort dirs does not match the number of sort keys");
                }
            }
            if (keys.isEmpty()) keys.add(SortField.CREATED_AT);
        }
        boolean defaultDescending = descending.size() != 1 || descending.get(0);
        List<SortKey> out = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            boolean d = descending.size() == keys.size() ? descending.get(i) : defaultDescending;
            out.add(new SortKey(keys.get(i), d));
        }
        for (SortField tie : new SortField[] {SortField.CREATED_AT, SortField.ID}) {
            if (!keys.contains(tie)) out.add(new SortKey(tie, defaultDescending));
        }
        return out;
    }

    private static List<String> nonEmpty(List<String> values) {
        return values == null || values.isEmpty() ? null : values;
    }

    private static SortField sortField(String k) throws Bad {
        switch (k) {
            case "name": return SortField.NAME;
            case "status": return SortField.STATUS;
            case "container_format": return SortField.CONTAINER_FORMAT;
            case "disk_format": return SortField.DISK_FORMAT;
            case "size": return SortField.SIZE;
            case "id": return SortField.ID;
            case "created_at": return SortField.CREATED_AT;
            case "updated_at": return SortField.UPDATED_AT;
            default: throw new Bad("Invalid sort key: " + k + ". It should be one of the following: "
                    + "name, status, container_format, disk_format, size, id, created_at, updated_at.");
        }
    }

    private static boolean sortDescending(String d) throws Bad {
        if (d.equals("asc")) return false;
        if (d.equals("desc")) return true;
        throw new Bad("Invalid sort direction: " + d + ". It should be asc or desc.");
    }
}
