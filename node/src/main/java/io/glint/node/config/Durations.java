package io.glint.node.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h} or ISO-8601 ({@code PT30S}). */
public final class Durations {
    private static final Pattern P = Pattern.compile("^(\\d+)(ms|s|m|h)$");

    private Durations() {}

    public static Duration parse(String s) {
        Matcher m = P.matcher(s.trim());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        }
        try {
            return Duration.parse(s.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a duration: '" + s + "' (use e.g. 500ms, 30s, 5m)");
        }
    }
}
