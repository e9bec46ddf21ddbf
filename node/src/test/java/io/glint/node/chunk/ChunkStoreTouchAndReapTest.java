package io.glint.node.chunk;

import io.glint.registry.model.ChunkInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.glint.node.chunk.ChunkStoreTest.bytes;
import static io.glint.node.chunk.ChunkStoreTest.files;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chunk store's primitives for the reaper and the auditor: a dedup hit touches the present
 * copy and never trusts a corrupt one; {@code deleteIfUntouchedSince} deletes only old files and
 * loses every race against a put of the same chunk; tmp/ and quarantine/ are cleaned by age.
 */
class ChunkStoreTouchAndReapTest {
    static final long HOUR = 3_600_000L;

    @TempDir
    Path volume;

    static ChunkInfo info(byte[] b) {
        return ChunkIds.describe(b, 0, b.length);
    }

    static void age(Path file, long millisAgo) throws IOException {
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() - millisAgo));
    }

    /** Ids the store's listener was told about, as a digest would hold them. */
    static Set<String> listened(ChunkStore store) {
        Set<String> held = ConcurrentHashMap.newKeySet();
        store.listen(new ChunkStore.Listener() {
            @Override
            public void added(String id) {
                held.add(id);
            }

            @Override
            public void removed(String id) {
                held.remove(id);
            }
        });
        return held;
    }

    @Test
    void aDedupHitTouchesThePresentCopy() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        byte[] data = bytes(8000, 1);
        ChunkInfo info = info(data);
        assertTrue(store.put(info, data, 0));
        age(store.pathOf(info.id()), 10 * HOUR);
        long before = System.currentTimeMillis() - 1_000;

        assertFalse(store.put(info, data, 0), "already present: a dedup hit");
        assertTrue(store.modifiedMillis(info.id()) >= before, "the copy was touched");
        assertEquals(1, store.dedupHits());
    }

    @Test
    void aSameLengthCorruptCopyIsNotADedupHit() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        Set<String> held = listened(store);
        byte[] data = bytes(8000, 2);
        ChunkInfo info = info(data);
        store.put(info, data, 0);
        Path file = store.pathOf(info.id());
        byte[] bad = data.clone();
        bad[4321] ^= 0x10;
        Files.write(file, bad);

        assertTrue(store.put(info, data, 0), "the good bytes are written again");
        assertEquals(0, store.dedupHits());
        assertArrayEquals(data, Files.readAllBytes(file));
        List<Path> quarantined = files(store.quarantineDirectory());
        assertEquals(1, quarantined.size());
        assertArrayEquals(bad, Files.readAllBytes(quarantined.get(0)), "the bad copy is kept aside for inspection");
        assertEquals(Set.of(info.id()), held, "the index still holds the chunk");
    }

    @Test
    void deleteIfUntouchedSinceDeletesOnlyFilesOlderThanTheCutoff() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        Set<String> held = listened(store);
        byte[] oldBytes = bytes(3000, 3);
        byte[] youngBytes = bytes(3000, 4);
        ChunkInfo old = info(oldBytes);
        ChunkInfo young = info(youngBytes);
        store.put(old, oldBytes, 0);
        store.put(young, youngBytes, 0);
        age(store.pathOf(old.id()), 3 * HOUR);
        age(store.pathOf(young.id()), HOUR);
        long cutoff = System.currentTimeMillis() - 2 * HOUR;

        assertTrue(store.deleteIfUntouchedSince(old.id(), cutoff));
        assertFalse(store.deleteIfUntouchedSince(young.id(), cutoff));
        assertFalse(store.deleteIfUntouchedSince(old.id(), cutoff), "already gone");
        assertFalse(store.has(old.id()));
        assertTrue(store.has(young.id()));
        assertEquals(Set.of(young.id()), held, "the listener hears of the delete");
    }

    /**
     * The reaper decided (from the registry) that an old chunk is an orphan, then an upload of the
     * same bytes touched it before the reaper acted: the delete must not happen.
     */
    @Test
    void aPutAfterTheReaperDecidedWinsOverTheDelete() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        byte[] data = bytes(6000, 5);
        ChunkInfo info = info(data);
        store.put(info, data, 0);
        age(store.pathOf(info.id()), 10 * HOUR);
        long cutoff = System.currentTimeMillis() - 7 * HOUR; // the reaper's decision: older than grace

        assertFalse(store.put(info, data, 0)); // the upload: a dedup hit, touching the chunk
        assertFalse(store.deleteIfUntouchedSince(info.id(), cutoff));
        assertArrayEquals(data, store.read(info));
    }

    /**
     * Many rounds of a put racing a delete of the same old chunk: whichever runs first, once both
     * are done the chunk is on disk, whole, and the listener agrees (a put that was told "present"
     * never loses its chunk to a delete that checked the age before the touch).
     */
    @Test
    void aPutRacingADeleteAlwaysLeavesTheChunk() throws Exception {
        ChunkStore store = new ChunkStore(volume, ChunkStore.WriteMode.BUFFERED);
        Set<String> held = listened(store);
        byte[] data = bytes(64 * 1024, 6);
        ChunkInfo info = info(data);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            int deleted = 0;
            for (int round = 0; round < 200; round++) {
                if (!store.has(info.id())) store.put(info, data, 0);
                age(store.pathOf(info.id()), 10 * HOUR);
                long cutoff = System.currentTimeMillis() - HOUR;
                CyclicBarrier go = new CyclicBarrier(2);
                Future<Boolean> put = pool.submit(() -> {
                    go.await(10, TimeUnit.SECONDS);
                    return store.put(info, data, 0);
                });
                Future<Boolean> delete = pool.submit(() -> {
                    go.await(10, TimeUnit.SECONDS);
                    return store.deleteIfUntouchedSince(info.id(), cutoff);
                });
                put.get(10, TimeUnit.SECONDS);
                if (delete.get(10, TimeUnit.SECONDS)) deleted++;
                assertTrue(store.has(info.id()), "round " + round + ": the chunk is on disk after the put");
                assertEquals(Set.of(info.id()), held, "round " + round + ": the index agrees");
            }
            assertArrayEquals(data, store.read(info));
            System.out.println("put vs delete: the delete ran first in " + deleted + " of 200 rounds");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void forgetIfAbsentTellsTheIndexOfAFileLostBehindTheStoresBack() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        Set<String> held = listened(store);
        byte[] data = bytes(1000, 7);
        ChunkInfo info = info(data);
        store.put(info, data, 0);
        assertFalse(store.forgetIfAbsent(info.id()), "present: nothing to forget");
        assertEquals(Set.of(info.id()), held);
        Files.delete(store.pathOf(info.id()));
        assertTrue(store.forgetIfAbsent(info.id()));
        assertEquals(Set.of(), held);
    }

    @Test
    void tmpCleanupRemovesOldLeftoversButNeverAWriteInProgress() throws Exception {
        FaultyChunkStore store = new FaultyChunkStore(volume);
        Path oldStray = Files.write(store.tmpDirectory().resolve("0123456789abcdef.1.tmp"), new byte[10]);
        Path youngStray = Files.write(store.tmpDirectory().resolve("0123456789abcdef.2.tmp"), new byte[10]);
        age(oldStray, 2 * HOUR);
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        store.arm((channel, source) -> {
            writing.countDown();
            try {
                resume.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            while (source.hasRemaining()) channel.write(source);
        });
        byte[] data = bytes(5000, 8);
        ChunkInfo info = info(data);
        CompletableFuture<Boolean> put = CompletableFuture.supplyAsync(() -> {
            try {
                return store.put(info, data, 0);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(writing.await(30, TimeUnit.SECONDS));
        Path inProgress = files(store.tmpDirectory()).stream()
                .filter(p -> !p.equals(oldStray) && !p.equals(youngStray)).findFirst().orElseThrow();
        age(inProgress, 2 * HOUR); // even an old-looking file of a write in progress stays

        assertEquals(1, store.cleanTmp(System.currentTimeMillis() - HOUR, 100));
        assertFalse(Files.exists(oldStray));
        assertTrue(Files.exists(youngStray));
        assertTrue(Files.exists(inProgress));
        resume.countDown();
        assertTrue(put.get(30, TimeUnit.SECONDS));
        assertArrayEquals(data, store.read(info));
    }

    @Test
    void quarantineRetentionCountsFromTheQuarantineNotFromTheWrite() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        byte[] a = bytes(2000, 9);
        byte[] b = bytes(2000, 10);
        store.put(info(a), a, 0);
        store.put(info(b), b, 0);
        age(store.pathOf(info(a).id()), 30 * 24 * HOUR); // written a month ago
        assertTrue(store.quarantine(info(a).id()));
        long cutoff = System.currentTimeMillis() - 7 * 24 * HOUR;
        assertEquals(0, store.cleanQuarantine(cutoff, 100), "quarantined just now: kept for the retention");

        assertTrue(store.quarantine(info(b).id()));
        for (Path p : files(store.quarantineDirectory())) {
            if (p.getFileName().toString().startsWith(info(b).id())) age(p, 8 * 24 * HOUR);
        }
        assertEquals(1, store.cleanQuarantine(cutoff, 100));
        List<Path> left = files(store.quarantineDirectory());
        assertEquals(1, left.size());
        assertTrue(left.get(0).getFileName().toString().startsWith(info(a).id()));
    }

    @Test
    void cleanupIsBoundedPerCall() throws IOException {
        ChunkStore store = new ChunkStore(volume);
        for (int i = 0; i < 5; i++) age(Files.write(store.tmpDirectory().resolve("stray-" + i + ".tmp"), new byte[1]), 2 * HOUR);
        long cutoff = System.currentTimeMillis() - HOUR;
        assertEquals(3, store.cleanTmp(cutoff, 3));
        assertEquals(2, store.cleanTmp(cutoff, 3));
        assertEquals(0, store.cleanTmp(cutoff, 3));
    }
}
