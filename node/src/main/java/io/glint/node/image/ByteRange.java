package io.glint.node.image;

import java.util.Locale;

/**
 * One satisfiable byte range of an image, inclusive at both ends, and the parser of the
 * {@code Range} request header as spec §4.7 defines it: a single range {@code bytes=a-b},
 * {@code bytes=a-} or {@code bytes=-n}; several ranges are refused (400); anything unparsable or
 * starting at or past the end is unsatisfiable (416); a suffix longer than the image covers it all.
 */
public record ByteRange(long first, long last) {
    public ByteRange {
        if (first < 0 || last < first) throw new IllegalArgumentException("bad byte range " + first + "-" + last);
    }

    /** The whole image, or null for an empty image (which has no satisfiable range). */
    public static ByteRange whole(long sizeBytes) {
        return sizeBytes == 0 ? null : new ByteRange(0, sizeBytes - 1);
    }

    public long lengthBytes() {
        return last - first + 1;
    }

    /** The {@code Content-Range} value of a 206 answer. */
    public String contentRange(long sizeBytes) {
        return "bytes " + first + "-" + last + "/" + sizeBytes;
    }

    /** What a {@code Range} header asks for. */
    public enum Outcome {
        /** No header: the whole image, 200. */
        WHOLE(200),
        /** One satisfiable range: 206 with {@link Parsed#range()}. */
        PARTIAL(206),
        /** Several ranges: 400. */
        MULTIPLE(400),
        /** Unparsable or not satisfiable: 416. */
        UNSATISFIABLE(416);

        private final int httpStatus;

        Outcome(int httpStatus) {
            this.httpStatus = httpStatus;
        }

        public int httpStatus() {
            return httpStatus;
        }
    }

    /** The parser's answer; {@code range} is set for PARTIAL only. */
    public record Parsed(Outcome outcome, ByteRange range) {
        static final Parsed WHOLE = new Parsed(Outcome.WHOLE, null);
        static final Parsed MULTIPLE = new Parsed(Outcome.MULTIPLE, null);
        static final Parsed UNSATISFIABLE = new Parsed(Outcome.UNSATISFIABLE, null);

        static Parsed partial(long first, long last) {
            return new Parsed(Outcome.PARTIAL, new ByteRange(first, last));
        }
    }

    /**
     * Parses a {@code Range} header (null or blank: no range) against an image of
     * {@code sizeBytes} bytes.
     */
    public static Parsed parse(String rangeHeader, long sizeBytes) {
        if (sizeBytes < 0) throw new IllegalArgumentException("negative size " + sizeBytes);
        if (rangeHeader == null || rangeHeader.isBlank()) return Parsed.WHOLE;
        if (rangeHeader.indexOf(',') >= 0) return Parsed.MULTIPLE;
        String header = rangeHeader.trim();
        int eq = header.indexOf('=');
        if (eq < 0 || !header.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals("bytes")) {
            return Parsed.UNSATISFIABLE;
        }
        String spec = header.substring(eq + 1).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) return Parsed.UNSATISFIABLE;
        String a = spec.substring(0, dash).trim();
        String b = spec.substring(dash + 1).trim();
        if (a.isEmpty()) return suffix(b, sizeBytes);
        long first = digits(a);
        if (first < 0 || first >= sizeBytes) return Parsed.UNSATISFIABLE;
        if (b.isEmpty()) return Parsed.partial(first, sizeBytes - 1);
        long last = digits(b);
        if (last < first) return Parsed.UNSATISFIABLE;
        return Parsed.partial(first, Math.min(last, sizeBytes - 1));
    }

    /** {@code bytes=-n}: the last n bytes, the whole image when n is at least its size. */
    private static Parsed suffix(String n, long sizeBytes) {
        long count = digits(n);
        if (count <= 0 || sizeBytes == 0) return Parsed.UNSATISFIABLE;
        return Parsed.partial(Math.max(0, sizeBytes - count), sizeBytes - 1);
    }

    /** A non-negative decimal (saturating at Long.MAX_VALUE), or -1 when not all digits. */
    private static long digits(String s) {
        if (s.isEmpty()) return -1;
        long value = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') return -1;
            int d = c - '0';
            value = value > (Long.MAX_VALUE - d) / 10 ? Long.MAX_VALUE : value * 10 + d;
        }
        return value;
    }
}
