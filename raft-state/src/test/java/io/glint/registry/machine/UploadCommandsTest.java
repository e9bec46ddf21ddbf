package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Result.Code;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.UploadLease;
import io.glint.registry.model.Visibility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static io.glint.registry.machine.MachineHarness.ADMIN;
import static io.glint.registry.machine.MachineHarness.ALICE;
import static io.glint.registry.machine.MachineHarness.BOB;
import static io.glint.registry.machine.MachineHarness.chunkId;
import static io.glint.registry.machine.MachineHarness.manifest;
import static io.glint.registry.machine.MachineHarness.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Upload leases (DESIGN §5) and the status changes they make (spec §3.2, §3.3, §4.6, §4.8, §4.9):
 * begin, commit, abort, renew and expire for each {@link UploadKind}, and the chunk reference
 * counts that move with the manifests.
 */
class UploadCommandsTest {
    private final MachineHarness h = new MachineHarness();
    private final String id = uuid(1);

    private Command.BeginUpload begin(UploadKind kind, String lease, long expiresAtMillis) {
        return new Command.BeginUpload(ALICE, h.tick(), id, kind, lease, "node-1", expiresAtMillis);
    }

    private void assertNoData(Image img) {
        assertNull(img.size());
        assertNull(img.virtualSize());
        assertNull(img.checksum());
        assertNull(img.osHashAlgo());
        assertNull(img.osHashValue());
    }

    // --- the happy paths ------------------------------------------------------------------------

    @Test
    void uploadGoesQueuedSavingActive() {
        h.queued(ALICE, id);
        Command.BeginUpload b = h.begin(ALICE, id, UploadKind.UPLOAD, "l1");
        UploadLease lease = h.ok(b).value(UploadLease.class);
        assertEquals(new UploadLease(id, "l1", "node-1", UploadKind.UPLOAD, b.nowMillis(), b.leaseExpiresAtMillis()),
                lease);
        assertEquals(lease, h.lease(id));
        assertEquals(ImageStatus.SAVING, h.status(id));
        assertEquals(b.nowMillis(), h.image(id).updatedAtMillis());

        ChunkManifest m = manifest(id, 1, 2, 3);
        Command.CommitUpload c = new Command.CommitUpload(h.tick(), id, "l1", m, 99_999L, m.sizeBytes());
        Image active = h.ok(c).value(Image.class);
        assertEquals(active, h.image(id));
        assertEquals(ImageStatus.ACTIVE, active.status());
        assertEquals(m.sizeBytes(), active.size());
        assertEquals(99_999L, active.virtualSize());
        assertEquals(m.checksum(), active.checksum());
        assertEquals("sha512", active.osHashAlgo());
        assertEquals(m.osHashValue(), active.osHashValue());
        assertEquals(c.nowMillis(), active.updatedAtMillis());
        assertEquals(m, h.manifest(id));
        assertNull(h.lease(id), "the lease ends with the commit");
        for (int n = 1; n <= 3; n++) assertEquals(1, h.refs(chunkId(n)));
    }

    @Test
    void stageGoesQueuedUploadingAndKeepsTheStagedSize() {
        h.queued(ALICE, id);
        h.ok(h.begin(ALICE, id, UploadKind.STAGE, "l1"));
        assertEquals(ImageStatus.UPLOADING, h.status(id));
        ChunkManifest m = manifest(id, 1, 2);
        Image staged = h.ok(new Command.CommitUpload(h.tick(), id, "l1", m, 5L, null)).value(Image.class);
        assertEquals(ImageStatus.UPLOADING, staged.status());
        assertEquals(m.sizeBytes(), staged.size(), "size = staged byte count (spec §4.8)");
        assertNull(staged.checksum(), "staged data is not the image's data yet");
        assertNull(staged.virtualSize());
        assertNull(staged.osHashValue());
        assertNull(h.lease(id));
        assertEquals(m, h.manifest(id));
        assertEquals(1, h.refs(chunkId(1)), "staged chunks are referenced: the reaper must not take them");
    }

