package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Result.Code;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.Visibility;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.glint.registry.machine.MachineHarness.ADMIN;
import static io.glint.registry.machine.MachineHarness.ALICE;
import static io.glint.registry.machine.MachineHarness.ANONYMOUS;
import static io.glint.registry.machine.MachineHarness.BOB;
import static io.glint.registry.machine.MachineHarness.manifest;
import static io.glint.registry.machine.MachineHarness.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code POST /v2/images/{id}/actions/deactivate|reactivate}: the table of spec §4.10. */
class ActivationTest {
    private final MachineHarness h = new MachineHarness();
    private final String id = uuid(1);

    @Test
    void deactivateAnActiveImageAndBack() {
        Image active = h.active(ALICE, id, 1);
        Command.Deactivate d = h.deactivate(ALICE, id);
        Image off = h.ok(d).value(Image.class);
        assertEquals(ImageStatus.DEACTIVATED, off.status());
        assertEquals(d.nowMillis(), off.updatedAtMillis());
        assertEquals(active.size(), off.size(), "data stays");
        assertEquals(active.checksum(), off.checksum());
        assertEquals(manifest(id, 1), h.manifest(id));
        assertEquals(1, h.refs(MachineHarness.chunkId(1)));
        Image on = h.ok(h.reactivate(ALICE, id)).value(Image.class);
        assertEquals(ImageStatus.ACTIVE, on.status());
        assertEquals(active.size(), on.size());
    }

    @Test
    void theTargetStatusItselfIsANoOp() {
        h.active(ALICE, id, 1);
        RegistryMachine.Applied again = h.entryApplied(List.of(h.reactivate(ALICE, id)));
        assertTrue(again.results().get(0).isOk());
        assertEquals(List.of(), again.mutations(), "reactivate of an active image writes nothing");
        h.ok(h.deactivate(ALICE, id));
        again = h.entryApplied(List.of(h.deactivate(ALICE, id)));
        assertTrue(again.results().get(0).isOk());
        assertEquals(ImageStatus.DEACTIVATED, again.results().get(0).value(Image.class).status());
        assertEquals(List.of(), again.mutations(), "deactivate of a deactivated image writes nothing");
    }

    @Test
    void anyOtherStatusIsForbidden() {
        h.queued(ALICE, id);
        h.rejected(Code.FORBIDDEN, h.deactivate(ALICE, id));
        h.rejected(Code.FORBIDDEN, h.reactivate(ALICE, id));
        h.rejected(Code.FORBIDDEN, h.deactivate(ADMIN, id));
        for (UploadKind kind : UploadKind.values()) {
            String other = uuid(10 + kind.ordinal());
            h.queued(ALICE, other);
            h.ok(h.begin(ALICE, other, kind, "l"));
            assertEquals(kind.statusDuring(), h.status(other));
            h.rejected(Code.FORBIDDEN, h.deactivate(ALICE, other));
            h.rejected(Code.FORBIDDEN, h.reactivate(ADMIN, other));
        }
        String staged = uuid(20);
        h.queued(ALICE, staged);
        h.upload(ALICE, staged, UploadKind.STAGE, manifest(staged, 1));
        assertEquals(ImageStatus.UPLOADING, h.status(staged));
        h.rejected(Code.FORBIDDEN, h.deactivate(ALICE, staged));
    }

    @Test
    void deletedOrPendingDeleteImagesAreNotFound() {
        h.active(ALICE, id, 1);
        h.ok(h.delete(ALICE, id, true));
        assertEquals(ImageStatus.PENDING_DELETE, h.status(id));
        h.rejected(Code.NOT_FOUND, h.reactivate(ADMIN, id));
        h.rejected(Code.NOT_FOUND, h.deactivate(ADMIN, id));
        h.ok(new Command.PurgeImage(h.tick(), id));
        h.rejected(Code.NOT_FOUND, h.reactivate(ADMIN, id));
    }

    @Test
    void ownerOrAdminOnly() {
        h.ok(h.create(ALICE, id).visibility(Visibility.COMMUNITY).formats("raw", "bare").cmd());
        h.upload(ALICE, id, UploadKind.UPLOAD, manifest(id, 1));
        h.rejected(Code.FORBIDDEN, h.deactivate(BOB, id));
        h.rejected(Code.FORBIDDEN, h.deactivate(ANONYMOUS, id));
        h.ok(h.deactivate(ADMIN, id));
        h.rejected(Code.FORBIDDEN, h.reactivate(BOB, id));
        h.ok(h.reactivate(ADMIN, id));
    }

    @Test
    void invisibleImagesAreNotFound() {
        h.ok(h.create(ALICE, id).visibility(Visibility.PRIVATE).formats("raw", "bare").cmd());
        h.upload(ALICE, id, UploadKind.UPLOAD, manifest(id, 1));
        h.rejected(Code.NOT_FOUND, h.deactivate(BOB, id));
        h.rejected(Code.NOT_FOUND, h.reactivate(BOB, id));
        h.rejected(Code.NOT_FOUND, h.deactivate(ALICE, uuid(2)));
    }
}
