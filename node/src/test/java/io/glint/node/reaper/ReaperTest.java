package io.glint.node.reaper;

import io.glint.node.audit.LocalNodeFixture;
import io.glint.node.chunk.ChunkIds;
import io.glint.node.image.MutableClock;
import io.glint.registry.RegistryClient;
import io.glint.registry.command.Command;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Result;
import io.glint.registry.model.UploadKind;
import io.glint.registry.query.Query;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reaper over a real chunk store and the in-process registry: orphans older than the grace go,
 * young and referenced chunks stay; a put that touches a chunk after the reaper decided it was an
 * orphan wins; the leader purges pending_delete images after the delay and expires dead leases;
 * tmp/ and quarantine/ are cleaned by age; deletes are paced and bounded per pass.
 */
class ReaperTest {
    static final long GRACE = 7 * 3_600_000L;

    @TempDir
    Path dir;
    LocalNodeFixture node;
    MutableClock clock;
    /** Wall-clock steps so far (an NTP step, an operator's date): the monotonic clock does not follow them. */
    long wallSteps;
    final LocalNodeFixture.FakeTime time = new LocalNodeFixture.FakeTime();
    boolean leader = true;

    @BeforeEach
    void setUp() throws Exception {
        node = new LocalNodeFixture(dir.resolve("v"));
        // A minute ahead of the wall clock, which the fixture stamps its images with: what this
        // test's leader proposes then comes after them, as it does in a cluster (a delete stamped
        // before the image's last change would be floored to that change, and its delay with it).
        clock = new MutableClock(System.currentTimeMillis() + 60_000);
    }

    Reaper reaper(RegistryClient registry, Reaper.Settings settings, long deletesPerSecond) {
        return new Reaper(node.store, node.index, registry, () -> leader, clock, () -> clock.millis() - wallSteps, settings,
                time.throttle(deletesPerSecond));
    }

    static final long LEASE = 60_000;

    Reaper reaper() {
        return reaper(node.registry, Reaper.Settings.of(60_000, GRACE, 3_000, 7 * 86_400_000L, LEASE), 1_000);
    }

    /** Sets the chunk's file time to {@code millisAgo} before the test clock. */
    void age(String chunkId, long millisAgo) throws IOException {
        Files.setLastModifiedTime(node.store.pathOf(chunkId), FileTime.fromMillis(clock.millis() - millisAgo));
    }

    ImageStatus status(String imageId) {
        return node.registry.readLocal(new Query.GetImageRecord(imageId)).value(Image.class).status();
    }

    @Test
    void anOldOrphanGoesAYoungOneStaysAReferencedOneAlwaysStays() throws Exception {
        ChunkInfo referenced = node.putChunk(4_000, 1);
        node.commitImage(List.of(referenced));
        ChunkInfo oldOrphan = node.putChunk(5_000, 2);
        ChunkInfo youngOrphan = node.putChunk(6_000, 3);
        age(referenced.id(), 100 * GRACE);
        age(oldOrphan.id(), GRACE + 60_000);
        age(youngOrphan.id(), GRACE - 60_000);
        Reaper r = reaper();

        assertTrue(r.runPass());
        assertFalse(node.store.has(oldOrphan.id()));
        assertFalse(node.index.contains(oldOrphan.id()), "the index follows");
        assertTrue(node.store.has(youngOrphan.id()), "within its grace");
        assertTrue(node.store.has(referenced.id()), "referenced: never reaped, however old");
        assertEquals(1, r.orphansDeleted());
        assertEquals(5_000, r.orphanBytes());

        clock.advanceMillis(120_000); // the young one is now past its grace
        r.runPass();
        assertFalse(node.store.has(youngOrphan.id()));
        assertTrue(node.store.has(referenced.id()));
        assertEquals(2, r.orphansDeleted());
    }

