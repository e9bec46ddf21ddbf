package io.glint.node.http;

import io.glint.registry.model.Identity;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;

import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP request as a handler sees it. {@code body} is set for routes whose body is aggregated
 * (JSON); {@code bodyStream} for routes that stream it (image data). {@code rawQuery} keeps the
 * query string as sent, for the {@code first}/{@code next} links of list responses.
 */
public record Request(
        HttpMethod method,
        String path,
        String rawQuery,
        Map<String, List<String>> query,
        HttpHeaders headers,
        Map<String, String> pathParams,
        byte[] body,
        InputStream bodyStream,
        String requestId,
        Identity identity,
        String baseUrl) {

    /** The first value of a query parameter, or null. */
    public String queryParam(String name) {
        List<String> v = query == null ? null : query.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    public String pathParam(String name) {
        return pathParams.get(name);
    }

    public String header(String name) {
        return headers.get(name);
    }

    /**
     * The media type of a Content-Type value, lower case, without parameters; "" when absent
     * (a value such as ";" has no media type either).
     */
    public static String mediaType(String contentType) {
        if (contentType == null) return "";
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    public Request withIdentity(Identity id) {
        return new Request(method, path, rawQuery, query, headers, pathParams, body, bodyStream, requestId, id, baseUrl);
    }
}
