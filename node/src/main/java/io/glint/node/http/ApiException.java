package io.glint.node.http;

import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.Map;

/**
 * A request that fails with a documented status (spec §6.2). Thrown by handlers and rendered by
 * {@link ErrorBodies} in the representation the client asked for; the detail is a plain English
 * sentence that names the ids and fields involved.
 */
public final class ApiException extends RuntimeException {
    private final HttpResponseStatus status;
    private final Map<String, String> headers;

    public ApiException(HttpResponseStatus status, String detail) {
        this(status, detail, Map.of());
    }

    public ApiException(HttpResponseStatus status, String detail, Map<String, String> headers) {
        super(detail, null, false, false);
        this.status = status;
        this.headers = Map.copyOf(headers);
    }

    public HttpResponseStatus status() {
        return status;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public static ApiException badRequest(String detail) {
        return new ApiException(HttpResponseStatus.BAD_REQUEST, detail);
    }

    public static ApiException notFound(String detail) {
        return new ApiException(HttpResponseStatus.NOT_FOUND, detail);
    }

    public static ApiException forbidden(String detail) {
        return new ApiException(HttpResponseStatus.FORBIDDEN, detail);
    }

    public static ApiException conflict(String detail) {
        return new ApiException(HttpResponseStatus.CONFLICT, detail);
    }
}