    @Test
    void glanceDirectImportGoesUploadingImportingActive() {
        h.queued(ALICE, id);
        h.upload(ALICE, id, UploadKind.STAGE, manifest(id, 1, 2));
        h.ok(h.begin(ALICE, id, UploadKind.IMPORT, "l2"));
        assertEquals(ImageStatus.IMPORTING, h.status(id));
        assertEquals(manifest(id, 1, 2), h.manifest(id), "the staged data stays while importing");
        Image active = h.ok(h.commit(id, "l2", manifest(id, 2, 3))).value(Image.class);
        assertEquals(ImageStatus.ACTIVE, active.status());
        assertEquals(manifest(id, 2, 3).sizeBytes(), active.size());
        assertEquals(manifest(id, 2, 3).checksum(), active.checksum());
        assertEquals(manifest(id, 2, 3), h.manifest(id));
        assertEquals(0, h.refs(chunkId(1)), "the staged-only chunk is released");
        assertEquals(1, h.refs(chunkId(2)));
        assertEquals(1, h.refs(chunkId(3)));
    }

    @Test
    void webDownloadImportGoesQueuedImportingActive() {
        h.queued(ALICE, id);
        h.ok(h.begin(ALICE, id, UploadKind.IMPORT, "l1"));
        assertEquals(ImageStatus.IMPORTING, h.status(id));
        assertEquals(ImageStatus.ACTIVE, h.ok(h.commit(id, "l1", manifest(id, 7))).value(Image.class).status());
    }

    @Test
    void adminMayUploadToAnyImage() {
        h.queued(ALICE, id);
        h.upload(ADMIN, id, UploadKind.UPLOAD, manifest(id, 1));
        assertEquals(ImageStatus.ACTIVE, h.status(id));
    }

    // --- begin: rejections ----------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(UploadKind.class)
    void secondBeginWhileALeaseIsHeldConflicts(UploadKind first) {
        h.queued(ALICE, id);
        h.ok(h.begin(ALICE, id, first, "l1"));
        for (UploadKind second : UploadKind.values()) {
            h.rejected(Code.CONFLICT, h.begin(ALICE, id, second, "l2"));
            h.rejected(Code.CONFLICT, h.begin(ADMIN, id, second, "l1"));
        }
    }

    @Test
    void uploadAndStageNeedAQueuedImage() {
        h.queued(ALICE, id);
        h.upload(ALICE, id, UploadKind.STAGE, manifest(id, 1));
        h.rejected(Code.CONFLICT, h.begin(ALICE, id, UploadKind.UPLOAD, "l"));
        h.rejected(Code.CONFLICT, h.begin(ALICE, id, UploadKind.STAGE, "l"));
        String act = uuid(2);
        h.active(ALICE, act, 2);
        for (UploadKind k : UploadKind.values()) h.rejected(Code.CONFLICT, h.begin(ALICE, act, k, "l"));
        h.ok(h.deactivate(ALICE, act));
        for (UploadKind k : UploadKind.values()) h.rejected(Code.CONFLICT, h.begin(ALICE, act, k, "l"));
    }

    @Test
    void stagingNeedsNoFormatsAsInRealGlance() {
        h.ok(h.create(ALICE, id).formats(null, null).cmd());
        h.ok(h.begin(ALICE, id, UploadKind.STAGE, "l"));
        assertEquals(ImageStatus.UPLOADING, h.status(id));
    }

    @ParameterizedTest
    @EnumSource(value = UploadKind.class, names = {"UPLOAD"})
    void uploadWithoutFormatsIsInvalid(UploadKind kind) {
        h.ok(h.create(ALICE, id).cmd());
        h.rejected(Code.INVALID, h.begin(ALICE, id, kind, "l"));
        h.ok(h.patch(ALICE, id, MachineHarness.replace("disk_format", MachineHarness.str("raw"))));
        h.rejected(Code.INVALID, h.begin(ALICE, id, kind, "l"));
        h.ok(h.patch(ALICE, id, MachineHarness.replace("disk_format", MachineHarness.nul()),
                MachineHarness.replace("container_format", MachineHarness.str("bare"))));
        h.rejected(Code.INVALID, h.begin(ALICE, id, kind, "l"));
        h.ok(h.patch(ALICE, id, MachineHarness.replace("disk_format", MachineHarness.str("raw"))));
        h.ok(h.begin(ALICE, id, kind, "l"));
    }

