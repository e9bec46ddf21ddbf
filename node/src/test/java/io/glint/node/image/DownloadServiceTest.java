package io.glint.node.image;

import io.glint.node.chunk.ChunkCorruptException;
import io.glint.node.chunk.ChunkMissingException;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.UploadKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static io.glint.node.image.DataPathFixture.ALICE;
import static io.glint.node.image.DataPathFixture.CHUNK_BYTES;
import static io.glint.node.image.TestStreams.randomBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DownloadServiceTest {
    private static final int C = CHUNK_BYTES;

    @TempDir
    Path volume;
    DataPathFixture f;
    byte[] data;
    String id;

    @BeforeEach
    void open() throws Exception {
        f = new DataPathFixture(volume);
        data = randomBytes(3 * C + C / 2, 99);
        id = f.createImage(ALICE);
        f.uploads.upload(ALICE, id, UploadKind.UPLOAD, new ByteArrayInputStream(data), null);
    }

    @AfterEach
    void close() {
        f.close();
    }

    private byte[] expected(long first, long last) {
        return Arrays.copyOfRange(data, (int) first, (int) last + 1);
    }

    @Test
    void rangesReturnExactlyTheRequestedBytes() throws Exception {
        long size = data.length;
        long[][] ranges = {
                {0, 0}, {0, size - 1}, {C - 1, C}, {C, 2L * C - 1}, {5, 3L * C + 9}, {size - 1, size - 1},
                {2L * C + 17, size - 1}, {C / 2, C / 2 + 10},
        };
        for (long[] r : ranges) {
            DownloadService.Download d = f.downloads.open(id, new ByteRange(r[0], r[1]));
            assertTrue(d.partial());
            assertEquals(r[1] - r[0] + 1, d.lengthBytes());
            assertArrayEquals(expected(r[0], r[1]), f.download(id, new ByteRange(r[0], r[1])),
                    () -> "range " + r[0] + "-" + r[1]);
        }
        DownloadService.Download whole = f.downloads.open(id, null);
        assertFalse(whole.partial());
        assertEquals(size, whole.lengthBytes());
        assertEquals(f.image(id).checksum(), whole.manifest().checksum());
    }

    @Test
    void aHeaderParsedAgainstTheImageDrivesTheDownload() throws Exception {
        ByteRange.Parsed suffix = ByteRange.parse("bytes=-100", data.length);
        assertArrayEquals(expected(data.length - 100, data.length - 1), f.download(id, suffix.range()));
        ByteRange.Parsed open = ByteRange.parse("bytes=" + (2 * C) + "-", data.length);
        assertArrayEquals(expected(2L * C, data.length - 1), f.download(id, open.range()));
    }

    @Test
    void aRangeReadsOnlyTheChunksItCovers() throws Exception {
        ChunkManifest m = f.manifest(id);
        assertTrue(f.store.delete(m.chunks().get(0).id()));
        assertTrue(f.store.delete(m.chunks().get(3).id()));
        assertArrayEquals(expected(C, 3L * C - 1), f.download(id, new ByteRange(C, 3L * C - 1)));
        // A range whose first chunk can not be read is refused before anything is committed...
        DataPathException refused = assertThrows(DataPathException.class, () -> f.download(id, new ByteRange(C - 1, C)));
        assertEquals(503, refused.status());
        assertTrue(refused.getCause() instanceof ChunkMissingException, String.valueOf(refused.getCause()));
        // ...one whose later chunk is missing stops the stream when it gets there.
        assertThrows(ChunkMissingException.class, () -> f.download(id, new ByteRange(3L * C - 1, 3L * C)));
    }

    /**
     * Chunks this node lacks come from elsewhere in pooled buffers the download owns: each is sent
     * and given back, and when a chunk can be had nowhere, the ones read ahead go back too.
     */
    @Test
    void chunksFromElsewhereGoBackToTheirPoolWhetherTheDownloadEndsOrBreaks() throws Exception {
        ChunkManifest m = f.manifest(id);
        java.util.Map<String, byte[]> elsewhere = new java.util.concurrent.ConcurrentHashMap<>();
        for (ChunkInfo c : m.chunks()) {
            elsewhere.put(c.id(), f.store.read(c));
            assertTrue(f.store.delete(c.id()));
        }
        io.glint.node.chunk.DirectBufferPool pool = new io.glint.node.chunk.DirectBufferPool(C, 1, 2);
        DownloadService.RemoteChunks remote = c -> {
            byte[] b = elsewhere.get(c.id());
            if (b == null) throw new IOException("no node has chunk " + c.id());
            java.nio.ByteBuffer room = pool.take(b.length);
            room.put(0, b);
            return new io.glint.node.chunk.PooledChunkBuf(room, b.length, pool, () -> { });
        };
        DownloadService remoteReads = new DownloadService(f.direct, f.store, 10_000, f.workers, remote, bad -> { });
        DataPathFixture.CollectingSink sink = new DataPathFixture.CollectingSink();
        remoteReads.open(id, null).streamer().writeTo(sink);
        assertArrayEquals(data, sink.bytes());
        assertEquals(0, pool.outstanding(), "every buffer was given back once sent");

        elsewhere.remove(m.chunks().get(1).id());
        DownloadService.Download d = remoteReads.open(id, null);
        IOException e = assertThrows(IOException.class, () -> d.streamer().writeTo(new DataPathFixture.CollectingSink()));
        assertTrue(e.getMessage().contains("no node has chunk"), e.getMessage());
        // Read-aheads still running when the stream broke give their buffers back when they end.
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (pool.outstanding() != 0 && System.nanoTime() < until) Thread.onSpinWait();
        assertEquals(0, pool.outstanding(), "the buffers read ahead were given back");

        // The first chunks are asked for together when the download opens; when the first can be had
        // nowhere the answer is a 503, and the ones asked for with it (chunk 3 arrives) go back too.
        elsewhere.remove(m.chunks().get(0).id());
        DataPathException noFirst = assertThrows(DataPathException.class, () -> remoteReads.open(id, null));
        assertEquals(503, noFirst.status());
        until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (pool.outstanding() != 0 && System.nanoTime() < until) Thread.onSpinWait();
        assertEquals(0, pool.outstanding(), "the chunks asked for with the first were given back");
    }

    /**
     * A download reads three chunks ahead from its own disk, and six once a chunk has come from
     * another node (a peer's answer takes longer), never more: what it holds stays bounded. When
     * chunk i goes to the client, exactly min(i + window, chunks) reads have been asked for.
     */
    @Test
    void aDownloadFromPeersReadsSixChunksAheadAndFromItsOwnDiskThree() throws Exception {
        int n = 16;
        byte[] big = randomBytes(n * C, 7);
        String many = f.createImage(ALICE);
        f.uploads.upload(ALICE, many, UploadKind.UPLOAD, new ByteArrayInputStream(big), null);
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.Executor counting = task -> {
            asked.incrementAndGet();
            f.workers.execute(task);
        };
        List<Integer> askedAtEachChunk = new java.util.ArrayList<>();
        DataPathFixture.CollectingSink collected = new DataPathFixture.CollectingSink();
        // Each chunk goes to the sink in one write: note how many reads were asked for by then.
        io.glint.node.http.BodySink sink = (bytes, offset, length) -> {
            askedAtEachChunk.add(asked.get());
            collected.write(bytes, offset, length);
        };

        DownloadService local = new DownloadService(f.direct, f.store, 10_000, counting, null, bad -> { });
        local.open(many, null).streamer().writeTo(sink);
        assertArrayEquals(big, collected.bytes());
        assertEquals(windowOf(DownloadService.READ_AHEAD_CHUNKS, n), askedAtEachChunk, "reads asked for by each chunk sent, local disk");

        ChunkManifest m = f.manifest(many);
        java.util.Map<String, byte[]> elsewhere = new java.util.HashMap<>();
        for (ChunkInfo c : m.chunks()) {
            elsewhere.put(c.id(), f.store.read(c));
            assertTrue(f.store.delete(c.id()));
        }
        DownloadService.RemoteChunks remote = c -> io.netty.buffer.Unpooled.wrappedBuffer(elsewhere.get(c.id()));
        DownloadService fromPeers = new DownloadService(f.direct, f.store, 10_000, counting, remote, bad -> { });
        asked.set(0);
        askedAtEachChunk.clear();
        collected.reset();
        fromPeers.open(many, null).streamer().writeTo(sink);
        assertArrayEquals(big, collected.bytes());
        assertEquals(windowOf(DownloadService.READ_AHEAD_REMOTE_CHUNKS, n), askedAtEachChunk, "reads asked for by each chunk sent, from peers");
    }

    /** min(i + window, n) for chunks i = 0 .. n-1. */
    private static List<Integer> windowOf(int window, int n) {
        List<Integer> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) out.add(Math.min(i + window, n));
        return out;
    }

    @Test
    void aCorruptChunkStopsTheStreamBeforeAnyOfItsBytesAreSent() throws Exception {
        ChunkManifest m = f.manifest(id);
        ChunkInfo second = m.chunks().get(1);
        Path file = f.store.pathOf(second.id());
        byte[] onDisk = Files.readAllBytes(file);
        onDisk[onDisk.length - 1] ^= 0x10;
        Files.write(file, onDisk);

        DataPathFixture.CollectingSink sink = new DataPathFixture.CollectingSink();
        DownloadService.Download d = f.downloads.open(id, null);
        assertThrows(ChunkCorruptException.class, () -> d.streamer().writeTo(sink));
        assertArrayEquals(Arrays.copyOf(data, C), sink.bytes());
        assertFalse(f.store.has(second.id()));
        assertEquals(1, f.store.corruptFound());
        // The next reader sees it missing, still as an IOException that aborts the response.
        IOException again = assertThrows(IOException.class, () -> f.download(id, null));
        assertTrue(again instanceof ChunkMissingException);
    }

    /**
     * Where other nodes exist, a local copy that fails its check is quarantined, the chunk is sent
     * from another node instead, and the node is told which chunk's copy was bad (so that its
     * group is repaired at once); a chunk that is merely not here is no such news.
     */
    @Test
    void aBadLocalCopyIsServedFromElsewhereAndReportedForRepair() throws Exception {
        ChunkManifest m = f.manifest(id);
        java.util.Map<String, byte[]> elsewhere = new java.util.HashMap<>();
        for (ChunkInfo c : m.chunks()) elsewhere.put(c.id(), f.store.read(c));
        ChunkInfo second = m.chunks().get(1);
        ChunkInfo third = m.chunks().get(2);
        Path file = f.store.pathOf(second.id());
        byte[] onDisk = Files.readAllBytes(file);
        onDisk[7] ^= 0x01;
        Files.write(file, onDisk);
        assertTrue(f.store.delete(third.id()));

        List<ChunkInfo> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        DownloadService.RemoteChunks remote = c -> io.netty.buffer.Unpooled.wrappedBuffer(elsewhere.get(c.id()));
        DownloadService withPeers = new DownloadService(f.direct, f.store, 10_000, f.workers, remote, reported::add);
        DataPathFixture.CollectingSink sink = new DataPathFixture.CollectingSink();
        withPeers.open(id, null).streamer().writeTo(sink);
        assertArrayEquals(data, sink.bytes(), "the client gets every byte right");
        assertEquals(List.of(second), reported, "only the chunk whose copy here was bad is reported");
        assertFalse(f.store.has(second.id()), "the bad copy is quarantined");
    }

    @Test
    void aTruncatedChunkAlsoStopsTheStream() throws Exception {
        ChunkInfo last = f.manifest(id).chunks().get(3);
        Path file = f.store.pathOf(last.id());
        Files.write(file, Arrays.copyOf(Files.readAllBytes(file), last.lengthBytes() - 1));
        DataPathFixture.CollectingSink sink = new DataPathFixture.CollectingSink();
        assertThrows(ChunkCorruptException.class, () -> f.downloads.open(id, null).streamer().writeTo(sink));
        assertEquals(3 * C, sink.bytes().length);
    }

    @Test
    void noDataOrARangePastTheEndAreTypedErrors() throws Exception {
        String queued = f.createImage(ALICE);
        assertEquals(404, assertThrows(DataPathException.class, () -> f.downloads.open(queued, null)).status());
        assertEquals(404, assertThrows(DataPathException.class,
                () -> f.downloads.open("00000000-0000-0000-0000-000000000009", null)).status());
        assertEquals(416, assertThrows(DataPathException.class,
                () -> f.downloads.open(id, new ByteRange(0, data.length))).status());
    }
}
