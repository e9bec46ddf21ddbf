package io.glint.node.cluster;

import io.glint.node.chunk.ChunkIds;
import io.glint.node.chunk.DirectBufferPool;
import io.glint.node.chunk.PooledChunkBuf;
import io.glint.registry.model.ChunkInfo;
import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * The download side of the peer transport: {@code GET /peer/v1/chunks/{id}?length=&crc32c=} over
 * plain HTTP/1.1 with kept-alive connections, the body read from the socket straight into a pooled
 * direct buffer of the chunk's size, its length and CRC32C checked there, and that buffer handed
 * out as it is (Netty sends it to a client without another copy; releasing it gives it back to the
 * pool). The JDK's HttpClient, which {@link PeerClient} uses, reads a body through heap buffers
 * into a fresh array, and that copying, zeroing and garbage collection was most of a remote
 * download's CPU.
 *
 * <p>Every bound is explicit ({@link Limits}): connections per peer (in use and idle), the time to
 * connect, the time without a byte, the time of a whole request, how long an idle connection is
 * kept, the size of a response head and of an error body. A copy that is not the chunk (wrong
 * length, wrong CRC32C, a body cut short) is an exception, never bytes; the caller fails over to
 * the next replica. A kept connection the peer closed meanwhile is retried once on a new one
 * (before any byte of an answer arrived: the GET is repeatable).
 */
public final class ChunkFetcher implements AutoCloseable {
    /** Bytes of a response head at most (status line and headers). */
    static final int HEAD_BYTES_MAX = 16 * 1024;
    /** Bytes of a non-200 body read (to keep the connection) at most; a longer one closes it. */
    static final int ERROR_BODY_BYTES_MAX = 64 * 1024;

    /**
     * @param connectionsPerPeer connections to one peer at once (in use plus idle); a fetch waits at
     *                           most {@code connectTimeoutMillis} for one
     * @param connectTimeoutMillis  to open a connection, and to get one of a busy peer's
     * @param readTimeoutMillis     without a byte from the peer while an answer is awaited
     * @param requestTimeoutMillis  a whole request, from sending it to the last byte of the answer
     * @param idleKeepMillis        an idle connection older than this is closed, not reused (the
     *                              peer's server closes idle ones after 120 s)
     */
    public record Limits(int connectionsPerPeer, long connectTimeoutMillis, long readTimeoutMillis,
                         long requestTimeoutMillis, long idleKeepMillis) {
        public Limits {
            if (connectionsPerPeer < 1 || connectTimeoutMillis < 1 || readTimeoutMillis < 1 || requestTimeoutMillis < 1
                    || idleKeepMillis < 0) {
                throw new IllegalArgumentException("bad fetcher limits " + this);
            }
        }

        public static Limits defaults() {
            return new Limits(8, 2_000, 10_000, 30_000, 60_000);
        }
    }

    private final String secret;
    private final Limits limits;
    private final Supplier<DirectBufferPool> buffers;
    private final ConcurrentHashMap<String, Peer> peers = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private final AtomicLong connectionsOpened = new AtomicLong();
    private final AtomicLong connectionsReused = new AtomicLong();
    private final AtomicLong staleRetries = new AtomicLong();
    private final AtomicLong chunksFetched = new AtomicLong();
    private final AtomicLong bytesFetched = new AtomicLong();
    private final AtomicLong badCopies = new AtomicLong();

    /**
     * @param buffers where a chunk's buffer comes from (asked on every fetch: the store may resize
     *                its pool at start-up)
     */
    public ChunkFetcher(String secret, Limits limits, Supplier<DirectBufferPool> buffers) {
        if (secret.indexOf('\r') >= 0 || secret.indexOf('\n') >= 0) throw new IllegalArgumentException("a secret is one line");
        this.secret = secret;
        this.limits = limits;
        this.buffers = buffers;
    }

