package io.glint.node.fuzz;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 connection over a plain socket that sends whatever bytes it is given (no client
 * library would send a lying Content-Length, a 40 KiB header or invalid UTF-8 in a path) and reads
 * responses framed the way the server frames them (Content-Length, chunked, or up to the close).
 * A server that closes or resets the connection is an ordinary outcome here, not an error.
 */
final class RawConnection implements AutoCloseable {
    static final int READ_TIMEOUT_MILLIS = 15_000;
    private static final int HEAD_MAX_BYTES = 64 * 1024;
    private static final int BODY_MAX_BYTES = 8 << 20;
    private static final int INTERIM_RESPONSES_MAX = 4;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    static RawConnection open(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(READ_TIMEOUT_MILLIS);
        s.setTcpNoDelay(true);
        return new RawConnection(s);
    }

    /** One response: status line, headers (names lower-cased, repeats kept) and body. */
    record Answer(int status, String reason, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        boolean closes() {
            String c = header("connection");
            return c != null && c.toLowerCase(Locale.ROOT).contains("close");
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            String b = bodyText();
            return status + " " + reason + " " + headers + " " + (b.length() > 400 ? b.substring(0, 400) + "..." : b);
        }
    }

    /** Writes bytes; false when the server had already closed or reset the connection. */
    boolean send(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Half-closes: the server sees the end of the stream, the response can still be read. */
    void endOutput() {
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            // already closed by the server: nothing left to end
        }
    }

    /**
     * Reads the next final response (interim 1xx answers are skipped); null when the connection
     * ends (close or reset) before its first byte. A timeout is an IOException: a server that
     * neither answers nor closes is a failure of the test.
     */
    Answer read(boolean headRequest) throws IOException {
        for (int i = 0; i < INTERIM_RESPONSES_MAX; i++) {
            Answer a = readOne(headRequest);
            if (a == null || a.status() >= 200) return a;
        }
        throw new IOException("too many interim responses");
    }

    private Answer readOne(boolean headRequest) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b;
            try {
                b = in.read();
            } catch (SocketException e) {
                if (head.size() == 0) return null;
                throw e;
            }
            if (b < 0) {
                if (head.size() == 0) return null;
                throw new IOException("connection closed inside a response head: " + head);
            }
            head.write(b);
            if (head.size() > HEAD_MAX_BYTES) throw new IOException("response head too large");
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP status line: " + lines[0]);
        }
        int status = Integer.parseInt(statusLine[1]);
        String reason = statusLine.length > 2 ? statusLine[2] : "";
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            if (c <= 0) continue;
            headers.computeIfAbsent(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(lines[i].substring(c + 1).trim());
        }
        byte[] body;
        String length = first(headers, "content-length");
        String te = first(headers, "transfer-encoding");
        if (headRequest || status < 200 || status == 204 || status == 304) {
            body = new byte[0];
        } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = readChunked();
        } else if (length != null) {
            int n = Integer.parseInt(length);
            if (n > BODY_MAX_BYTES) throw new IOException("response body too large: " + n);
            body = in.readNBytes(n);
            if (body.length != n) throw new IOException("short body: " + body.length + " of " + n);
        } else {
            body = in.readNBytes(BODY_MAX_BYTES);
        }
        return new Answer(status, reason, headers, body);
    }

    private byte[] readChunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int chunks = 0; ; chunks++) {
            if (chunks > BODY_MAX_BYTES) throw new IOException("too many chunks");
            String sizeLine = line();
            int semi = sizeLine.indexOf(';');
            int size = Integer.parseInt((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
            if (size == 0) {
                for (int trailers = 0; !line().isEmpty(); trailers++) {
                    if (trailers > INTERIM_RESPONSES_MAX * 16) throw new IOException("too many trailers");
                }
                return body.toByteArray();
            }
            if (body.size() + size > BODY_MAX_BYTES) throw new IOException("chunked response too large");
            body.write(in.readNBytes(size));
            line();
        }
    }

    private String line() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < HEAD_MAX_BYTES; i++) {
            int c = in.read();
            if (c < 0) throw new IOException("connection closed inside a chunked body");
            if (c == '\n') {
                int n = b.length();
                return n > 0 && b.charAt(n - 1) == '\r' ? b.substring(0, n - 1) : b.toString();
            }
            b.append((char) c);
        }
        throw new IOException("line too long");
    }

    /**
     * Whether the server ends the connection within the read timeout: bytes it still sends are
     * read and dropped; a reset counts as ended.
     */
    boolean awaitEnd() {
        try {
            byte[] buf = new byte[8192];
            for (int total = 0; total < BODY_MAX_BYTES; ) {
                int n = in.read(buf);
                if (n < 0) return true;
                total += n;
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static String first(Map<String, List<String>> headers, String name) {
        List<String> v = headers.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing a socket the server reset: nothing to do
        }
    }
}
