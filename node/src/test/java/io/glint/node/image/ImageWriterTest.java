package io.glint.node.image;

import io.glint.node.chunk.ChunkIds;
import io.glint.node.chunk.ChunkStore;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static io.glint.node.image.TestStreams.hex;
import static io.glint.node.image.TestStreams.randomBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageWriterTest {
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path volume;
    final ExecutorService workers = Executors.newFixedThreadPool(3);

    @AfterEach
    void stop() {
        workers.shutdownNow();
    }

    @Test
    void aZeroFilledImageStoresOneChunkForAllItsZeroChunks() throws Exception {
        ChunkStore store = new ChunkStore(volume);
        int chunkBytes = 64 * 1024;
        ImageWriter writer = new ImageWriter(store, workers, ImageWriter.Config.defaults().withChunkSizeBytes(chunkBytes));
        byte[] zeros = new byte[40 * chunkBytes];
        ChunkManifest m = writer.write("img", new ByteArrayInputStream(zeros));

        assertEquals(40, m.chunks().size());
        assertEquals(1, new HashSet<>(m.chunks()).size());
        assertEquals(1, store.list(null, 100).size());
        assertEquals(1, store.chunksWritten());
        assertEquals(39, store.dedupHits());
        assertEquals(hex("MD5", zeros), m.checksum());
        assertEquals(hex("SHA-512", zeros), m.osHashValue());
        assertArrayEquals(new byte[chunkBytes], store.read(m.chunks().get(0)));
    }

    @Test
    void theManifestListsEachChunkInOrderWithItsHashAndCrc() throws Exception {
        ChunkStore store = new ChunkStore(volume);
        int chunkBytes = 1000;
        ImageWriter writer = new ImageWriter(store, workers,
                ImageWriter.Config.defaults().withChunkSizeBytes(chunkBytes).withInFlightChunksMax(3));
        byte[] data = randomBytes(25_500, 3);
        // A body that hands out at most 7 bytes per read: chunk boundaries never match read boundaries.
        InputStream dribble = new ByteArrayInputStream(data) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 7));
            }
        };
        ChunkManifest m = writer.write("img", dribble);
        assertEquals(26, m.chunks().size());
        assertEquals(data.length, m.sizeBytes());
        for (int i = 0; i < m.chunks().size(); i++) {
            ChunkInfo c = m.chunks().get(i);
            int from = i * chunkBytes;
            int len = Math.min(chunkBytes, data.length - from);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(data, from, len);
            assertEquals(HexFormat.of().formatHex(sha.digest()), c.id(), "chunk " + i);
            assertEquals(len, c.lengthBytes());
            assertEquals(ChunkIds.crc32c(data, from, len), c.crc32c());
        }
        assertTrue(writer.buffersAllocated() <= 3);
    }

    /**
     * 256 MiB, generated on the fly, through 4 MiB chunks with at most 4 in flight: the writer
     * must reuse its 4 buffers for all 64 chunks (a writer that allocated per chunk, or let the
     * reader run ahead of the workers, fails here).
     */
    @Test
    void memoryStaysBoundedByInFlightChunksNotByImageSize() throws Exception {
        ChunkStore store = new ChunkStore(volume);
        ImageWriter writer = new ImageWriter(store, workers, ImageWriter.Config.defaults()
                .withChunkSizeBytes(4 * MIB).withInFlightChunksMax(4));
        long sizeBytes = 256L * MIB;
        TestStreams.Generated body = new TestStreams.Generated(sizeBytes);
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        InputStream digesting = new DigestInputStream(body, md5);

        ChunkManifest m = writer.write("big", digesting);

        assertEquals(sizeBytes, m.sizeBytes());
        assertEquals(64, m.chunks().size());
        assertTrue(writer.buffersAllocated() <= 4, () -> "allocated " + writer.buffersAllocated());
        assertTrue(writer.inFlightBuffersPeak() <= 4, () -> "peak " + writer.inFlightBuffersPeak());
        assertTrue(writer.inFlightBuffersPeak() >= 1);
        assertEquals(HexFormat.of().formatHex(md5.digest()), m.checksum());
        Set<String> distinct = new HashSet<>();
        for (ChunkInfo c : m.chunks()) distinct.add(c.id());
        assertEquals(64, distinct.size());
        assertEquals(64, store.chunksWritten());
    }

    /** Uploads one after another reuse the chunk buffers of earlier ones instead of allocating new ones. */
    @Test
    void laterUploadsReuseTheBuffersOfEarlierOnes() throws Exception {
        ChunkStore store = new ChunkStore(volume);
        ImageWriter writer = new ImageWriter(store, workers, ImageWriter.Config.defaults()
                .withChunkSizeBytes(64 * 1024).withInFlightChunksMax(4));
        for (int i = 0; i < 10; i++) {
            writer.write("img-" + i, new java.io.ByteArrayInputStream(randomBytes(1_000_000, 100 + i)));
        }
        assertTrue(writer.buffersAllocated() <= 4, () -> "10 uploads allocated " + writer.buffersAllocated() + " buffers");
        assertThrows(BodyReadException.class,
                () -> writer.write("broken", TestStreams.disconnectingAfter(randomBytes(500_000, 7), 300_000)));
        writer.write("after-failure", new java.io.ByteArrayInputStream(randomBytes(1_000_000, 99)));
        assertTrue(writer.buffersAllocated() <= 4, () -> "a failed upload leaked buffers: " + writer.buffersAllocated());
    }

    @Test
    void aFailingBodyIsReportedAsABodyReadFailure() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        ImageWriter writer = new ImageWriter(store, workers, ImageWriter.Config.defaults().withChunkSizeBytes(1024));
        byte[] data = randomBytes(10_000, 5);
        BodyReadException e = assertThrows(BodyReadException.class,
                () -> writer.write("img", TestStreams.disconnectingAfter(data, 5_000)));
        assertTrue(e.getCause().getMessage().contains("closed"));
    }

    @Test
    void theLimitIsEnforcedAfterExactlyOneExtraByte() throws Exception {
        ChunkStore store = new ChunkStore(volume);
        ImageWriter writer = new ImageWriter(store, workers, ImageWriter.Config.defaults().withChunkSizeBytes(1024));
        TestStreams.Generated body = new TestStreams.Generated(1_000_000);
        ImageTooLargeException e = assertThrows(ImageTooLargeException.class, () -> writer.write("img", body, 4_000));
        assertEquals(4_000, e.limitBytes());
        assertEquals(4_001, body.consumedBytes());
        assertEquals(4_000, writer.write("img2", new TestStreams.Generated(4_000), 4_000).sizeBytes());
    }
}
