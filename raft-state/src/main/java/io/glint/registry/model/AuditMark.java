package io.glint.registry.model;

/**
 * A point in the log at which every member computes a digest of its registry state (DESIGN §6).
 * The mark records the log index it was applied at, which is the same on every member.
 */
public record AuditMark(String auditId, long logIndex, long markedAtMillis, String requestedBy)
        implements Payload {
}
