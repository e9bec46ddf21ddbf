package io.glint.registry.model;

/**
 * The report of a consistency audit, kept in the registry so that any node's admin API and the
 * CLI can serve it (DESIGN §6). {@code reportJson} is opaque to the registry: the coordinator
 * writes it ("running", then "done") and may overwrite it; {@code markLogIndex} is the log index
 * of the audit's {@link AuditMark}, copied from the mark when the report is saved.
 */
public record AuditReport(String auditId, long markLogIndex, long savedAtMillis, String reportJson)
        implements Payload {
}
