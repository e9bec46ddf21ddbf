package io.glint.registry.model;

/**
 * The outcome of a command or a query. A failed precondition is a value with a code that the
 * API maps to an HTTP status; it is never an exception, so a bad request can not stop the state
 * machine.
 */
public record Result(Code code, String message, Payload payload) {

    /** Outcome codes; the HTTP status they map to at the edge is in brackets. */
    public enum Code {
        OK,           // [2xx]
        NOT_FOUND,    // [404] absent, gone, or invisible to the caller (spec §5.6)
        CONFLICT,     // [409] wrong status, duplicate, lost race
        FORBIDDEN,    // [403] visible but not allowed
        INVALID,      // [400] malformed or contradictory input
        OVER_LIMIT,   // [413] a quota or static limit would be exceeded
        GONE          // [410] the image vanished under an upload
    }

    public static Result ok(Payload payload) {
        return new Result(Code.OK, "", payload == null ? Payload.Empty.INSTANCE : payload);
    }

    public static Result ok() {
        return ok(Payload.Empty.INSTANCE);
    }

    public static Result reject(Code code, String message) {
        if (code == Code.OK) throw new IllegalArgumentException("a rejection needs a failure code");
        return new Result(code, message, null);
    }

    public static Result notFound(String message) { return reject(Code.NOT_FOUND, message); }
    public static Result conflict(String message) { return reject(Code.CONFLICT, message); }
    public static Result forbidden(String message) { return reject(Code.FORBIDDEN, message); }
    public static Result invalid(String message) { return reject(Code.INVALID, message); }
    public static Result overLimit(String message) { return reject(Code.OVER_LIMIT, message); }
    public static Result gone(String message) { return reject(Code.GONE, message); }

    public boolean isOk() {
        return code == Code.OK;
    }

    /** The payload of a successful result, cast to what the caller knows it must be. */
    public <T extends Payload> T value(Class<T> type) {
        if (!isOk()) throw new IllegalStateException("not ok: " + code + " " + message);
        return type.cast(payload);
    }
}
