package io.glint.node.cluster;

import io.glint.node.chunk.ChunkIds;
import io.glint.node.chunk.ChunkStore;
import io.glint.node.chunk.DirectBufferPool;
import io.glint.node.http.HttpOptions;
import io.glint.node.http.HttpServer;
import io.glint.registry.DirectRegistry;
import io.glint.registry.command.Command;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;
import io.glint.registry.store.InMemoryStore;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fast chunk download client against a real {@link PeerApi} on 127.0.0.1 and against scripted
 * peers that misbehave (a wrong copy, a short body, silence, a closed kept connection, a dead port):
 * exact bytes or an exception, connections kept and reused, and every pooled buffer given back.
 */
class ChunkFetcherTest {
    private static final String SECRET = "chunk-fetcher-test-secret";

    @TempDir
    Path dir;

    private ChunkStore store;
    private HttpServer server;
    private String address;
    private DirectBufferPool pool;
    private ChunkFetcher fetcher;
    private final List<FakePeer> fakes = new ArrayList<>();
    private final ExecutorService io = Executors.newFixedThreadPool(2);

    @BeforeEach
    void start() throws Exception {
        store = new ChunkStore(dir.resolve("volume"));
        LocalChunkIndex index = LocalChunkIndex.build(store, 64);
        server = new HttpServer(HttpOptions.defaults("127.0.0.1", 0), new PeerApi(store, index, 64L << 20).router(),
                PeerApi.secretAuthenticator(SECRET), p -> p);
        address = "127.0.0.1:" + server.port();
        pool = new DirectBufferPool(1 << 20, 4096, 4);
        fetcher = new ChunkFetcher(SECRET, new ChunkFetcher.Limits(2, 2_000, 500, 5_000, 60_000), () -> pool);
    }

    @AfterEach
    void stop() {
        fetcher.close();
        for (FakePeer f : fakes) f.close();
        if (server != null) server.close();
        io.shutdownNow();
    }

