package io.glint.node.http;

import io.netty.handler.codec.http.HttpMethod;

/**
 * A method and path template ({@code /v2/images/{image_id}/file}) bound to a handler, with the way
 * its request body is taken: refused, aggregated as JSON up to a bound, or streamed.
 */
public record Route(HttpMethod method, String template, BodyMode bodyMode, Handler handler) {

    public enum BodyMode {
        /** no body allowed: a body is a 400 (spec §1.4) */
        NONE,
        /** aggregated in memory up to the JSON body bound (413 past it) */
        JSON,
        /** handed to the handler as a stream, never aggregated */
        STREAM
    }

    @FunctionalInterface
    public interface Handler {
        Response handle(Request request) throws Exception;
    }
}
