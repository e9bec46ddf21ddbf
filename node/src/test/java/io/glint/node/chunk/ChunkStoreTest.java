package io.glint.node.chunk;

import io.glint.registry.model.ChunkInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkStoreTest {
    @TempDir
    Path volume;

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static List<Path> files(Path dir) throws IOException {
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void putThenReadReturnsTheSameBytesAtTheContentAddress() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        byte[] data = bytes(10_000, 1);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        assertTrue(store.put(info, data, 0));
        Path expected = volume.resolve("chunks").resolve(info.id().substring(0, 2))
                .resolve(info.id().substring(2, 4)).resolve(info.id());
        assertTrue(Files.isRegularFile(expected));
        assertArrayEquals(data, store.read(info));
        assertTrue(store.has(info.id()));
        assertTrue(store.verifySha256(info.id()));
        assertEquals(1, store.chunksWritten());
        assertEquals(10_000, store.bytesWritten());
        assertEquals(List.of(), files(volume.resolve("tmp")));
    }

    /**
     * Both write modes store exactly the chunk's bytes, whatever its length relative to the
     * direct-I/O alignment (a direct write pads to whole blocks and cuts the file back), and a read
     * into an aligned direct buffer (the download path), into an unaligned one and into an array all
     * return them; a flipped byte is caught on the direct-read path too.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(ChunkStore.WriteMode.class)
    void everyWriteModeStoresExactBytesAndDirectReadsCheckThem(ChunkStore.WriteMode mode) throws IOException {
        ChunkStore store = new ChunkStore(volume, mode);
        if (mode == ChunkStore.WriteMode.BUFFERED) assertFalse(store.writesDirect());
        int[] lengths = {1, 4095, 4096, 4097, 65_536, 1_000_003};
        List<ChunkInfo> infos = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            byte[] data = bytes(lengths[i], 40 + i);
            ChunkInfo info = ChunkIds.describe(data, 0, data.length);
            assertTrue(store.put(info, data, 0));
            assertEquals(lengths[i], Files.size(store.pathOf(info.id())), "file length of a " + lengths[i] + "-byte chunk");
            assertArrayEquals(data, store.read(info));
            assertTrue(store.verifySha256(info.id()));
            int align = Math.max(store.directAlignment(), 1);
            ByteBuffer aligned = ByteBuffer.allocateDirect(store.directReadBytes(lengths[i]) + 2 * align);
            int at = (align - aligned.alignmentOffset(0, align)) % align;
            store.read(info, aligned.position(at));
            assertEquals(at + lengths[i], aligned.position());
            assertEquals(ByteBuffer.wrap(data), aligned.flip().position(at));
            ByteBuffer unaligned = ByteBuffer.allocateDirect(lengths[i] + 8);
            store.read(info, unaligned.position(3));
            assertEquals(ByteBuffer.wrap(data), unaligned.flip().position(3));
            infos.add(info);
        }
        assertEquals(List.of(), files(volume.resolve("tmp")));

        ChunkInfo victim = infos.get(3);
        Path file = store.pathOf(victim.id());
        byte[] onDisk = Files.readAllBytes(file);
        onDisk[onDisk.length - 1] ^= 0x01;
        Files.write(file, onDisk);
        int align = Math.max(store.directAlignment(), 1);
        ByteBuffer aligned = ByteBuffer.allocateDirect(store.directReadBytes(victim.lengthBytes()) + 2 * align);
        int at = (align - aligned.alignmentOffset(0, align)) % align;
        assertThrows(ChunkCorruptException.class, () -> store.read(victim, aligned.position(at)));
        assertFalse(store.has(victim.id()), "a corrupt chunk is quarantined");
    }

    @Test
    void putFromAnOffsetStoresOnlyThoseBytes() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        byte[] data = bytes(1000, 2);
        ChunkInfo info = ChunkIds.describe(data, 100, 300);
        store.put(info, data, 100);
        byte[] back = new byte[4096];
        assertEquals(300, store.read(info, back));
        for (int i = 0; i < 300; i++) assertEquals(data[100 + i], back[i]);
    }

    @Test
    void anIdenticalChunkIsStoredOnce() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        byte[] data = bytes(5000, 3);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        assertTrue(store.put(info, data, 0));
        assertFalse(store.put(info, data.clone(), 0));
        assertEquals(1, store.chunksWritten());
        assertEquals(1, store.dedupHits());
        assertEquals(1, files(volume.resolve("chunks")).size());
    }

    @Test
    void putOverACopyOfTheWrongLengthQuarantinesItAndWritesAgain() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        byte[] data = bytes(5000, 4);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        store.put(info, data, 0);
        Path file = store.pathOf(info.id());
        Files.write(file, new byte[10]);
        assertTrue(store.put(info, data, 0));
        assertArrayEquals(data, store.read(info));
        assertEquals(1, files(store.quarantineDirectory()).size());
        assertEquals(0, store.dedupHits());
    }

    @Test
    void concurrentPutsOfOneChunkLeaveOneWholeFile() throws Exception {
        ChunkStore store = new ChunkStore(volume);
        byte[] data = bytes(200_000, 5);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> puts = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                puts.add(pool.submit(() -> {
                    go.await();
                    return store.put(info, data, 0);
                }));
            }
            go.countDown();
            for (Future<Boolean> f : puts) f.get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertArrayEquals(data, store.read(info));
        assertEquals(1, files(volume.resolve("chunks")).size());
        assertEquals(List.of(), files(store.tmpDirectory()));
    }

    @Test
    void idsThatAreNotLowercaseHexNeverBecomePaths() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        String traversal = "../../../../etc/passwd" + "0".repeat(64 - 22);
        String upper = "A".repeat(64);
        String shortId = "ab";
        for (String bad : List.of(traversal, upper, shortId, "g".repeat(64))) {
            assertThrows(IllegalArgumentException.class, () -> store.pathOf(bad), bad);
            assertThrows(IllegalArgumentException.class, () -> store.has(bad), bad);
            assertThrows(IllegalArgumentException.class, () -> store.delete(bad), bad);
            assertThrows(IllegalArgumentException.class, () -> store.verifySha256(bad), bad);
        }
        ChunkInfo traversing = new ChunkInfo(traversal, 1, 0);
        assertThrows(IllegalArgumentException.class, () -> store.read(traversing));
        assertThrows(IllegalArgumentException.class, () -> store.put(traversing, new byte[1], 0));
        assertThrows(IllegalArgumentException.class, () -> store.list(traversal, 10));
    }

    @Test
    void startupClearsWhatACrashLeftInTmpAndKeepsChunks() throws IOException {
        ChunkStore first = new ChunkStore(volume);
        byte[] data = bytes(3000, 6);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        first.put(info, data, 0);
        Path tmp = volume.resolve("tmp");
        Files.write(tmp.resolve("abc.123.tmp"), new byte[777]);
        Files.createDirectories(tmp.resolve("stray"));
        Files.write(tmp.resolve("stray").resolve("x"), new byte[1]);

        ChunkStore reopened = new ChunkStore(volume);
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(0, left.count());
        }
        assertArrayEquals(data, reopened.read(info));
    }

    @Test
    void noFileAppearsInChunksUntilTheWriteIsComplete() throws Exception {
        FaultyChunkStore store = new FaultyChunkStore(volume);
        CountDownLatch halfWritten = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        store.arm((channel, source) -> {
            ByteBuffer half = source.slice();
            half.limit(source.remaining() / 2);
            while (half.hasRemaining()) channel.write(half);
            source.position(source.position() + source.remaining() / 2);
            halfWritten.countDown();
            try {
                resume.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            while (source.hasRemaining()) channel.write(source);
        });
        byte[] data = bytes(100_000, 7);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        CompletableFuture<Boolean> put = CompletableFuture.supplyAsync(() -> {
            try {
                return store.put(info, data, 0);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(halfWritten.await(30, TimeUnit.SECONDS));
        assertFalse(store.has(info.id()));
        assertEquals(List.of(), files(volume.resolve("chunks")));
        List<Path> inTmp = files(store.tmpDirectory());
        assertEquals(1, inTmp.size());
        assertEquals(50_000, Files.size(inTmp.get(0)));

        resume.countDown();
        assertTrue(put.get(30, TimeUnit.SECONDS));
        assertArrayEquals(data, store.read(info));
        assertEquals(List.of(), files(store.tmpDirectory()));
    }

    @Test
    void aFlippedByteIsCorruptAndTheFileIsQuarantined() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        byte[] data = bytes(4096, 8);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        store.put(info, data, 0);
        Path file = store.pathOf(info.id());
        byte[] onDisk = Files.readAllBytes(file);
        onDisk[1234] ^= 0x01;
        Files.write(file, onDisk);

        ChunkCorruptException e = assertThrows(ChunkCorruptException.class, () -> store.read(info));
        assertEquals(info.id(), e.chunkId());
        assertFalse(Files.exists(file));
        List<Path> quarantined = files(store.quarantineDirectory());
        assertEquals(1, quarantined.size());
        assertTrue(quarantined.get(0).getFileName().toString().startsWith(info.id()));
        assertArrayEquals(onDisk, Files.readAllBytes(quarantined.get(0)));
        assertEquals(1, store.corruptFound());
        assertThrows(ChunkMissingException.class, () -> store.read(info));
    }

    @Test
    void aTruncatedChunkIsCorruptAndTheFileIsQuarantined() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        byte[] data = bytes(4096, 9);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        store.put(info, data, 0);
        Path file = store.pathOf(info.id());
        Files.write(file, Arrays.copyOf(data, 4000));

        assertThrows(ChunkCorruptException.class, () -> store.read(info));
        assertFalse(store.has(info.id()));
        assertEquals(1, files(store.quarantineDirectory()).size());
        assertEquals(1, store.corruptFound());
    }

    @Test
    void aDeletedChunkIsMissing() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        byte[] data = bytes(100, 10);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        store.put(info, data, 0);
        assertTrue(store.delete(info.id()));
        assertFalse(store.delete(info.id()));
        ChunkMissingException e = assertThrows(ChunkMissingException.class, () -> store.read(info));
        assertEquals(info.id(), e.chunkId());
        assertThrows(ChunkMissingException.class, () -> store.verifySha256(info.id()));
        assertEquals(0, store.corruptFound());
    }

    @Test
    void aFullDiskIsTypedAndLeavesNoPartialFile() throws IOException {
        FaultyChunkStore store = new FaultyChunkStore(volume);
        store.arm(FaultyChunkStore.diskFullHalfway());
        byte[] data = bytes(64 * 1024, 11);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        assertThrows(StoreFullException.class, () -> store.put(info, data, 0));
        assertFalse(store.has(info.id()));
        assertEquals(List.of(), files(volume.resolve("chunks")));
        assertEquals(List.of(), files(store.tmpDirectory()));
        assertEquals(0, store.chunksWritten());
    }

    @Test
    void anotherDeviceErrorIsAPlainIOExceptionAndLeavesNoPartialFile() throws IOException {
        FaultyChunkStore store = new FaultyChunkStore(volume);
        store.arm((channel, source) -> {
            throw new IOException("Input/output error");
        });
        byte[] data = bytes(1000, 12);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        IOException e = assertThrows(IOException.class, () -> store.put(info, data, 0));
        assertFalse(e instanceof StoreFullException);
        assertEquals(List.of(), files(store.tmpDirectory()));
        assertFalse(store.has(info.id()));
    }

    @Test
    void verifySha256CatchesATamperThatKeepsTheLength() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        byte[] data = bytes(2048, 13);
        ChunkInfo info = ChunkIds.describe(data, 0, data.length);
        store.put(info, data, 0);
        assertTrue(store.verifySha256(info.id()));
        byte[] tampered = data.clone();
        tampered[0] ^= (byte) 0x80;
        Files.write(store.pathOf(info.id()), tampered);
        assertFalse(store.verifySha256(info.id()));
        assertTrue(store.quarantine(info.id()));
        assertFalse(store.quarantine(info.id()));
        assertFalse(store.has(info.id()));
    }

    @Test
    void listPagesThroughEveryChunkInIdOrderAndSkipsStrayFiles() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        TreeSet<String> ids = new TreeSet<>();
        for (int i = 0; i < 60; i++) {
            byte[] data = bytes(16 + i, 100 + i);
            ChunkInfo info = ChunkIds.describe(data, 0, data.length);
            store.put(info, data, 0);
            ids.add(info.id());
        }
        Path someDir = store.pathOf(ids.first()).getParent();
        Files.write(someDir.resolve("not-a-chunk"), new byte[1]);
        Files.createDirectories(volume.resolve("chunks").resolve("zz"));

        List<String> seen = new ArrayList<>();
        String after = null;
        for (int page = 0; page < 100; page++) {
            List<String> got = store.list(after, 7);
            assertTrue(got.size() <= 7);
            if (got.isEmpty()) break;
            seen.addAll(got);
            after = got.get(got.size() - 1);
        }
        assertEquals(new ArrayList<>(ids), seen);
        assertThrows(IllegalArgumentException.class, () -> store.list(null, 0));
        assertNotEquals(0, store.list(null, ChunkStore.LIST_PAGE_MAX).size());
    }
}
