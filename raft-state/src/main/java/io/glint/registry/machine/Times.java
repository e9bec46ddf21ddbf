package io.glint.registry.machine;

/**
 * The one rule for the times a command stamps (fault matrix #18): a command carries its
 * coordinator's clock, and a node whose clock lags would otherwise stamp a record's {@code
 * updated_at} before its {@code created_at} or its last change. The stored time is never earlier than
 * either; it is taken from the record, so every member of the group stores the same.
 */
final class Times {
    private Times() {}

    /** When a record created at {@code createdAtMillis} and last changed at {@code updatedAtMillis} is changed now. */
    static long updatedAt(long proposedMillis, long createdAtMillis, long updatedAtMillis) {
        return Math.max(proposedMillis, Math.max(createdAtMillis, updatedAtMillis));
    }
}
