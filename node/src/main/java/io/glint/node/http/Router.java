package io.glint.node.http;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Matches a request path against route templates segment by segment. A path that matches a
 * template under another method is a 405 with {@code Allow}; no template at all is a 404; an
 * unknown method on an unmatched path is a 501 (spec §1.4).
 */
public final class Router {
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH");

    private final List<Route> routes = new ArrayList<>();
    private java.util.function.Predicate<String> fallbackPaths = p -> false;
    private Route fallback;

    /** A handler for paths no template matches and {@code paths} accepts (e.g. unknown API versions). */
    public Router fallback(java.util.function.Predicate<String> paths, Route.Handler handler) {
        this.fallbackPaths = paths;
        this.fallback = new Route(HttpMethod.GET, "*", Route.BodyMode.JSON, handler);
        return this;
    }

    public Router add(Route route) {
        routes.add(route);
        return this;
    }

    public Router add(HttpMethod method, String template, Route.BodyMode mode, Route.Handler handler) {
        return add(new Route(method, template, mode, handler));
    }

    /** A matched route with its path parameters. */
    public record Match(Route route, Map<String, String> params) {}

    /** The route for the request, or an ApiException (404, 405 with Allow, 501). */
    public Match match(HttpMethod method, String rawPath) {
        String[] segs = split(rawPath);
        for (int i = 0; i < segs.length; i++) {
            segs[i] = decodeSegment(segs[i]);
            if (segs[i] == null) throw ApiException.notFound("The resource could not be found.");
        }
        Set<String> allowed = new LinkedHashSet<>();
        for (Route r : routes) {
            Map<String, String> params = bind(split(r.template()), segs);
            if (params == null) continue;
            if (r.method().equals(method)) return new Match(r, params);
            allowed.add(r.method().name());
        }
        if (allowed.isEmpty() && fallback != null && fallbackPaths.test(rawPath)) {
            return new Match(fallback, Map.of());
        }
        if (!allowed.isEmpty()) {
            throw new ApiException(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "The method " + method.name() + " is not allowed for this resource.",
                    Map.of("Allow", String.join(", ", allowed)));
        }
        if (!KNOWN_METHODS.contains(method.name())) {
            throw new ApiException(HttpResponseStatus.NOT_IMPLEMENTED, "Method " + method.name() + " is not supported by this server.");
        }
        throw ApiException.notFound("The resource could not be found.");
    }

    private static String[] split(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        if (p.endsWith("/")) p = p.substring(0, p.length() - 1);
        return p.isEmpty() ? new String[0] : p.split("/", -1);
    }

    /** Percent-decodes one path segment as UTF-8 ('+' stays '+'); null when malformed. */
    static String decodeSegment(String s) {
        if (s.indexOf('%') < 0) return s;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) return null;
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) return null;
                out.write((hi << 4) | lo);
                i += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        java.nio.charset.CharsetDecoder dec = java.nio.charset.StandardCharsets.UTF_8.newDecoder();
        try {
            return dec.decode(java.nio.ByteBuffer.wrap(out.toByteArray())).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
    }

    private static Map<String, String> bind(String[] template, String[] segs) {
        if (template.length != segs.length) return null;
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < template.length; i++) {
            String t = template[i];
            if (t.startsWith("{") && t.endsWith("}")) {
                if (segs[i].isEmpty()) return null;
                params.put(t.substring(1, t.length() - 1), segs[i]);
            } else if (!t.equals(segs[i])) {
                return null;
            }
        }
        return params;
    }
}
