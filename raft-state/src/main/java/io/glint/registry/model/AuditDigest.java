package io.glint.registry.model;

/**
 * What one registry member computed for an audit mark (DESIGN §6): the SHA-256 state digest
 * ({@code io.glint.registry.store.StateDigest}) of its registry exactly as it stood after applying
 * the log entry at {@code logIndex}. Equal digests on every member at the same index mean
 * byte-identical registries. Not a {@link Payload}: it is a member's local answer, never a result
 * of the replicated state machine.
 *
 * @param state     {@link #COMPUTING}, {@link #DONE} or {@link #FAILED}
 * @param sha256Hex the digest in lower-case hex; null unless {@code state} is done
 * @param error     why it failed; null unless {@code state} is failed
 * @param memberId  the member that computed it
 */
public record AuditDigest(String auditId, long logIndex, String state, String sha256Hex, String error,
                          String memberId) {
    public static final String COMPUTING = "computing";
    public static final String DONE = "done";
    public static final String FAILED = "failed";

    public static AuditDigest computing(String auditId, long logIndex, String memberId) {
        return new AuditDigest(auditId, logIndex, COMPUTING, null, null, memberId);
    }

    public AuditDigest done(String sha256Hex) {
        return new AuditDigest(auditId, logIndex, DONE, sha256Hex, null, memberId);
    }

    public AuditDigest failed(String error) {
        return new AuditDigest(auditId, logIndex, FAILED, null, error, memberId);
    }

    public boolean isDone() {
        return DONE.equals(state);
    }

    public boolean isFinished() {
        return !COMPUTING.equals(state);
    }
}
