package io.glint.node.audit;

import io.glint.node.chunk.ChunkStore;
import io.glint.node.cluster.Replicator;
import io.glint.node.image.MutableClock;
import io.glint.registry.model.ChunkInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The auditor over a real chunk store and the in-process registry: the light pass finds truncated
 * and missing chunks, the deep pass flipped bytes; bad chunks are quarantined, dropped from the
 * index and their groups handed to the replicator hook; findings are counted; the pace is kept
 * (checked on a fake clock); the operator's scan reports without repairing when asked to.
 */
class AuditorTest {
    static final long DAY = 86_400_000L;

    @TempDir
    Path dir;
    LocalNodeFixture node;
    final List<Integer> requested = new CopyOnWriteArrayList<>();
    final LocalNodeFixture.FakeTime time = new LocalNodeFixture.FakeTime();
    final MutableClock clock = new MutableClock(1_700_000_000_000L);
    List<ChunkInfo> chunks;
    long totalBytes;

    @BeforeEach
    void setUp() throws Exception {
        node = new LocalNodeFixture(dir.resolve("v"));
        chunks = new ArrayList<>();
        for (int i = 0; i < 4; i++) chunks.add(node.putChunk(50_000 + i, 100 + i));
        totalBytes = chunks.stream().mapToLong(ChunkInfo::lengthBytes).sum();
        node.commitImage(chunks);
    }

    Auditor auditor(Replicator.Throttle bytes, Replicator.Throttle files) {
        return new Auditor(node.store, node.index, node.view, node.registry, requested::add, clock,
                new Auditor.Settings(true, 3_600_000, 7 * DAY), new Auditor.Pacing(bytes, files),
                new Auditor.Pacing(time.throttle(1L << 30), time.throttle(1_000_000)));
    }

    Auditor auditor() {
        return auditor(time.throttle(20L << 20), time.throttle(200));
    }

    @Test
    void aCleanVolumeHasNoFindings() throws Exception {
        Auditor a = auditor();
        ScanReport deep = a.runDeepPass();
        assertTrue(deep.complete());
        assertEquals(4, deep.chunks());
        assertEquals(totalBytes, deep.bytes());
        assertEquals(0, deep.corruptCount() + deep.truncatedCount() + deep.missingCount() + deep.extraCount());
        assertEquals(totalBytes, a.bytesVerified());
        assertEquals(0, a.corruptFound() + a.truncatedFound() + a.missingFound());
        assertEquals(List.of(), requested);
        assertEquals(1, a.passes());
    }

    @Test
    void theDeepPassFindsAFlippedByteQuarantinesItAndCallsTheReplicator() throws Exception {
        ChunkInfo victim = chunks.get(1);
        Path file = node.store.pathOf(victim.id());
        byte[] bad = Files.readAllBytes(file);
        bad[bad.length / 3] ^= 0x04;
        Files.write(file, bad);
        Auditor a = auditor();

        ScanReport light = a.runLightPass();
        assertEquals(0, light.corruptCount(), "same length: the light pass can not see it");
        assertTrue(node.store.has(victim.id()));

        ScanReport deep = a.runDeepPass();
        assertEquals(1, deep.corruptCount());
        assertEquals(List.of(victim.id()), deep.group(node.pg(victim.id())).corrupt());
        assertEquals(1, a.corruptFound());
        assertEquals(1, a.quarantined());
        assertFalse(node.store.has(victim.id()), "quarantined");
        assertFalse(node.index.contains(victim.id()), "dropped from the local digest");
        try (var q = Files.list(node.store.quarantineDirectory())) {
            assertArrayEquals(bad, Files.readAllBytes(q.findFirst().orElseThrow()));
        }
        assertEquals(List.of(node.pg(victim.id())), requested, "the replicator is asked to repair the group");
        assertEquals(totalBytes, a.bytesVerified());
        // The intact digest covers the three good chunks of the group(s).
        assertEquals(3, deep.groups().stream().mapToLong(ScanReport.Group::intactCount).sum());
    }