    @Test
    void importWithoutFormatsConflicts() {
        h.ok(h.create(ALICE, id).formats(null, "bare").cmd());
        h.rejected(Code.CONFLICT, h.begin(ALICE, id, UploadKind.IMPORT, "l"));
    }

    @Test
    void beginNeedsKindLeaseCoordinatorAndAFutureExpiry() {
        h.queued(ALICE, id);
        long t = h.tick();
        h.rejected(Code.INVALID, new Command.BeginUpload(ALICE, t, id, null, "l", "n", t + 1));
        h.rejected(Code.INVALID, new Command.BeginUpload(ALICE, t, id, UploadKind.UPLOAD, null, "n", t + 1));
        h.rejected(Code.INVALID, new Command.BeginUpload(ALICE, t, id, UploadKind.UPLOAD, "l", null, t + 1));
        h.rejected(Code.INVALID, new Command.BeginUpload(ALICE, t, id, UploadKind.UPLOAD, "l", "n", t));
        h.rejected(Code.INVALID, new Command.BeginUpload(ALICE, t, id, UploadKind.UPLOAD, "l", "n", t - 1));
        h.ok(new Command.BeginUpload(ALICE, t, id, UploadKind.UPLOAD, "l", "n", t + 1));
    }

    @Test
    void beginNeedsOwnerOrAdmin() {
        h.queued(ALICE, id, Visibility.COMMUNITY);
        h.rejected(Code.FORBIDDEN, h.begin(BOB, id, UploadKind.UPLOAD, "l"));
        String priv = uuid(2);
        h.queued(ALICE, priv, Visibility.PRIVATE);
        h.rejected(Code.NOT_FOUND, h.begin(BOB, priv, UploadKind.UPLOAD, "l"));
        h.rejected(Code.NOT_FOUND, h.begin(ALICE, uuid(3), UploadKind.UPLOAD, "l"));
    }

    // --- commit: rejections ---------------------------------------------------------------------

    @Test
    void commitWithTheWrongLeaseConflicts() {
        h.queued(ALICE, id);
        h.rejected(Code.CONFLICT, h.commit(id, "l1", manifest(id, 1)));
        h.ok(h.begin(ALICE, id, UploadKind.UPLOAD, "l1"));
        h.rejected(Code.CONFLICT, h.commit(id, "l0", manifest(id, 1)));
        h.rejected(Code.CONFLICT, h.commit(id, null, manifest(id, 1)));
        h.ok(h.commit(id, "l1", manifest(id, 1)));
        h.rejected(Code.CONFLICT, h.commit(id, "l1", manifest(id, 1)));
        assertEquals(1, h.refs(chunkId(1)), "a replayed commit does not count twice");
    }

    @Test
    void commitOfAVanishedImageIsGone() {
        h.rejected(Code.GONE, h.commit(id, "l1", manifest(id, 1)));
    }

    @Test
    void commitNeedsTheImagesOwnManifest() {
        h.queued(ALICE, id);
        h.ok(h.begin(ALICE, id, UploadKind.UPLOAD, "l1"));
        h.rejected(Code.INVALID, new Command.CommitUpload(h.tick(), id, "l1", null, null, null));
        h.rejected(Code.INVALID, h.commit(id, "l1", manifest(uuid(2), 1)));
    }

    @ParameterizedTest
    @EnumSource(UploadKind.class)
    void expectedSizeMismatchIsInvalidAndTheHolderCanThenAbort(UploadKind kind) {
        h.queued(ALICE, id);
        h.ok(h.begin(ALICE, id, kind, "l1"));
        ChunkManifest m = manifest(id, 1, 2);
        h.rejected(Code.INVALID, new Command.CommitUpload(h.tick(), id, "l1", m, null, m.sizeBytes() + 1));
        h.rejected(Code.INVALID, new Command.CommitUpload(h.tick(), id, "l1", m, null, 0L));
        assertEquals("l1", h.lease(id).leaseId(), "the lease is still held: the coordinator aborts next");
        Image queued = h.ok(new Command.AbortUpload(h.tick(), id, "l1", "size mismatch")).value(Image.class);
        assertEquals(ImageStatus.QUEUED, queued.status());
        assertNoData(queued);
        assertEquals(0, h.refs(chunkId(1)));
    }