    /**
     * The forced interleaving: the reaper has found X unreferenced and old and confirmed it with
     * its linearizable read; right then an upload of the same bytes touches X (a dedup hit); only
     * then does the reaper delete. X must stay.
     */
    @Test
    void aPutThatTouchesTheChunkAfterTheReaperDecidedWins() throws Exception {
        byte[] bytes = LocalNodeFixture.bytes(8_000, 4);
        ChunkInfo x = ChunkIds.describe(bytes, 0, bytes.length);
        node.store.put(x, bytes, 0);
        age(x.id(), 3 * GRACE);
        AtomicBoolean touched = new AtomicBoolean();
        RegistryClient interleaving = new Delegate(node.registry) {
            @Override
            public CompletableFuture<Result> read(Query q) {
                Result answer = node.registry.readLocal(q);
                if (q instanceof Query.ChunkRefs) {
                    try {
                        assertFalse(node.store.put(x, bytes, 0), "the upload's put is a dedup hit that touches X");
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                    touched.set(true);
                }
                return CompletableFuture.completedFuture(answer);
            }
        };
        Reaper r = reaper(interleaving, Reaper.Settings.of(60_000, GRACE, 0, 86_400_000L, LEASE), 1_000);

        r.runPass();
        assertTrue(touched.get(), "the reaper confirmed X as unreferenced (and the upload touched it then)");
        assertTrue(node.store.has(x.id()), "the touch after the decision wins");
        assertEquals(0, r.orphansDeleted());
    }

    /** A reference committed after the reaper picked its candidates from the local copy is seen by the fresh read. */
    @Test
    void aReferenceCommittedAfterTheCandidateScanKeepsTheChunk() throws Exception {
        ChunkInfo x = node.putChunk(3_000, 5);
        age(x.id(), 3 * GRACE);
        RegistryClient interleaving = new Delegate(node.registry) {
            @Override
            public CompletableFuture<Result> read(Query q) {
                if (q instanceof Query.ChunkRefs) node.commitImage(List.of(x)); // an upload commits just now
                return node.registry.read(q);
            }
        };
        Reaper r = reaper(interleaving, Reaper.Settings.of(60_000, GRACE, 0, 86_400_000L, LEASE), 1_000);
        r.runPass();
        assertTrue(node.store.has(x.id()));
        assertEquals(0, r.orphansDeleted());
    }

    @Test
    void theLeaderPurgesPendingDeleteImagesAfterTheDelayAndTheirUnsharedChunksGo() throws Exception {
        ChunkInfo shared = node.putChunk(4_000, 6);
        ChunkInfo onlyA = node.putChunk(4_000, 7);
        String a = node.commitImage(List.of(shared, onlyA));
        String b = node.commitImage(List.of(shared));
        age(shared.id(), 2 * GRACE);
        age(onlyA.id(), 2 * GRACE);
        node.ok(new Command.DeleteImage(Identity.SYSTEM, clock.millis(), a, true));
        assertEquals(ImageStatus.PENDING_DELETE, status(a));
        Reaper r = reaper(); // delete delay 3 s

        leader = false;
        clock.advanceMillis(10_000);
        r.runPass();
        assertEquals(ImageStatus.PENDING_DELETE, status(a), "only the leader purges");
        assertTrue(node.store.has(onlyA.id()), "a pending_delete image keeps its data");

        leader = true;
        clock.advanceMillis(-8_000); // 2 s after the delete: within the delay
        r.runPass();
        assertEquals(ImageStatus.PENDING_DELETE, status(a));
        assertEquals(0, r.purged());

        clock.advanceMillis(1_001);
        r.runPass();
        assertEquals(ImageStatus.DELETED, status(a));
        assertEquals(1, r.purged());
        assertFalse(node.store.has(onlyA.id()), "unreferenced once purged, and old: reaped in the same pass");
        assertTrue(node.store.has(shared.id()), "image b still references it");
        assertEquals(ImageStatus.ACTIVE, status(b));
    }

    @Test
    void theLeaderTakesBackExpiredLeasesOnly() throws Exception {
        String dead = newQueuedImage();
        String alive = newQueuedImage();
        long now = clock.millis();
        node.ok(new Command.BeginUpload(Identity.SYSTEM, now, dead, UploadKind.UPLOAD, "l1", "gone-node", now + 60_000));
        node.ok(new Command.BeginUpload(Identity.SYSTEM, now, alive, UploadKind.UPLOAD, "l2", "n1", now + 600_000));
        Reaper r = reaper();

        clock.advanceMillis(59_000);
        r.runPass();
        assertEquals(ImageStatus.SAVING, status(dead), "not expired yet");

        clock.advanceMillis(2_000);
        leader = false;
        r.runPass();
        assertEquals(ImageStatus.SAVING, status(dead), "only the leader expires leases");
        leader = true;
        r.runPass();
        assertEquals(ImageStatus.SAVING, status(dead), "a leader that has just taken office first watches a whole lease length");
        clock.advanceMillis(LEASE);
        r.runPass();
        assertEquals(ImageStatus.QUEUED, status(dead));
        assertEquals(ImageStatus.SAVING, status(alive));
        assertEquals(1, r.leasesExpired());
        assertFalse(node.registry.readLocal(new Query.GetUpload(dead)).isOk(), "the lease is gone");
    }

    /**
     * The leader's clock runs ten minutes ahead of the coordinator's: by the lease's own timestamp
     * the upload looks long dead, but it renews every third of a lease, so the leader, which goes
     * by what it sees change, never takes it back. Once the renewals stop, it does.
     */
    @Test
    void aLeaderWhoseClockRunsAheadNeverTakesBackALeaseThatIsBeingRenewed() throws Exception {
        String image = newQueuedImage();
        long coordinatorClock = clock.millis() - 600_000; // the leader's clock (this.clock) is 10 minutes ahead
        node.ok(new Command.BeginUpload(Identity.SYSTEM, coordinatorClock, image, UploadKind.UPLOAD, "l3", "n2",
                coordinatorClock + LEASE));
        Reaper r = reaper();
        for (int i = 0; i < 12; i++) { // four lease lengths, a renewal every third of one
            r.runPass();
            assertEquals(ImageStatus.SAVING, status(image), "renewed upload, pass " + i);
            clock.advanceMillis(LEASE / 3);
            coordinatorClock += LEASE / 3;
            node.ok(new Command.RenewLease(coordinatorClock, image, "l3", coordinatorClock + LEASE));
        }
        r.runPass();
        clock.advanceMillis(LEASE); // the renewals stop
        r.runPass();
        assertEquals(ImageStatus.QUEUED, status(image));
    }

    /**
     * The leader's wall clock is stepped ten minutes forward (NTP, or an operator) between two of
     * its passes, a second apart: by the wall clock the lease has gone unrenewed for ten minutes,
     * but the leader measures how long it has watched a lease unchanged on its monotonic clock, so
     * a live upload keeps its lease (fault matrix #18: leases are not trusted across clocks).
     */
    @Test
    void aWallClockStepDoesNotMakeALiveLeaseLookDead() throws Exception {
        String image = newQueuedImage();
        long now = clock.millis();
        node.ok(new Command.BeginUpload(Identity.SYSTEM, now, image, UploadKind.UPLOAD, "l4", "n2", now + LEASE));
        Reaper r = reaper();
        r.runPass();
        clock.advanceMillis(1_000);
        clock.advanceMillis(600_000);
        wallSteps += 600_000;
        r.runPass();
        assertEquals(ImageStatus.SAVING, status(image), "a second of watching is not a lease length");
        assertEquals(0, r.leasesExpired());
        clock.advanceMillis(LEASE); // then a whole lease length passes on both clocks without a renewal
        r.runPass();
        assertEquals(ImageStatus.QUEUED, status(image));
    }

    @Test
    void tmpAndQuarantineFilesAreRemovedByAge() throws Exception {
        Path oldTmp = Files.write(node.store.tmpDirectory().resolve("aaaa.1.tmp"), new byte[5]);
        Path youngTmp = Files.write(node.store.tmpDirectory().resolve("aaaa.2.tmp"), new byte[5]);
        Files.setLastModifiedTime(oldTmp, FileTime.fromMillis(clock.millis() - 2 * Reaper.TMP_AGE_MILLIS));
        ChunkInfo bad = node.putChunk(1_000, 8);
        ChunkInfo recent = node.putChunk(1_000, 9);
        assertTrue(node.store.quarantine(bad.id()));
        assertTrue(node.store.quarantine(recent.id()));
        try (var q = Files.list(node.store.quarantineDirectory())) {
            for (Path p : q.toList()) {
                if (p.getFileName().toString().startsWith(bad.id())) {
                    Files.setLastModifiedTime(p, FileTime.fromMillis(clock.millis() - 8 * 86_400_000L));
                }
            }
        }
        Reaper r = reaper();
        r.runPass();
        assertFalse(Files.exists(oldTmp));
        assertTrue(Files.exists(youngTmp));
        assertEquals(1, r.tmpRemoved());
        assertEquals(1, r.quarantineRemoved());
        try (var q = Files.list(node.store.quarantineDirectory())) {
            List<Path> left = q.toList();
            assertEquals(1, left.size());
            assertTrue(left.get(0).getFileName().toString().startsWith(recent.id()));
        }
    }

    @Test
    void chunkDeletesArePacedAndBoundedPerPass() throws Exception {
        List<ChunkInfo> orphans = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            orphans.add(node.putChunk(1_000 + i, 20 + i));
            age(orphans.get(i).id(), 2 * GRACE);
        }
        Reaper r = reaper(node.registry, new Reaper.Settings(60_000, GRACE, 0, 86_400_000L, LEASE, 1_000, 100, 4), 2);

        r.runPass();
        assertEquals(4, r.orphansDeleted(), "at most 4 file deletes per pass");
        assertTrue(time.sleptNanos >= 1_000_000_000L, "4 deletes at 2/s with a burst of 2 wait >= 1 s (fake time): "
                + time.sleptNanos / 1e9);
        r.runPass();
        assertEquals(6, r.orphansDeleted());
        for (ChunkInfo c : orphans) assertFalse(node.store.has(c.id()));
    }

