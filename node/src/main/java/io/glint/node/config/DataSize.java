package io.glint.node.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A byte count written in config as {@code 4MiB}, {@code 1TiB}, {@code 512KB} or a plain number. */
public record DataSize(long bytes) {
    private static final Pattern P = Pattern.compile("^\\s*(\\d+)\\s*([KMGT]?I?B?)?\\s*$");

    public DataSize {
        if (bytes < 0) throw new IllegalArgumentException("a size can not be negative: " + bytes);
    }

    @JsonCreator
    public static DataSize parse(Object value) {
        if (value instanceof Number n) return new DataSize(n.longValue());
        String s = String.valueOf(value);
        Matcher m = P.matcher(s.toUpperCase(Locale.ROOT));
        if (!m.matches()) throw new IllegalArgumentException("not a size: '" + s + "' (use e.g. 4MiB, 1GiB, 1048576)");
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2);
        boolean binary = unit.contains("I") || unit.length() == 1 && !unit.equals("B");
        long base = binary ? 1024 : 1000;
        int exp = unit.isEmpty() || unit.equals("B") ? 0 : "KMGT".indexOf(unit.charAt(0)) + 1;
        long mult = 1;
        for (int i = 0; i < exp; i++) mult = Math.multiplyExact(mult, base);
        return new DataSize(Math.multiplyExact(n, mult));
    }

    @JsonValue
    public long value() {
        return bytes;
    }

    public static DataSize mib(long n) {
        return new DataSize(n << 20);
    }
}