    @Test
    void expectedSizeThatMatchesIsAccepted() {
        h.queued(ALICE, id);
        h.ok(h.begin(ALICE, id, UploadKind.UPLOAD, "l1"));
        ChunkManifest m = manifest(id, 1, 2);
        h.ok(new Command.CommitUpload(h.tick(), id, "l1", m, null, m.sizeBytes()));
    }

    // --- abort, renew, expire ---------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(UploadKind.class)
    void abortReturnsToQueuedWithoutData(UploadKind kind) {
        h.queued(ALICE, id);
        h.ok(h.begin(ALICE, id, kind, "l1"));
        h.rejected(Code.CONFLICT, new Command.AbortUpload(h.tick(), id, "other", "x"));
        Command.AbortUpload a = new Command.AbortUpload(h.tick(), id, "l1", "client went away");
        Image q = h.ok(a).value(Image.class);
        assertEquals(ImageStatus.QUEUED, q.status());
        assertEquals(a.nowMillis(), q.updatedAtMillis());
        assertNoData(q);
        assertNull(h.lease(id));
        h.upload(ALICE, id, kind, manifest(id, 3));
        assertEquals(kind == UploadKind.STAGE ? ImageStatus.UPLOADING : ImageStatus.ACTIVE, h.status(id),
                "a fresh upload may start after an abort");
    }

    @Test
    void aFailedImportAfterStagingRequeuesAndResetsEverything() {
        h.queued(ALICE, id);
        h.upload(ALICE, id, UploadKind.STAGE, manifest(id, 1, 2));
        assertEquals(manifest(id, 1, 2).sizeBytes(), h.image(id).size());
        h.ok(h.begin(ALICE, id, UploadKind.IMPORT, "imp"));
        Image q = h.ok(new Command.AbortUpload(h.tick(), id, "imp", "task failed")).value(Image.class);
        assertEquals(ImageStatus.QUEUED, q.status());
        assertNoData(q);
        assertNull(h.manifest(id), "staged data is gone: the client must restage");
        assertEquals(0, h.refs(chunkId(1)));
        assertEquals(0, h.refs(chunkId(2)));
    }

    @Test
    void renewExtendsTheLease() {
        h.queued(ALICE, id);
        long t0 = h.tick();
        h.ok(new Command.BeginUpload(ALICE, t0, id, UploadKind.UPLOAD, "l1", "node-1", t0 + 10_000));
        UploadLease r = h.ok(new Command.RenewLease(h.tick(), id, "l1", t0 + 50_000)).value(UploadLease.class);
        assertEquals(t0 + 50_000, r.expiresAtMillis());
        assertEquals(t0, r.startedAtMillis());
        assertEquals(r, h.lease(id));
        UploadLease kept = h.ok(new Command.RenewLease(h.tick(), id, "l1", t0 + 20_000)).value(UploadLease.class);
        assertEquals(t0 + 50_000, kept.expiresAtMillis(), "a late renewal never shortens a lease");
        h.rejected(Code.CONFLICT, new Command.RenewLease(h.tick(), id, "l2", t0 + 90_000));
        long now = h.tick();
        h.rejected(Code.INVALID, new Command.RenewLease(now, id, "l1", now));
        h.rejected(Code.CONFLICT, new Command.RenewLease(h.tick(), id, "nope", now + 100_000));
        h.rejected(Code.GONE, new Command.RenewLease(h.tick(), uuid(9), "l1", now + 100_000));
        assertEquals(ImageStatus.SAVING, h.status(id));
    }

    @ParameterizedTest
    @EnumSource(UploadKind.class)
    void expireOnlyAfterTheExpiry(UploadKind kind) {
        h.queued(ALICE, id);
        long t0 = h.tick();
        h.ok(new Command.BeginUpload(ALICE, t0, id, kind, "l1", "node-1", t0 + 10_000));
        h.rejected(Code.CONFLICT, new Command.ExpireLease(t0 + 9_999, id, "l1"));
        h.rejected(Code.CONFLICT, new Command.ExpireLease(t0 + 20_000, id, "l2"));
        h.ok(new Command.RenewLease(t0 + 5_000, id, "l1", t0 + 30_000));
        h.rejected(Code.CONFLICT, new Command.ExpireLease(t0 + 20_000, id, "l1"));
        Image q = h.ok(new Command.ExpireLease(t0 + 30_000, id, "l1")).value(Image.class);
        assertEquals(ImageStatus.QUEUED, q.status());
        assertNoData(q);
        assertNull(h.lease(id));
        h.rejected(Code.CONFLICT, h.commit(id, "l1", manifest(id, 1)));
        assertEquals(0, h.refs(chunkId(1)), "the late coordinator's chunks are orphans for the reaper");
    }

