package io.glint.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Image uploads and downloads over one plain HTTP/1.1 connection: the body goes from and to
 * direct 1 MiB buffers without passing through Java heap arrays or a reactive pipeline, so, as
 * with curl, the client costs little CPU and the figure is the server's. Every transfer is bounded
 * by a deadline: a watchdog closes the connection when it passes.
 */
final class RawTransfer {
    /** What came back: status, a short body (errors), body bytes, the first wrong byte (-1: none), time. */
    record Answer(int status, String body, long bodyBytes, long firstMismatchOffset, long elapsedNanos) {}

    private static final int HEAD_BYTES_MAX = 64 * 1024;
    private static final int SHORT_BODY_BYTES_MAX = 64 * 1024;
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "raw-transfer-watchdog");
        t.setDaemon(true);
        return t;
    });

    private RawTransfer() {}

    /** PUT {@code path} with the image's bytes as the body; returns the answer once its head and body are read. */
    static Answer upload(URI base, String path, String token, ImageBytes image, Duration timeout) throws IOException {
        try (Connection c = new Connection(base, timeout)) {
            long t0 = System.nanoTime();
            c.writeHead("PUT " + path + " HTTP/1.1\r\nHost: " + base.getAuthority() + "\r\nX-Auth-Token: " + token
                    + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + image.lengthBytes()
                    + "\r\nConnection: close\r\n\r\n");
            ByteBuffer block = image.newBlockBuffer();
            for (long i = 0; i < image.blocks(); i++) c.writeFully(image.stamp(block, i));
            Head head = c.readHead();
            String body = c.readShortBody(head);
            return new Answer(head.status, body, body.length(), -1, System.nanoTime() - t0);
        }
    }

    /** GET {@code path}; a 200 body is compared byte for byte with {@code expected} as it arrives. */
    static Answer download(URI base, String path, String token, ImageBytes expected, Duration timeout) throws IOException {
        try (Connection c = new Connection(base, timeout)) {
            long t0 = System.nanoTime();
            c.writeHead("GET " + path + " HTTP/1.1\r\nHost: " + base.getAuthority() + "\r\nX-Auth-Token: " + token
                    + "\r\nConnection: close\r\n\r\n");
            Head head = c.readHead();
            if (head.status != 200) {
                String body = c.readShortBody(head);
                return new Answer(head.status, body, body.length(), -1, System.nanoTime() - t0);
            }
            if (head.chunked) throw new IOException("the download came chunked; the bench needs a Content-Length");
            if (head.contentLength < 0) throw new IOException("the download has no Content-Length");
            ByteBuffer want = expected.newBlockBuffer();
            ByteBuffer got = ByteBuffer.allocateDirect(ImageBytes.BLOCK_BYTES);
            long received = 0;
            long mismatch = -1;
            for (long i = 0; received < head.contentLength; i++) {
                int n = (int) Math.min(ImageBytes.BLOCK_BYTES, head.contentLength - received);
                got.clear().limit(n);
                c.readFully(got);
                got.flip();
                if (mismatch < 0) {
                    if (i >= expected.blocks()) {
                        mismatch = received;
                    } else {
                        ByteBuffer w = expected.stamp(want, i);
                        int at = got.mismatch(w);
                        if (at >= 0) mismatch = received + at;
                    }
                }
                received += n;
            }
            if (mismatch < 0 && received != expected.lengthBytes()) mismatch = Math.min(received, expected.lengthBytes());
            return new Answer(200, "", received, mismatch, System.nanoTime() - t0);
        }
    }

    private record Head(int status, long contentLength, boolean chunked) {}

    /** One connection with a deadline; bytes of the body that arrived with the head are kept in {@code pending}. */
    private static final class Connection implements AutoCloseable {
        private final SocketChannel channel;
        private final ScheduledFuture<?> watchdog;
        private ByteBuffer pending = ByteBuffer.allocate(0);

        Connection(URI base, Duration timeout) throws IOException {
            channel = SocketChannel.open();
            watchdog = WATCHDOG.schedule(this::closeQuietly, timeout.toMillis(), TimeUnit.MILLISECONDS);
            channel.connect(new InetSocketAddress(base.getHost(), base.getPort()));
        }

        void writeHead(String head) throws IOException {
            writeFully(ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1)));
        }

        void writeFully(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) channel.write(b);
        }

        /** Fills {@code dest} to its limit, from what arrived with the head first; EOF before that is an error. */
        void readFully(ByteBuffer dest) throws IOException {
            if (pending.hasRemaining()) {
                int n = Math.min(pending.remaining(), dest.remaining());
                dest.put(pending.slice(pending.position(), n));
                pending.position(pending.position() + n);
            }
            while (dest.hasRemaining()) {
                if (channel.read(dest) < 0) throw new IOException("the server closed the connection mid-body");
            }
        }

        Head readHead() throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(HEAD_BYTES_MAX);
            int end;
            while ((end = headEnd(buf)) < 0) {
                if (!buf.hasRemaining()) throw new IOException("response head over " + HEAD_BYTES_MAX + " bytes");
                if (channel.read(buf) < 0) throw new IOException("the server closed the connection before answering");
            }
            String head = new String(buf.array(), 0, end, StandardCharsets.ISO_8859_1);
            pending = ByteBuffer.wrap(buf.array(), end + 4, buf.position() - end - 4);
            String[] lines = head.split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x status line: " + lines[0]);
            }
            int status = Integer.parseInt(statusLine[1]);
            long length = -1;
            boolean chunked = false;
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon < 0) continue;
                String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = lines[i].substring(colon + 1).trim();
                if (name.equals("content-length")) length = Long.parseLong(value);
                if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) chunked = true;
            }
            if (status == 204 || status == 304) length = 0;
            return new Head(status, length, chunked);
        }

        /** A body that is not image data (at most 64 KiB is kept), read to its length or to EOF. */
        String readShortBody(Head head) throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(SHORT_BODY_BYTES_MAX);
            if (head.contentLength >= 0) {
                long left = head.contentLength;
                while (left > 0) {
                    int n = (int) Math.min(left, buf.remaining());
                    if (n == 0) throw new IOException("response body over " + SHORT_BODY_BYTES_MAX + " bytes");
                    ByteBuffer part = buf.slice(buf.position(), n);
                    readFully(part);
                    buf.position(buf.position() + n);
                    left -= n;
                }
            } else {
                buf.put(pending);
                while (buf.hasRemaining() && channel.read(buf) >= 0) {
                    // until EOF (Connection: close) or the cap
                }
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        }

        private static int headEnd(ByteBuffer buf) {
            byte[] a = buf.array();
            for (int i = 0; i + 3 < buf.position(); i++) {
                if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') return i;
            }
            return -1;
        }

        private void closeQuietly() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing
            }
        }

        @Override
        public void close() {
            watchdog.cancel(false);
            closeQuietly();
        }
    }
}