    @Test
    void passesNeverOverlap() throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicBoolean overlapped = new AtomicBoolean();
        ChunkInfo x = node.putChunk(2_000, 30);
        age(x.id(), 2 * GRACE);
        Reaper[] self = new Reaper[1];
        RegistryClient reentrant = new Delegate(node.registry) {
            @Override
            public CompletableFuture<Result> read(Query q) {
                if (inside.incrementAndGet() > 1) overlapped.set(true);
                assertFalse(self[0].runPass(), "a pass started while one runs is skipped");
                inside.decrementAndGet();
                return node.registry.read(q);
            }
        };
        self[0] = reaper(reentrant, Reaper.Settings.of(60_000, GRACE, 0, 86_400_000L, LEASE), 1_000);
        assertTrue(self[0].runPass());
        assertFalse(overlapped.get());
        assertFalse(node.store.has(x.id()));
    }

    private String newQueuedImage() {
        String id = java.util.UUID.randomUUID().toString();
        node.ok(new Command.CreateImage(Identity.SYSTEM, clock.millis(), id, "img", io.glint.registry.model.Visibility.PRIVATE,
                false, false, "p", 0, 0, "bare", "raw", List.of(), java.util.Map.of()));
        return id;
    }

    /** A registry client that forwards to another; tests override what they interleave. */
    static class Delegate implements RegistryClient {
        final RegistryClient inner;

        Delegate(RegistryClient inner) {
            this.inner = inner;
        }

        @Override
        public CompletableFuture<Result> propose(Command command) {
            return inner.propose(command);
        }

        @Override
        public CompletableFuture<Result> read(Query query) {
            return inner.read(query);
        }

        @Override
        public Result readLocal(Query query) {
            return inner.readLocal(query);
        }

        @Override
        public void close() {}
    }
}
