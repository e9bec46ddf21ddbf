package io.glint.node.http;

import io.netty.handler.codec.http.HttpResponseStatus;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a handler answers: a status, headers and either a small body held in memory or a
 * {@link Streamer} that writes a large one with backpressure (image downloads).
 */
public final class Response {
    /** Writes a streamed body of exactly the announced length. */
    public interface Streamer {
        void writeTo(BodySink sink) throws IOException;
    }

    private final HttpResponseStatus status;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final byte[] body;
    private final Streamer streamer;
    private final long streamLengthBytes;

    private Response(HttpResponseStatus status, byte[] body, Streamer streamer, long streamLengthBytes) {
        this.status = status;
        this.body = body;
        this.streamer = streamer;
        this.streamLengthBytes = streamLengthBytes;
    }

    public static Response json(HttpResponseStatus status, Object value) {
        return new Response(status, Json.write(value), null, 0).header("Content-Type", "application/json");
    }

    public static Response empty(HttpResponseStatus status) {
        return new Response(status, new byte[0], null, 0);
    }

    public static Response bytes(HttpResponseStatus status, String contentType, byte[] body) {
        return new Response(status, body, null, 0).header("Content-Type", contentType);
    }

    public static Response stream(HttpResponseStatus status, long lengthBytes, Streamer streamer) {
        return new Response(status, null, streamer, lengthBytes);
    }

    public Response header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public HttpResponseStatus status() {
        return status;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public byte[] body() {
        return body;
    }

    public Streamer streamer() {
        return streamer;
    }

    public long streamLengthBytes() {
        return streamLengthBytes;
    }
}