    @Test
    void expireOfAStagedUploadDropsNothingThatIsNotItsOwn() {
        h.queued(ALICE, id);
        h.upload(ALICE, id, UploadKind.STAGE, manifest(id, 1));
        long t0 = h.tick();
        h.ok(new Command.BeginUpload(ALICE, t0, id, UploadKind.IMPORT, "imp", "node-2", t0 + 1_000));
        h.ok(new Command.ExpireLease(t0 + 1_000, id, "imp"));
        assertEquals(ImageStatus.QUEUED, h.status(id));
        assertNull(h.manifest(id));
        assertEquals(0, h.refs(chunkId(1)));
    }

    // --- chunk reference counts -----------------------------------------------------------------

    @Test
    void sharedChunksAreCountedPerImageThroughCommitDeleteAndPurge() {
        String a = uuid(10);
        String b = uuid(11);
        String c = uuid(12);
        h.active(ALICE, a, 1, 2, 3);
        h.active(BOB, b, 2, 3, 4);
        assertEquals(List.of(1L, 2L, 2L, 1L), refs(1, 2, 3, 4));
        h.queued(ALICE, c);
        h.upload(ALICE, c, UploadKind.STAGE, manifest(c, 3, 5));
        assertEquals(List.of(1L, 2L, 3L, 1L, 1L), refs(1, 2, 3, 4, 5));

        h.ok(h.delete(ALICE, a, false));
        assertEquals(List.of(0L, 1L, 2L, 1L, 1L), refs(1, 2, 3, 4, 5));
        h.ok(h.delete(BOB, b, true));
        assertEquals(List.of(0L, 1L, 2L, 1L, 1L), refs(1, 2, 3, 4, 5), "pending_delete keeps its references");
        h.ok(new Command.PurgeImage(h.tick(), b));
        assertEquals(List.of(0L, 0L, 1L, 0L, 1L), refs(1, 2, 3, 4, 5));
        h.ok(h.delete(ALICE, c, false));
        assertEquals(List.of(0L, 0L, 0L, 0L, 0L), refs(1, 2, 3, 4, 5));
    }

    @Test
    void aManifestRepeatingAChunkCountsItOnce() {
        String a = uuid(10);
        String b = uuid(11);
        h.active(ALICE, a, 0, 0, 0, 6);
        assertEquals(1, h.refs(chunkId(0)), "zero-filled regions: one chunk, one reference per image");
        h.active(ALICE, b, 0, 6, 0);
        assertEquals(2, h.refs(chunkId(0)));
        assertEquals(2, h.refs(chunkId(6)));
        h.ok(h.delete(ALICE, a, false));
        assertEquals(1, h.refs(chunkId(0)));
        h.ok(h.delete(ALICE, b, true));
        h.ok(new Command.PurgeImage(h.tick(), b));
        assertEquals(0, h.refs(chunkId(0)));
        assertEquals(0, h.refs(chunkId(6)));
    }

    @Test
    void referenceCountsLiveUnderTheChunksPlacementGroup() {
        h.active(ALICE, id, 1);
        String c = chunkId(1);
        int pg = io.glint.registry.model.ChunkInfo.placementGroup(c, 512);
        assertEquals(1, io.glint.registry.store.Records.chunkRefCount(h.store, pg, c));
        assertEquals(0, io.glint.registry.store.Records.chunkRefCount(h.store, (pg + 1) % 512, c));
    }

    private List<Long> refs(int... ns) {
        Long[] out = new Long[ns.length];
        for (int i = 0; i < ns.length; i++) out[i] = h.refs(chunkId(ns[i]));
        return List.of(out);
    }
}