    /**
     * A file cut while the deep pass hashes it (measured whole, read short) fails its hash; it is
     * reported truncated, as its length shows, not corrupt.
     */
    @Test
    void aChunkCutWhileTheDeepPassHashesItIsReportedTruncated() throws Exception {
        ChunkInfo victim = chunks.get(3);
        Path file = node.store.pathOf(victim.id());
        ChunkStore cutsWhileHashing = new ChunkStore(dir.resolve("v"), ChunkStore.WriteMode.BUFFERED) {
            @Override
            public boolean verifySha256(String id) throws java.io.IOException {
                if (id.equals(victim.id())) Files.write(file, Arrays.copyOf(Files.readAllBytes(file), 1000));
                return super.verifySha256(id);
            }
        };
        Auditor a = new Auditor(cutsWhileHashing, node.index, node.view, node.registry, requested::add, clock,
                new Auditor.Settings(true, 3_600_000, 7 * DAY), new Auditor.Pacing(time.throttle(20L << 20), time.throttle(200)),
                new Auditor.Pacing(time.throttle(1L << 30), time.throttle(1_000_000)));

        ScanReport deep = a.runDeepPass();
        assertEquals(List.of(victim.id()), deep.group(node.pg(victim.id())).truncated());
        assertEquals(0, deep.corruptCount());
        assertEquals(1, a.truncatedFound());
        assertEquals(0, a.corruptFound());
    }

    @Test
    void theLightPassFindsATruncatedChunk() throws Exception {
        ChunkInfo victim = chunks.get(2);
        Path file = node.store.pathOf(victim.id());
        Files.write(file, Arrays.copyOf(Files.readAllBytes(file), 1000));
        Auditor a = auditor();

        ScanReport light = a.runLightPass();
        assertEquals(List.of(victim.id()), light.group(node.pg(victim.id())).truncated());
        assertEquals(1, a.truncatedFound());
        assertFalse(node.store.has(victim.id()));
        assertFalse(node.index.contains(victim.id()));
        assertEquals(List.of(node.pg(victim.id())), requested);
        assertEquals(0, a.bytesVerified(), "a light pass hashes nothing");
    }

    @Test
    void theLightPassFindsAChunkDeletedBehindTheStoresBack() throws Exception {
        ChunkInfo victim = chunks.get(0);
        Files.delete(node.store.pathOf(victim.id()));
        assertTrue(node.index.contains(victim.id()), "the index does not know yet");
        Auditor a = auditor();

        ScanReport light = a.runLightPass();
        assertEquals(List.of(victim.id()), light.group(node.pg(victim.id())).missing());
        assertEquals(1, a.missingFound());
        assertFalse(node.index.contains(victim.id()), "forgotten, so the replicator's digest shows the gap");
        assertEquals(List.of(node.pg(victim.id())), requested);
        assertEquals(3, light.chunks());
    }

    @Test
    void anUnreferencedChunkIsReportedExtraAndLeftAlone() throws Exception {
        ChunkInfo orphan = node.putChunk(7_000, 999);
        Auditor a = auditor();
        ScanReport deep = a.runDeepPass();
        assertEquals(List.of(orphan.id()), deep.group(node.pg(orphan.id())).extra());
        assertEquals(1, deep.extraCount());
        assertTrue(node.store.has(orphan.id()), "the reaper's business, not the auditor's");
        assertEquals(List.of(), requested);
    }

    @Test
    void aScanWithoutQuarantineOnlyReports() throws Exception {
        ChunkInfo flipped = chunks.get(0);
        ChunkInfo cut = chunks.get(1);
        ChunkInfo gone = chunks.get(2);
        Path f = node.store.pathOf(flipped.id());
        byte[] b = Files.readAllBytes(f);
        b[7] ^= 1;
        Files.write(f, b);
        Files.write(node.store.pathOf(cut.id()), new byte[10]);
        Files.delete(node.store.pathOf(gone.id()));
        Auditor a = auditor();

        ScanReport r = a.scan(true, false);
        assertTrue(r.deep());
        assertFalse(r.quarantined());
        assertEquals(1, r.corruptCount());
        assertEquals(1, r.truncatedCount());
        assertEquals(1, r.missingCount());
        assertTrue(r.group(node.pg(flipped.id())).corrupt().contains(flipped.id()));
        assertTrue(r.group(node.pg(cut.id())).truncated().contains(cut.id()));
        assertTrue(r.group(node.pg(gone.id())).missing().contains(gone.id()));
        assertTrue(node.store.has(flipped.id()) && node.store.has(cut.id()), "nothing was quarantined");
        assertTrue(node.index.contains(gone.id()), "nothing was repaired");
        assertEquals(List.of(), requested);
        assertEquals(1, a.scans());
        assertEquals(0, a.passes());

        ScanReport repaired = a.scan(false, true);
        assertEquals(1, repaired.truncatedCount());
        assertEquals(1, repaired.missingCount());
        assertFalse(node.store.has(cut.id()));
        assertEquals(Set.of(node.pg(cut.id()), node.pg(gone.id())), Set.copyOf(requested));
    }

