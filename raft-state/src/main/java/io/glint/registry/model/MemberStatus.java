package io.glint.registry.model;

import java.util.Locale;

/** Status of an image member (spec §4.12). */
public enum MemberStatus {
    PENDING, ACCEPTED, REJECTED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static MemberStatus fromWire(String s) {
        for (MemberStatus v : values()) {
            if (v.wire().equals(s)) return v;
        }
        return null;
    }
}
