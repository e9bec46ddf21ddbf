package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.Result;
import io.glint.registry.model.Result.Code;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.Visibility;
import io.glint.registry.store.Records;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static io.glint.registry.machine.MachineHarness.ADMIN;
import static io.glint.registry.machine.MachineHarness.ALICE;
import static io.glint.registry.machine.MachineHarness.BOB;
import static io.glint.registry.machine.MachineHarness.add;
import static io.glint.registry.machine.MachineHarness.chunkId;
import static io.glint.registry.machine.MachineHarness.manifest;
import static io.glint.registry.machine.MachineHarness.str;
import static io.glint.registry.machine.MachineHarness.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** {@code DELETE /v2/images/{id}} (spec §4.5, §3.3) and the reaper's purge of pending deletes. */
class DeleteImageTest {
    private final MachineHarness h = new MachineHarness();
    private final String id = uuid(1);

    @Test
    void immediateDeleteOfAnActiveImageDropsItsData() {
        h.active(ALICE, id, 1, 2);
        Command.DeleteImage d = h.delete(ALICE, id, false);
        assertEquals(Result.ok(), h.ok(d));
        Image tomb = h.image(id);
        assertEquals(ImageStatus.DELETED, tomb.status());
        assertEquals(d.nowMillis(), tomb.updatedAtMillis());
        assertNull(h.manifest(id));
        assertEquals(0, h.refs(chunkId(1)));
        assertEquals(0, h.refs(chunkId(2)));
    }

    @Test
    void delayedDeleteOfAnActiveImageKeepsManifestAndReferencesUntilPurged() {
        Image active = h.active(ALICE, id, 1, 2);
        h.ok(h.delete(ALICE, id, true));
        assertEquals(ImageStatus.PENDING_DELETE, h.status(id));
        assertEquals(manifest(id, 1, 2), h.manifest(id));
        assertEquals(1, h.refs(chunkId(1)));
        assertEquals(active.size(), h.image(id).size());
        Command.PurgeImage p = new Command.PurgeImage(h.tick(), id);
        h.ok(p);
        assertEquals(ImageStatus.DELETED, h.status(id));
        assertEquals(p.nowMillis(), h.image(id).updatedAtMillis());
        assertNull(h.manifest(id));
        assertEquals(0, h.refs(chunkId(1)));
        assertEquals(0, h.refs(chunkId(2)));
    }

    @Test
    void delayedDeleteOfAnImageWithoutActiveDataDeletesAtOnce() {
        h.queued(ALICE, id);
        h.ok(h.delete(ALICE, id, true));
        assertEquals(ImageStatus.DELETED, h.status(id));
        String deact = uuid(2);
        h.active(ALICE, deact, 3);
        h.ok(h.deactivate(ALICE, deact));
        h.ok(h.delete(ALICE, deact, true));
        assertEquals(ImageStatus.DELETED, h.status(deact), "deactivated -> pending_delete is not in the table");
        assertEquals(0, h.refs(chunkId(3)));
    }

    @Test
    void protectedBlocksEveryoneIncludingAdmins() {
        h.ok(h.create(ALICE, id).protect().cmd());
        h.rejected(Code.FORBIDDEN, h.delete(ALICE, id, false));
        h.rejected(Code.FORBIDDEN, h.delete(ADMIN, id, false));
        h.rejected(Code.FORBIDDEN, h.delete(Identity.NOAUTH_ADMIN, id, true));
        h.ok(h.patch(ALICE, id, MachineHarness.replace("protected", MachineHarness.bool(false))));
        h.ok(h.delete(ALICE, id, false));
    }

    @Test
    void onlyOwnerOrAdmin() {
        h.queued(ALICE, id, Visibility.COMMUNITY);
        h.rejected(Code.FORBIDDEN, h.delete(BOB, id, false));
        h.ok(h.delete(ADMIN, id, false));
    }

    @Test
    void invisibleImagesAreNotFound() {
        h.queued(ALICE, id, Visibility.PRIVATE);
        h.rejected(Code.NOT_FOUND, h.delete(BOB, id, false));
        h.rejected(Code.NOT_FOUND, h.delete(ALICE, uuid(2), false));
        h.rejected(Code.NOT_FOUND, h.delete(ALICE, null, false));
    }

    @ParameterizedTest
    @ValueSource(strings = {"UPLOAD", "STAGE", "IMPORT"})
    void deleteDuringAnUploadEndsTheLeaseAndTheCommitGetsGone(String kindName) {
        UploadKind kind = UploadKind.valueOf(kindName);
        h.queued(ALICE, id);
        h.ok(h.begin(ALICE, id, kind, "l1"));
        h.ok(h.delete(ALICE, id, true));
        assertEquals(ImageStatus.DELETED, h.status(id));
        assertNull(h.lease(id));
        h.rejected(Code.GONE, h.commit(id, "l1", manifest(id, 1)));
        h.rejected(Code.GONE, new Command.AbortUpload(h.tick(), id, "l1", "client went away"));
        h.rejected(Code.GONE, new Command.RenewLease(h.tick(), id, "l1", h.now() + 100_000));
        h.rejected(Code.GONE, new Command.ExpireLease(h.now() + 1_000_000, id, "l1"));
        assertEquals(0, h.refs(chunkId(1)));
    }

