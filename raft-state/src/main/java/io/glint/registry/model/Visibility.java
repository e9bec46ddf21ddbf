package io.glint.registry.model;

import java.util.Locale;

/** Image visibility (spec §2.1, §5.4). */
public enum Visibility {
    PUBLIC, PRIVATE, SHARED, COMMUNITY;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Visibility fromWire(String s) {
        for (Visibility v : values()) {
            if (v.wire().equals(s)) return v;
        }
        return null;
    }
}
