package io.glint.registry.ratis;

/**
 * Why a proposal or a read did not produce a {@link io.glint.registry.model.Result}. Every such
 * error is either <em>definite</em> (the command was certainly not applied: it never left this
 * process, or the leader refused it before logging it) or <em>indefinite</em> (it may have been
 * committed and applied: a timeout, a leader lost mid-request, retries exhausted). A caller may
 * retry an indefinite error only when its command is idempotent (STYLE §14, Maelstrom).
 *
 * <p>Rejections by the registry's rules (NOT_FOUND, CONFLICT, ...) are not exceptions: they are
 * {@code Result} values.
 */
public final class RegistryException extends RuntimeException {

    /** What is known about the command's effect. Reads change nothing, so they are always NOT_APPLIED. */
    public enum Outcome {
        /** Certainly not applied; safe to retry. */
        NOT_APPLIED,
        /** May or may not have been applied. */
        UNKNOWN
    }

    /** The kind of failure. */
    public enum Reason {
        /** The proposal queue is full: back-pressure, fail fast. */
        OVERLOADED,
        /** The registry client was closed. */
        CLOSED,
        /** No reply within the bound. */
        TIMEOUT,
        /** Ratis gave up: no leader reachable within the retry bound, or the leader changed. */
        UNAVAILABLE,
        /** A reply that does not fit the request (wrong result count, undecodable frame). */
        PROTOCOL,
        /** Refused or failed on the server for another reason. */
        FAILED
    }

    private final Outcome outcome;
    private final Reason reason;

    public RegistryException(Reason reason, Outcome outcome, String message, Throwable cause) {
        super(reason + " (" + (outcome == Outcome.NOT_APPLIED ? "definite: not applied" : "indefinite: may have been applied")
                + "): " + message, cause);
        this.outcome = outcome;
        this.reason = reason;
    }

    public RegistryException(Reason reason, Outcome outcome, String message) {
        this(reason, outcome, message, null);
    }

    public Outcome outcome() {
        return outcome;
    }

    public Reason reason() {
        return reason;
    }

    /** True when the command was certainly not applied. */
    public boolean isDefinite() {
        return outcome == Outcome.NOT_APPLIED;
    }
}