    /**
     * The chunk from the peer at {@code peerAddress} (host:port of its peer API), checked (length
     * and CRC32C as {@code info} says) in a pooled direct buffer the caller owns and must release;
     * null if the peer does not have an intact copy (it answers 404 and quarantines a bad one).
     *
     * @throws PeerClient.PeerException the peer answered with another error status
     * @throws IOException              no connection, a timeout, or bytes that are not the chunk
     */
    public ByteBuf fetch(String peerAddress, ChunkInfo info) throws IOException {
        if (closed) throw new IOException("the chunk fetcher is closed");
        ChunkIds.require(info.id());
        if (info.lengthBytes() < 1 || info.lengthBytes() > PeerApi.CHUNK_BYTES_MAX) {
            throw new IllegalArgumentException("a chunk has 1.." + PeerApi.CHUNK_BYTES_MAX + " bytes, not " + info.lengthBytes());
        }
        Peer peer = peers.computeIfAbsent(peerAddress, a -> new Peer(a, limits.connectionsPerPeer()));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limits.requestTimeoutMillis());
        try {
            if (!peer.slots.tryAcquire(limits.connectTimeoutMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("all " + limits.connectionsPerPeer() + " connections to " + peerAddress
                        + " stayed busy for " + limits.connectTimeoutMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for a connection to " + peerAddress);
        }
        try {
            byte[] request = ("GET /peer/v1/chunks/" + info.id() + "?length=" + info.lengthBytes() + "&crc32c="
                    + Integer.toUnsignedString(info.crc32c()) + " HTTP/1.1\r\nHost: " + peerAddress + "\r\n"
                    + PeerApi.SECRET_HEADER + ": " + secret + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
            boolean retried = false;
            while (true) {
                Connection c = peer.takeIdle(limits.idleKeepMillis());
                boolean reused = c != null;
                if (reused) {
                    connectionsReused.incrementAndGet();
                } else {
                    c = open(peerAddress, deadline);
                }
                try {
                    ByteBuf out = exchange(c, peerAddress, info, request, deadline);
                    if (c.reusable && !closed) {
                        peer.giveIdle(c);
                    } else {
                        c.close();
                    }
                    return out;
                } catch (StaleConnection e) {
                    c.close();
                    if (!reused || retried) throw new IOException(e.getMessage(), e.getCause());
                    retried = true;
                    staleRetries.incrementAndGet();
                } catch (IOException | RuntimeException e) {
                    c.close();
                    throw e;
                }
            }
        } finally {
            peer.slots.release();
        }
    }

    /** Sends the request on {@code c} and reads the answer; leaves {@code c.reusable} saying whether the connection can be kept. */
    private ByteBuf exchange(Connection c, String peerAddress, ChunkInfo info, byte[] request, long deadline) throws IOException {
        c.reusable = false;
        try {
            c.writeFully(ByteBuffer.wrap(request), deadline);
        } catch (IOException e) {
            throw new StaleConnection("could not send to " + peerAddress + ": " + e.getMessage(), e);
        }
        Head head = c.readHead(peerAddress, deadline);
        if (head.status == 200) {
            if (head.chunked || head.contentLength != info.lengthBytes()) {
                badCopies.incrementAndGet();
                throw new IOException("chunk " + info.id() + " from " + peerAddress + " is not intact (the answer has "
                        + (head.chunked ? "a chunked body" : head.contentLength + " bytes") + "; the manifest says "
                        + info.lengthBytes() + ")");
            }
            DirectBufferPool pool = buffers.get();
            int length = info.lengthBytes();
            ByteBuffer room = pool.take(length);
            boolean handedOut = false;
            try {
                ByteBuffer body = room.duplicate().clear().limit(length);
                c.readBody(body, peerAddress, info.id(), deadline);
                CRC32C crc = new CRC32C();
                crc.update(room.duplicate().clear().limit(length));
                int got = (int) crc.getValue();
                c.reusable = !head.close;
                if (got != info.crc32c()) {
                    badCopies.incrementAndGet();
                    throw new IOException("chunk " + info.id() + " from " + peerAddress + " is not intact (CRC32C "
                            + Integer.toHexString(got) + "; the manifest says " + Integer.toHexString(info.crc32c()) + ")");
                }
                ByteBuf out = new PooledChunkBuf(room, length, pool, () -> { });
                handedOut = true;
                chunksFetched.incrementAndGet();
                bytesFetched.addAndGet(length);
                return out;
            } finally {
                if (!handedOut) pool.give(room);
            }
        }
        String body = c.readSmallBody(head, deadline);
        c.reusable = body != null && !head.close;
        if (head.status == 404) return null;
        throw new PeerClient.PeerException(head.status, "get of chunk " + info.id() + " from " + peerAddress + ": "
                + head.status + (body == null || body.isEmpty() ? "" : " " + body));
    }

    private Connection open(String peerAddress, long deadline) throws IOException {
        int colon = peerAddress.lastIndexOf(':');
        if (colon < 1) throw new IOException("not a host:port peer address: " + peerAddress);
        String host = peerAddress.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        int port;
        try {
            port = Integer.parseInt(peerAddress.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IOException("not a host:port peer address: " + peerAddress);
        }
        SocketChannel ch = SocketChannel.open();
        Selector sel = null;
        try {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            sel = Selector.open();
            SelectionKey key = ch.register(sel, 0);
            Connection c = new Connection(ch, sel, key);
            if (!ch.connect(new InetSocketAddress(host, port))) {
                long connectBy = Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limits.connectTimeoutMillis()));
                while (!ch.finishConnect()) {
                    c.await(SelectionKey.OP_CONNECT, connectBy, "connecting to " + peerAddress);
                }
            }
            connectionsOpened.incrementAndGet();
            return c;
        } catch (IOException | RuntimeException e) {
            ch.close();
            if (sel != null) sel.close();
            if (e instanceof SocketTimeoutException) throw e;
            throw new IOException("could not connect to " + peerAddress + ": " + e, e);
        }
    }

    /** Closes every idle connection; fetches after this fail. */
    @Override
    public void close() {
        closed = true;
        for (Peer p : peers.values()) p.closeIdle();
    }

    public long connectionsOpened() {
        return connectionsOpened.get();
    }

    public long connectionsReused() {
        return connectionsReused.get();
    }

    /** Kept connections found closed by the peer when used, and the fetch retried on a new one. */
    public long staleRetries() {
        return staleRetries.get();
    }

    public long chunksFetched() {
        return chunksFetched.get();
    }

    public long bytesFetched() {
        return bytesFetched.get();
    }

    public long badCopies() {
        return badCopies.get();
    }

    /** Connections kept idle now, over every peer. */
    public int idleConnections() {
        int n = 0;
        for (Peer p : peers.values()) n += p.idleCount();
        return n;
    }

    /** A kept connection that turned out closed before any byte of the answer: the request may be repeated. */
    private static final class StaleConnection extends IOException {
        StaleConnection(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private record Head(int status, long contentLength, boolean chunked, boolean close) {}

    /** One peer's connections: at most {@code slots} at once, the idle ones most recent first. */
    private static final class Peer {
        final String address;
        final Semaphore slots;
        private final ArrayDeque<Connection> idle = new ArrayDeque<>();

        Peer(String address, int connections) {
            this.address = address;
            this.slots = new Semaphore(connections, true);
        }

        /** A kept connection still open and younger than {@code keepMillis}, or null; closes those that are not. */
        Connection takeIdle(long keepMillis) {
            List<Connection> dead = new ArrayList<>();
            Connection found = null;
            synchronized (idle) {
                long now = System.nanoTime();
                while (!idle.isEmpty()) {
                    Connection c = idle.pollFirst();
                    if (now - c.idleSince > TimeUnit.MILLISECONDS.toNanos(keepMillis) || !c.looksOpen()) {
                        dead.add(c);
                        continue;
                    }
                    found = c;
                    break;
                }
            }
            for (Connection c : dead) c.close();
            return found;
        }

        void giveIdle(Connection c) {
            c.idleSince = System.nanoTime();
            synchronized (idle) {
                idle.addFirst(c); // never more than the slots: a connection is idle or held by a slot's holder
            }
        }

        int idleCount() {
            synchronized (idle) {
                return idle.size();
            }
        }

        void closeIdle() {
            List<Connection> all;
            synchronized (idle) {
                all = new ArrayList<>(idle);
                idle.clear();
            }
            for (Connection c : all) c.close();
        }
    }

    /** A non-blocking socket with its own selector, so that every wait on it is bounded. */
    private final class Connection {
        final SocketChannel ch;
        final Selector sel;
        final SelectionKey key;
        /** Bytes read past the head, still to be consumed as body; head bytes before them. */
        final ByteBuffer in = ByteBuffer.allocate(HEAD_BYTES_MAX);
        long idleSince;
        boolean reusable;

        Connection(SocketChannel ch, Selector sel, SelectionKey key) {
            this.ch = ch;
            this.sel = sel;
            this.key = key;
        }

        /** Open as far as a non-blocking look can tell: no end of stream and no unasked bytes waiting. */
        boolean looksOpen() {
            if (!ch.isOpen()) return false;
            try {
                return ch.read(ByteBuffer.allocate(1)) == 0;
            } catch (IOException e) {
                return false;
            }
        }

        /** Waits until {@code op} is ready or {@code by} passes (throws then). */
        void await(int op, long by, String what) throws IOException {
            long left = by - System.nanoTime();
            if (left <= 0) throw new SocketTimeoutException("timed out " + what);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted " + what);
            }
            key.interestOps(op);
            sel.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999)));
            sel.selectedKeys().clear();
        }

        void writeFully(ByteBuffer b, long deadline) throws IOException {
            while (b.hasRemaining()) {
                if (ch.write(b) == 0) await(SelectionKey.OP_WRITE, deadline, "sending a request");
            }
        }

        /** Reads at least one byte into {@code dst}, waiting at most the read timeout (and not past {@code deadline}); -1 at end of stream. */
        int readSome(ByteBuffer dst, long deadline, String what) throws IOException {
            long by = Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limits.readTimeoutMillis()));
            while (true) {
                int n = ch.read(dst);
                if (n != 0) return n;
                if (System.nanoTime() - by >= 0) {
                    throw new SocketTimeoutException(by == deadline
                            ? "no whole answer within " + limits.requestTimeoutMillis() + " ms " + what
                            : "nothing for " + limits.readTimeoutMillis() + " ms " + what);
                }
                await(SelectionKey.OP_READ, by, what);
            }
        }

        /** Reads the status line and headers; body bytes that came with them stay in {@link #in}. */
        Head readHead(String peerAddress, long deadline) throws IOException {
            in.clear();
            int end;
            while ((end = headEnd(in)) < 0) {
                if (!in.hasRemaining()) throw new IOException("the answer of " + peerAddress + " has a head over " + HEAD_BYTES_MAX + " bytes");
                int n;
                try {
                    n = readSome(in, deadline, "from " + peerAddress);
                } catch (SocketTimeoutException e) {
                    throw e;
                } catch (IOException e) {
                    if (in.position() == 0) throw new StaleConnection(peerAddress + " closed the connection: " + e.getMessage(), e);
                    throw e;
                }
                if (n < 0) {
                    if (in.position() == 0) throw new StaleConnection(peerAddress + " closed the connection before answering", null);
                    throw new IOException(peerAddress + " closed the connection in the middle of an answer's head");
                }
            }
            String text = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
            in.flip().position(end + 4); // what follows is body
            String[] lines = text.split("\r\n");
            String[] status = lines[0].split(" ", 3);
            if (status.length < 2 || !status[0].startsWith("HTTP/1.")) throw new IOException("not an HTTP answer from " + peerAddress + ": " + lines[0]);
            int code;
            try {
                code = Integer.parseInt(status[1]);
            } catch (NumberFormatException e) {
                throw new IOException("not an HTTP status from " + peerAddress + ": " + lines[0]);
            }
            long length = -1;
            boolean chunked = false;
            boolean close = status[0].equals("HTTP/1.0");
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon < 0) continue;
                String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = lines[i].substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> {
                        try {
                            length = Long.parseLong(value);
                        } catch (NumberFormatException e) {
                            throw new IOException("a bad Content-Length from " + peerAddress + ": " + value);
                        }
                    }
                    case "transfer-encoding" -> chunked = !value.equalsIgnoreCase("identity");
                    case "connection" -> {
                        String v = value.toLowerCase(Locale.ROOT);
                        if (v.contains("close")) {
                            close = true;
                        } else if (v.contains("keep-alive")) {
                            close = false;
                        }
                    }
                    default -> { }
                }
            }
            return new Head(code, length, chunked, close || chunked || length < 0);
        }

        /** Fills {@code body} exactly: first what came with the head, then from the socket. */
        void readBody(ByteBuffer body, String peerAddress, String id, long deadline) throws IOException {
            int want = body.remaining();
            if (in.remaining() > want) throw new IOException(peerAddress + " sent more than the " + want + " bytes of chunk " + id);
            body.put(in);
            while (body.hasRemaining()) {
                if (readSome(body, deadline, "for chunk " + id + " from " + peerAddress) < 0) {
                    badCopies.incrementAndGet();
                    throw new IOException("chunk " + id + " from " + peerAddress + " is not intact (the body ended after "
                            + body.position() + " of " + want + " bytes)");
                }
            }
        }

        /** A short body as text; null when it is too long or unframed to read (the connection is not kept then). */
        String readSmallBody(Head head, long deadline) throws IOException {
            if (head.chunked || head.contentLength < 0 || head.contentLength > ERROR_BODY_BYTES_MAX) return null;
            ByteBuffer body = ByteBuffer.allocate((int) head.contentLength);
            if (in.remaining() > body.remaining()) return null;
            body.put(in);
            while (body.hasRemaining()) {
                if (readSome(body, deadline, "for an answer's body") < 0) return null;
            }
            String text = new String(body.array(), 0, body.position(), StandardCharsets.UTF_8);
            return text.length() > 300 ? text.substring(0, 300) + "..." : text;
        }

        void close() {
            try {
                sel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** Index of the blank line ending a head among the bytes read into {@code b} so far, or -1. */
    private static int headEnd(ByteBuffer b) {
        byte[] a = b.array();
        for (int i = 0; i + 3 < b.position(); i++) {
            if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') return i;
        }
        return -1;
    }
}
