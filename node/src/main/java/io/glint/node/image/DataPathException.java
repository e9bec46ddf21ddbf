package io.glint.node.image;

import io.glint.registry.model.Result;

/**
 * An image upload or download that failed for an operating reason, carrying the HTTP status the
 * API answers with (spec §4.6-§4.8): 400 size mismatch or unreadable body, 403/404 from the
 * registry, 409 wrong status or lost lease, 410 deleted meanwhile, 413 too large or store full,
 * 503 registry or store unavailable. The API layer turns it into its error response.
 */
public final class DataPathException extends Exception {
    private final int status;

    public DataPathException(int status, String message) {
        super(message);
        this.status = status;
    }

    public DataPathException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status code this failure maps to. */
    public int status() {
        return status;
    }

    /** The status a registry rejection maps to (see {@link Result.Code}). */
    public static int statusOf(Result.Code code) {
        switch (code) {
            case NOT_FOUND: return 404;
            case CONFLICT: return 409;
            case FORBIDDEN: return 403;
            case INVALID: return 400;
            case OVER_LIMIT: return 413;
            case GONE: return 410;
            default: throw new IllegalArgumentException("not a rejection: " + code);
        }
    }

    public static DataPathException fromResult(Result rejected) {
        return new DataPathException(statusOf(rejected.code()), rejected.message());
    }
}
