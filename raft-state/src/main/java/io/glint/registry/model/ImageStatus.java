package io.glint.registry.model;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The image lifecycle of the Image API (spec §3). The transition table is the domain rule: the
 * state machine refuses any status change that is not listed here, whatever command asks for it.
 */
public enum ImageStatus {
    QUEUED, SAVING, UPLOADING, IMPORTING, ACTIVE, DEACTIVATED, KILLED, PENDING_DELETE, DELETED;

    private Set<ImageStatus> targets;

    static {
        QUEUED.targets = EnumSet.of(SAVING, UPLOADING, IMPORTING, ACTIVE, DELETED);
        SAVING.targets = EnumSet.of(ACTIVE, KILLED, DELETED, QUEUED);
        UPLOADING.targets = EnumSet.of(IMPORTING, QUEUED, DELETED);
        IMPORTING.targets = EnumSet.of(ACTIVE, DELETED, QUEUED);
        ACTIVE.targets = EnumSet.of(PENDING_DELETE, DELETED, DEACTIVATED);
        KILLED.targets = EnumSet.of(DELETED);
        PENDING_DELETE.targets = EnumSet.of(DELETED, ACTIVE);
        DELETED.targets = EnumSet.noneOf(ImageStatus.class);
        DEACTIVATED.targets = EnumSet.of(ACTIVE, DELETED);
    }

    public boolean canMoveTo(ImageStatus target) {
        return targets.contains(target);
    }

    /** Statuses in which the record is gone for the API: never shown, never listed. */
    public boolean isGone() {
        return this == DELETED || this == PENDING_DELETE;
    }

    /** The lower-case name used on the wire ({@code "pending_delete"}). */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ImageStatus fromWire(String s) {
        for (ImageStatus v : values()) {
            if (v.wire().equals(s)) return v;
        }
        return null;
    }
}
