package io.glint.node.http;

import io.netty.handler.codec.http.HttpResponseStatus;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * Error bodies as Glance's HTTP framework (WebOb) writes them (spec §6.1): the representation is
 * negotiated from {@code Accept}, offering {@code text/html} first and {@code application/json}
 * second; a client that accepts neither gets plain text. A request without {@code Accept} is
 * treated like one with an empty {@code Accept}, as real Glance does (bench/glance-parity.sh showed
 * it; spec §6.1's table says HTML there). glanceclient sends {@code *}{@code /*} and
 * must get HTML: its JSON error parser crashes on a flat JSON object.
 */
public final class ErrorBodies {
    private ErrorBodies() {}

    public enum Kind { HTML, JSON, TEXT }

    /** A rendered error: content type and body bytes. */
    public record Rendered(String contentType, byte[] body) {}

    private static final Map<Integer, String> EXPLANATIONS = Map.ofEntries(
            Map.entry(400, "The server could not comply with the request since it is either malformed or otherwise incorrect."),
            Map.entry(401, "This server could not verify that you are authorized to access the document you requested. "
                    + "Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand "
                    + "how to supply the credentials required."),
            Map.entry(403, "Access was denied to this resource."),
            Map.entry(404, "The resource could not be found."),
            Map.entry(405, "The method is not allowed for this resource."),
            Map.entry(408, "The server has waited too long for the request to be sent by the client."),
            Map.entry(409, "There was a conflict when trying to complete your request."),
            Map.entry(410, "This resource is no longer available.  No forwarding address is given."),
            Map.entry(411, "Content-Length header required."),
            Map.entry(413, "The body of your request was too large for this server."),
            Map.entry(414, "The request URI was too long for this server."),
            Map.entry(415, "The request media type is not supported by this server."),
            Map.entry(416, "The Range requested is not available."),
            Map.entry(431, "The request header fields were too large."),
            Map.entry(500, "The server has either erred or is incapable of performing the requested operation."),
            Map.entry(501, "The server does not support the request method."),
            Map.entry(503, "The server is currently unavailable. Please try again at a later time."),
            Map.entry(507, "There is not enough space on the server to store the request."));

    /** WebOb's best match of {@code text/html} then {@code application/json} against {@code Accept}. */
    public static Kind negotiate(String accept) {
        if (accept == null) return Kind.TEXT;
        double html = 0;
        double json = 0;
        for (String part : accept.split(",")) {
            String[] p = part.trim().split(";");
            String type = p[0].trim().toLowerCase(Locale.ROOT);
            if (type.isEmpty()) continue;
            double q = 1.0;
            for (int i = 1; i < p.length; i++) {
                String param = p[i].trim();
                if (param.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(param.substring(2));
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            if (type.equals("*/*")) {
                html = Math.max(html, q);
                json = Math.max(json, q);
            } else if (type.equals("text/*") || type.equals("text/html")) {
                html = Math.max(html, q);
            } else if (type.equals("application/*") || type.equals("application/json")) {
                json = Math.max(json, q);
            }
        }
        if (html <= 0 && json <= 0) return Kind.TEXT;
        return json > html ? Kind.JSON : Kind.HTML;
    }

    public static Rendered render(HttpResponseStatus status, String detail, String accept) {
        int code = status.code();
        String reason = status.reasonPhrase();
        String explanation = EXPLANATIONS.getOrDefault(code, "");
        String d = detail == null ? "" : detail;
        switch (negotiate(accept)) {
            case JSON: {
                String message = explanation + "<br /><br />\n" + d + "\n";
                String body = "{\"message\": " + Json.quote(message) + ", \"code\": " + Json.quote(code + " " + reason)
                        + ", \"title\": " + Json.quote(reason) + "}";
                return new Rendered("application/json", body.getBytes(StandardCharsets.UTF_8));
            }
            case TEXT: {
                String body = code + " " + reason + "\n\n" + explanation + "\n\n " + d + "\n\n";
                return new Rendered("text/plain; charset=UTF-8", body.getBytes(StandardCharsets.UTF_8));
            }
            default: {
                String title = code + " " + reason;
                String body = "<html>\n <head>\n  <title>" + title + "</title>\n </head>\n <body>\n  <h1>" + title
                        + "</h1>\n  " + escapeHtml(explanation) + "<br /><br />\n" + escapeHtml(d) + "\n\n\n </body>\n</html>";
                return new Rendered("text/html; charset=UTF-8", body.getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    static String escapeHtml(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