    /** The pace is kept by construction: every byte hashed and every file looked at is acquired first. */
    @Test
    void theDeepPassIsPacedByBytesAndFiles() throws Exception {
        long bytesPerSecond = 40_000;
        int filesPerSecond = 2;
        Replicator.Throttle bytes = time.throttle(bytesPerSecond);
        Replicator.Throttle files = time.throttle(filesPerSecond);
        Auditor a = auditor(bytes, files);

        a.runDeepPass();
        assertEquals(totalBytes, bytes.acquired(), "every hashed byte went through the byte throttle");
        assertEquals(a.chunksChecked(), files.acquired(), "every file looked at went through the file throttle");
        assertEquals(4, a.chunksChecked());
        // A one-second burst, then the rate: the pass must have waited at least this long (fake time).
        double atLeastSeconds = Math.max((double) (totalBytes - bytesPerSecond) / bytesPerSecond,
                (double) (4 - filesPerSecond) / filesPerSecond);
        assertTrue(time.sleptNanos / 1e9 >= atLeastSeconds - 1e-3,
                "waited " + time.sleptNanos / 1e9 + " s of fake time, at least " + atLeastSeconds + " s needed");
    }

    @Test
    void aSecondConcurrentScanIsRefused() throws Exception {
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // A files throttle whose first wait blocks until released: the first scan is parked mid-way.
        Replicator.Throttle slowFiles = new Replicator.Throttle(1, () -> 0L, n -> {
            blocked.countDown();
            release.await(30, TimeUnit.SECONDS);
        });
        Auditor a = new Auditor(node.store, node.index, node.view, node.registry, requested::add, clock,
                new Auditor.Settings(true, 3_600_000, 7 * DAY), new Auditor.Pacing(time.throttle(1L << 30), time.throttle(1000)),
                new Auditor.Pacing(time.throttle(1L << 30), slowFiles));
        CompletableFuture<ScanReport> first = CompletableFuture.supplyAsync(() -> {
            try {
                return a.scan(false, false);
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(blocked.await(30, TimeUnit.SECONDS));
        assertThrows(IllegalStateException.class, () -> a.scan(false, false));
        a.runLightPass(); // background passes are not blocked by a scan
        release.countDown();
        assertEquals(4, first.get(30, TimeUnit.SECONDS).chunks());
    }

    @Test
    void theLastDeepPassIsRememberedAcrossRestarts() throws Exception {
        Auditor first = auditor();
        first.start();
        try {
            LocalNodeFixture.await("the first deep pass (none recorded yet: due at once)", () -> first.deepPasses() == 1);
        } finally {
            first.close();
        }
        assertTrue(Files.exists(node.store.volume().resolve(Auditor.LAST_DEEP_PASS_FILE)));
        Auditor second = auditor();
        second.start();
        try {
            assertEquals(clock.millis() + 7 * DAY, second.nextDeepPassMillis(), "the next one is a week after the last");
            assertEquals(clock.millis() + 3_600_000, second.nextLightPassMillis());
        } finally {
            second.close();
        }
        assertEquals(0, second.deepPasses());
    }

    @Test
    void chunkOwnersFindsEveryImageOfAChunkWithinItsBound() {
        ChunkInfo shared = chunks.get(0);
        String other = node.commitImage(List.of(shared));
        ChunkOwners.Owners all = ChunkOwners.find(node.registry, List.of(shared.id(), chunks.get(3).id()), 100);
        assertTrue(all.complete());
        assertEquals(2, all.of(shared.id()).size());
        assertTrue(all.of(shared.id()).contains(other));
        assertEquals(1, all.of(chunks.get(3).id()).size());
        ChunkOwners.Owners bounded = ChunkOwners.find(node.registry, List.of(shared.id()), 1);
        assertFalse(bounded.complete());
        assertEquals(1, bounded.of(shared.id()).size());
    }
}