    private static byte[] bytes(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private ChunkInfo stored(byte[] data) throws IOException {
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        store.put(info, data, 0);
        return info;
    }

    private static byte[] drain(ByteBuf b) {
        try {
            byte[] out = new byte[b.readableBytes()];
            b.getBytes(b.readerIndex(), out);
            return out;
        } finally {
            b.release();
        }
    }

    @Test
    void fetchesExactBytesOverOneKeptConnectionAndGivesEveryBufferBack() throws Exception {
        List<ChunkInfo> infos = new ArrayList<>();
        List<byte[]> datas = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            byte[] data = bytes(1000 + i * 300_000, i); // one under a page, one over the pool's buffer size
            datas.add(data);
            infos.add(stored(data));
        }
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < infos.size(); i++) {
                ByteBuf b = fetcher.fetch(address, infos.get(i));
                assertNotNull(b);
                assertTrue(b.isDirect(), "a direct buffer, sent without a copy");
                assertArrayEquals(datas.get(i), drain(b));
            }
        }
        assertEquals(1, fetcher.connectionsOpened(), "one connection, kept");
        assertEquals(9, fetcher.connectionsReused());
        assertEquals(10, fetcher.chunksFetched());
        assertEquals(0, pool.outstanding(), "every pooled buffer came back");
        assertEquals(1, fetcher.idleConnections());
    }

    @Test
    void aChunkThePeerLacksOrHoldsBadIsNullAndTheConnectionIsKept() throws Exception {
        byte[] data = bytes(70_000, 7);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        assertNull(fetcher.fetch(address, info), "not there");
        store.put(info, data, 0);
        // A manifest that disagrees with the copy: the peer refuses to serve it (and quarantines it).
        assertNull(fetcher.fetch(address, new ChunkInfo(info.id(), info.lengthBytes(), info.crc32c() ^ 1)));
        assertEquals(1, fetcher.connectionsOpened());
        assertEquals(0, pool.outstanding());
    }

    @Test
    void theWrongSecretIsAPeerError() throws Exception {
        ChunkInfo info = stored(bytes(5000, 8));
        try (ChunkFetcher stranger = new ChunkFetcher("not-the-secret", ChunkFetcher.Limits.defaults(), () -> pool)) {
            PeerClient.PeerException e = assertThrows(PeerClient.PeerException.class, () -> stranger.fetch(address, info));
            assertEquals(401, e.status());
        }
        assertEquals(0, pool.outstanding());
    }

    @Test
    void aWrongCopyIsAnErrorNeverBytes() throws Exception {
        byte[] data = bytes(300_000, 9);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        byte[] bad = data.clone();
        bad[123_456] ^= 0x10;
        FakePeer peer = fake();
        peer.answer(ok(bad, false));
        IOException e = assertThrows(IOException.class, () -> fetcher.fetch(peer.address(), info));
        assertTrue(e.getMessage().contains("not intact"), e.getMessage());
        assertEquals(1, fetcher.badCopies());
        // A body of another length than the manifest's.
        peer.answer(ok(java.util.Arrays.copyOf(data, data.length - 1), false));
        e = assertThrows(IOException.class, () -> fetcher.fetch(peer.address(), info));
        assertTrue(e.getMessage().contains("not intact"), e.getMessage());
        assertEquals(0, pool.outstanding());
    }

    @Test
    void aShortBodyIsAnError() throws Exception {
        byte[] data = bytes(400_000, 10);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        FakePeer peer = fake();
        peer.answer(partial(data, 200_000, true)); // then close
        IOException e = assertThrows(IOException.class, () -> fetcher.fetch(peer.address(), info));
        assertTrue(e.getMessage().contains("ended after 200000 of 400000"), e.getMessage());
        assertEquals(0, pool.outstanding());
    }

    @Test
    void aSilentPeerTimesOut() throws Exception {
        byte[] data = bytes(50_000, 11);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        FakePeer peer = fake();
        peer.answer(partial(data, 10_000, null)); // then silence, the connection open
        long t0 = System.nanoTime();
        assertThrows(SocketTimeoutException.class, () -> fetcher.fetch(peer.address(), info));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(millis >= 450 && millis < 4_000, "the read timeout (500 ms) ended it after " + millis + " ms");
        peer.answer(out -> null); // no answer at all
        assertThrows(SocketTimeoutException.class, () -> fetcher.fetch(peer.address(), info));
        assertEquals(0, pool.outstanding());
        assertEquals(0, fetcher.idleConnections(), "a timed-out connection is not kept");
    }

    @Test
    void aDeadPeerIsAnErrorAtOnce() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ChunkInfo info = ChunkIds.describe(bytes(100, 12), 0, 100);
        IOException e = assertThrows(IOException.class, () -> fetcher.fetch("127.0.0.1:" + port, info));
        assertTrue(e.getMessage().contains("could not connect"), e.getMessage());
        assertEquals(0, pool.outstanding());
    }

    @Test
    void aKeptConnectionThePeerClosedIsRetriedOnANewOne() throws Exception {
        byte[] data = bytes(80_000, 13);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        FakePeer peer = fake();
        // The first answer says keep-alive, then the peer reads the next request and closes without a word.
        peer.answer(ok(data, false));
        peer.answer(out -> true);
        peer.answer(ok(data, false));
        assertArrayEquals(data, drain(fetcher.fetch(peer.address(), info)));
        assertArrayEquals(data, drain(fetcher.fetch(peer.address(), info)));
        assertEquals(1, fetcher.staleRetries());
        assertEquals(2, fetcher.connectionsOpened());
        assertEquals(0, pool.outstanding());
    }

    @Test
    void connectionsPerPeerAreBounded() throws Exception {
        byte[] data = bytes(20_000, 14);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        FakePeer peer = fake();
        for (int i = 0; i < 2; i++) peer.answer(out -> null); // both connections held without an answer
        ChunkFetcher oneSlow = new ChunkFetcher(SECRET, new ChunkFetcher.Limits(2, 300, 3_000, 3_000, 60_000), () -> pool);
        try {
            var a = io.submit(() -> oneSlow.fetch(peer.address(), info));
            var b = io.submit(() -> oneSlow.fetch(peer.address(), info));
            assertTrue(peer.awaitConnections(2, 5_000), "both connections are open");
            IOException e = assertThrows(IOException.class, () -> oneSlow.fetch(peer.address(), info));
            assertTrue(e.getMessage().contains("connections to"), e.getMessage());
            assertThrows(Exception.class, () -> a.get(10, TimeUnit.SECONDS));
            assertThrows(Exception.class, () -> b.get(10, TimeUnit.SECONDS));
            assertEquals(2, peer.connections.get(), "no third connection was opened");
        } finally {
            oneSlow.close();
        }
        assertEquals(0, pool.outstanding());
    }

    /** A download's chunk through ReplicatedChunks: a bad replica and a dead one are skipped, the good one serves. */
    @Test
    void replicatedFetchFailsOverToAnIntactCopy() throws Exception {
        FakePeer corrupt = fake();
        int deadPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        DirectRegistry registry = new DirectRegistry(new InMemoryStore());
        join(registry, "n1", "127.0.0.1:1");
        join(registry, "n2", corrupt.address());
        join(registry, "n3", "127.0.0.1:" + deadPort);
        join(registry, "n4", address);
        ClusterView view = new ClusterView(registry, "n1", 3);
        view.refresh();
        // A chunk whose fetch order ends with the one good copy (n4): both others must be tried first.
        byte[] data = null;
        for (int seed = 0; data == null; seed++) {
            byte[] candidate = bytes(200_000, 1000 + seed);
            List<String> order = view.placement().fetchOrder(ChunkIds.describe(candidate, 0, candidate.length).id(), "n1");
            if (order.equals(List.of("n2", "n3", "n4")) || order.equals(List.of("n3", "n2", "n4"))) data = candidate;
        }
        ChunkInfo info = stored(data);
        byte[] bad = data.clone();
        bad[0] ^= 1;
        for (int i = 0; i < 4; i++) corrupt.answer(ok(bad, false));
        ChunkStore empty = new ChunkStore(dir.resolve("empty"));
        ReplicatedChunks chunks = new ReplicatedChunks(view, empty, new PeerClient(SECRET, Duration.ofSeconds(2)), fetcher, io,
                replicas -> Math.min(2, replicas), 5_000);
        for (int i = 0; i < 3; i++) assertArrayEquals(data, drain(chunks.fetchBuffer(info)));
        assertEquals(6, chunks.fetchFailovers(), "the corrupt and the dead node were tried each time");
        assertEquals(3, chunks.remoteFetches());
        assertEquals(3, fetcher.badCopies());
        // With the only good copy gone, no bytes: an error that says what each node said.
        server.close();
        server = null;
        IOException e = assertThrows(IOException.class, () -> chunks.fetchBuffer(info));
        assertTrue(e.getMessage().contains("no node has an intact copy"), e.getMessage());
        assertEquals(0, pool.outstanding());
    }

    private static void join(DirectRegistry registry, String id, String peerAddress) throws Exception {
        NodeInfo n = new NodeInfo(id, "127.0.0.1:1", peerAddress, "127.0.0.1:3", "default", 0, NodeState.UP, 0, 0);
        assertTrue(registry.propose(new Command.JoinNode(1, n)).get().isOk());
    }

    /** A scripted answer: writes to the connection; true closes it, false keeps it for the next request, null holds it silent. */
    @FunctionalInterface
    interface Answer {
        Boolean write(OutputStream out) throws IOException;
    }

    private static Answer ok(byte[] body, boolean close) {
        return out -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + body.length + "\r\n"
                    + (close ? "Connection: close\r\n" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            return close;
        };
    }

    /** A 200 head announcing {@code body} whole, then only its first {@code sent} bytes; {@code then} as in {@link Answer}. */
    private static Answer partial(byte[] body, int sent, Boolean then) {
        return out -> {
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, sent);
            out.flush();
            return then;
        };
    }

    private FakePeer fake() throws IOException {
        FakePeer f = new FakePeer();
        fakes.add(f);
        return f;
    }

    /** A peer on 127.0.0.1 that answers each request it reads with the next scripted answer. */
    private static final class FakePeer implements AutoCloseable {
        final ServerSocket socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        final BlockingQueue<Answer> answers = new LinkedBlockingQueue<>();
        final AtomicInteger connections = new AtomicInteger();
        final List<Socket> open = new CopyOnWriteArrayList<>();
        final Thread acceptor;

        FakePeer() throws IOException {
            acceptor = new Thread(this::accept, "fake-peer");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String address() {
            return "127.0.0.1:" + socket.getLocalPort();
        }

        void answer(Answer a) {
            answers.add(a);
        }

        boolean awaitConnections(int n, long millis) throws InterruptedException {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            synchronized (connections) {
                while (connections.get() < n) {
                    long left = until - System.nanoTime();
                    if (left <= 0) return false;
                    TimeUnit.NANOSECONDS.timedWait(connections, left);
                }
            }
            return true;
        }

        private void accept() {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    open.add(s);
                    synchronized (connections) {
                        connections.incrementAndGet();
                        connections.notifyAll();
                    }
                    Thread t = new Thread(() -> serve(s), "fake-peer-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (true) {
                    if (!readHead(in)) return;
                    Answer a = answers.poll(10, TimeUnit.SECONDS);
                    if (a == null) return;
                    Boolean close = a.write(out);
                    if (close == null) {
                        in.transferTo(OutputStream.nullOutputStream()); // silent until the client goes
                        return;
                    }
                    if (close) return;
                }
            } catch (IOException | InterruptedException e) {
                // the client went away
            }
        }

        private static boolean readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int state = 0;
            while (state < 4) {
                int c = in.read();
                if (c < 0) return false;
                head.write(c);
                state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1
                        : (c == '\r' ? 1 : 0);
            }
            return true;
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
            for (Socket s : open) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
    }
}
