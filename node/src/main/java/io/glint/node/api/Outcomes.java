package io.glint.node.api;

import io.glint.node.http.ApiException;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Result;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Turns registry outcomes into HTTP: a typed rejection maps to its status (spec §6.2); a registry
 * that does not answer within the bound is a 503 — an indefinite outcome the client may retry
 * only if its request was idempotent.
 */
public final class Outcomes {
    private Outcomes() {}

    public static final long REGISTRY_TIMEOUT_MILLIS = 30_000;

    public static HttpResponseStatus status(Result.Code code) {
        return switch (code) {
            case OK -> HttpResponseStatus.OK;
            case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case CONFLICT -> HttpResponseStatus.CONFLICT;
            case FORBIDDEN -> HttpResponseStatus.FORBIDDEN;
            case INVALID -> HttpResponseStatus.BAD_REQUEST;
            case OVER_LIMIT -> HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
            case GONE -> HttpResponseStatus.GONE;
        };
    }

    /** Waits for a registry answer, bounded. */
    public static Result await(CompletableFuture<Result> f) {
        try {
            return f.get(REGISTRY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(false);
            throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "The image registry did not answer in time; the request may or may not have been applied.");
        } catch (ExecutionException e) {
            throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "The image registry is unavailable: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "Interrupted while waiting for the registry.");
        }
    }

    /** The payload of a successful result; a rejection becomes its HTTP error. */
    public static <T extends Payload> T value(Result r, Class<T> type) {
        if (!r.isOk()) throw new ApiException(status(r.code()), r.message());
        return type.cast(r.payload());
    }

    public static <T extends Payload> T await(CompletableFuture<Result> f, Class<T> type) {
        return value(await(f), type);
    }
}
