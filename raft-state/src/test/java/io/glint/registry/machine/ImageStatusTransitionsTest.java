package io.glint.registry.machine;

import io.glint.registry.model.ImageStatus;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static io.glint.registry.model.ImageStatus.ACTIVE;
import static io.glint.registry.model.ImageStatus.DEACTIVATED;
import static io.glint.registry.model.ImageStatus.DELETED;
import static io.glint.registry.model.ImageStatus.IMPORTING;
import static io.glint.registry.model.ImageStatus.KILLED;
import static io.glint.registry.model.ImageStatus.PENDING_DELETE;
import static io.glint.registry.model.ImageStatus.QUEUED;
import static io.glint.registry.model.ImageStatus.SAVING;
import static io.glint.registry.model.ImageStatus.UPLOADING;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The transition table of spec §3.2, pair by pair, against {@link ImageStatus#canMoveTo}. */
class ImageStatusTransitionsTest {
    /** Spec §3.2, copied by hand from the table. */
    private static final Map<ImageStatus, Set<ImageStatus>> SPEC = Map.of(
            QUEUED, EnumSet.of(SAVING, UPLOADING, IMPORTING, ACTIVE, DELETED),
            SAVING, EnumSet.of(ACTIVE, KILLED, DELETED, QUEUED),
            UPLOADING, EnumSet.of(IMPORTING, QUEUED, DELETED),
            IMPORTING, EnumSet.of(ACTIVE, DELETED, QUEUED),
            ACTIVE, EnumSet.of(PENDING_DELETE, DELETED, DEACTIVATED),
            KILLED, EnumSet.of(DELETED),
            PENDING_DELETE, EnumSet.of(DELETED, ACTIVE),
            DELETED, EnumSet.noneOf(ImageStatus.class),
            DEACTIVATED, EnumSet.of(ACTIVE, DELETED));

    @Test
    void everyPairMatchesTheSpec() {
        assertEquals(EnumSet.allOf(ImageStatus.class), SPEC.keySet(), "the spec table covers every status");
        int allowed = 0;
        for (ImageStatus from : ImageStatus.values()) {
            for (ImageStatus to : ImageStatus.values()) {
                boolean expected = SPEC.get(from).contains(to);
                assertEquals(expected, from.canMoveTo(to), from + " -> " + to);
                if (expected) allowed++;
            }
        }
        assertEquals(23, allowed);
    }

    @Test
    void noStatusMovesToItself() {
        for (ImageStatus s : ImageStatus.values()) assertEquals(false, s.canMoveTo(s), s.name());
    }

    @Test
    void goneMeansDeletedOrPendingDelete() {
        for (ImageStatus s : ImageStatus.values()) {
            assertEquals(s == DELETED || s == PENDING_DELETE, s.isGone(), s.name());
        }
    }

    @Test
    void wireNamesRoundTrip() {
        for (ImageStatus s : ImageStatus.values()) assertEquals(s, ImageStatus.fromWire(s.wire()));
        assertEquals("pending_delete", PENDING_DELETE.wire());
        assertEquals(null, ImageStatus.fromWire("PENDING_DELETE"));
    }
}
