package io.glint.node.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Raw HTTP/1.1 over a plain socket, for requests java.net.http will not send: unknown methods,
 * empty header values, bodies on GET with chunked encoding. Reads exactly one response whose
 * body is framed by Content-Length (every response under test is).
 */
final class RawHttp {
    private static final int TIMEOUT_MILLIS = 20_000;
    private static final int HEAD_MAX_BYTES = 64 * 1024;

    private RawHttp() {}

    record Resp(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Sends {@code request} (CRLF line ends, written as given) and reads one response. */
    static Resp exchange(int port, String request) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(TIMEOUT_MILLIS);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return read(s.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends {@code requests} in one write (pipelined) and reads {@code count} responses. */
    static java.util.List<Resp> pipeline(int port, String requests, int count) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(TIMEOUT_MILLIS);
            OutputStream out = s.getOutputStream();
            out.write(requests.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            java.util.List<Resp> rs = new java.util.ArrayList<>();
            for (int i = 0; i < count; i++) rs.add(read(in));
            return rs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads one response from {@code in} (for tests that write a request in several steps). */
    static Resp read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) throw new IOException("connection closed inside the response head: " + head);
            head.write(b);
            if (head.size() > HEAD_MAX_BYTES) throw new IOException("response head too large");
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            if (c > 0) headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = in.readNBytes(length);
        if (body.length != length) throw new IOException("short body: " + body.length + " of " + length);
        return new Resp(status, headers, new String(body, StandardCharsets.UTF_8));
    }
}