    @Test
    void deleteOfAStagedImageDropsTheStagedChunks() {
        h.queued(ALICE, id);
        h.upload(ALICE, id, UploadKind.STAGE, manifest(id, 4));
        assertEquals(1, h.refs(chunkId(4)));
        h.ok(h.delete(ALICE, id, true));
        assertEquals(ImageStatus.DELETED, h.status(id));
        assertEquals(0, h.refs(chunkId(4)));
        assertNull(h.manifest(id));
    }

    @Test
    void membersGoWithTheImage() {
        h.queued(ALICE, id, Visibility.SHARED);
        h.ok(h.addMember(ALICE, id, "bob"));
        h.ok(h.addMember(ALICE, id, "carol"));
        h.ok(h.updateMember(BOB, id, "bob", MemberStatus.ACCEPTED));
        h.ok(h.delete(ALICE, id, false));
        assertEquals(List.of(), h.members(id));
        assertEquals(List.of(), Records.sharedWith(h.store, "bob"));
        assertEquals(List.of(), Records.sharedWith(h.store, "carol"));
    }

    @Test
    void aDeletedImageIsNotFoundForEveryLaterCommandAndItsIdStaysReserved() {
        h.active(ALICE, id, 1);
        h.ok(h.delete(ALICE, id, false));
        for (Identity who : List.of(ALICE, ADMIN)) {
            h.rejected(Code.NOT_FOUND, h.delete(who, id, false));
            h.rejected(Code.NOT_FOUND, h.delete(who, id, true));
            h.rejected(Code.NOT_FOUND, h.patch(who, id, add("k", str("v"))));
            h.rejected(Code.NOT_FOUND, h.addTag(who, id, "t"));
            h.rejected(Code.NOT_FOUND, h.removeTag(who, id, "t"));
            h.rejected(Code.NOT_FOUND, h.deactivate(who, id));
            h.rejected(Code.NOT_FOUND, h.reactivate(who, id));
            h.rejected(Code.NOT_FOUND, h.begin(who, id, UploadKind.UPLOAD, "l9"));
            h.rejected(Code.NOT_FOUND, h.addMember(who, id, "carol"));
            h.rejected(Code.NOT_FOUND, h.updateMember(who, id, "carol", MemberStatus.ACCEPTED));
            h.rejected(Code.NOT_FOUND, h.removeMember(who, id, "carol"));
        }
        h.rejected(Code.CONFLICT, h.create(ALICE, id).cmd());
        h.rejected(Code.CONFLICT, h.create(ADMIN, id).cmd());
        assertNotNull(h.image(id), "the tombstone stays");
    }

    @Test
    void purgeOnlyTakesPendingDeletes() {
        h.rejected(Code.NOT_FOUND, new Command.PurgeImage(h.tick(), id));
        h.active(ALICE, id, 1);
        h.rejected(Code.CONFLICT, new Command.PurgeImage(h.tick(), id));
        h.ok(h.delete(ALICE, id, true));
        h.ok(new Command.PurgeImage(h.tick(), id));
        h.rejected(Code.CONFLICT, new Command.PurgeImage(h.tick(), id));
        String queued = uuid(2);
        h.queued(ALICE, queued);
        h.rejected(Code.CONFLICT, new Command.PurgeImage(h.tick(), queued));
    }

    @Test
    void deleteWorksInEveryLiveStatus() {
        int n = 10;
        for (ImageStatus s : List.of(ImageStatus.QUEUED, ImageStatus.SAVING, ImageStatus.UPLOADING,
                ImageStatus.IMPORTING, ImageStatus.ACTIVE, ImageStatus.DEACTIVATED)) {
            String img = uuid(n++);
            h.queued(ALICE, img);
            switch (s) {
                case SAVING -> h.ok(h.begin(ALICE, img, UploadKind.UPLOAD, "l"));
                case UPLOADING -> h.ok(h.begin(ALICE, img, UploadKind.STAGE, "l"));
                case IMPORTING -> h.ok(h.begin(ALICE, img, UploadKind.IMPORT, "l"));
                case ACTIVE -> h.upload(ALICE, img, UploadKind.UPLOAD, manifest(img, n));
                case DEACTIVATED -> {
                    h.upload(ALICE, img, UploadKind.UPLOAD, manifest(img, n));
                    h.ok(h.deactivate(ALICE, img));
                }
                default -> { }
            }
            assertEquals(s, h.status(img));
            h.ok(h.delete(ALICE, img, false));
            assertEquals(ImageStatus.DELETED, h.status(img), "from " + s);
            assertNull(h.lease(img));
            assertNull(h.manifest(img));
        }
        for (int i = 0; i < 100; i++) assertEquals(0, h.refs(chunkId(i)));
    }
}
