package io.glint.registry.model;

import java.util.List;

/**
 * A point in the log at which every member computes a digest of its registry state (DESIGN §6).
 * The mark records the log index it was applied at, which is the same on every member.
 */
public record AuditMark(String auditId, long logIndex, long markedAtMillis, String requestedBy)
        implements Payload {

    /**
     * One page of audit marks, newest first (audit ids sort in time order). {@code nextBefore} is
     * the id to pass as {@code beforeAuditId} for the next (older) page; null: no older marks.
     */
    public record Marks(List<AuditMark> audits, String nextBefore) implements Payload {
        public Marks {
            audits = List.copyOf(audits);
        }
    }
}
