package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.ClusterSettings;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.Result.Code;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.Visibility;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.glint.registry.machine.MachineHarness.ADMIN;
import static io.glint.registry.machine.MachineHarness.ALICE;
import static io.glint.registry.machine.MachineHarness.BOB;
import static io.glint.registry.machine.MachineHarness.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code PUT} and {@code DELETE /v2/images/{id}/tags/{tag}} (spec §4.11). */
class TagCommandsTest {
    private final MachineHarness h = new MachineHarness();
    private final String id = uuid(1);

    @Test
    void addTagAddsItAndBumpsUpdatedAt() {
        Image before = h.queued(ALICE, id);
        Command.AddTag c = h.addTag(ALICE, id, "fedora");
        Image after = h.ok(c).value(Image.class);
        assertEquals(List.of("fedora"), after.tags());
        assertEquals(after, h.image(id));
        assertEquals(c.nowMillis(), after.updatedAtMillis());
        assertEquals(before.createdAtMillis(), after.createdAtMillis());
    }

    @Test
    void addTagIsIdempotent() {
        h.queued(ALICE, id);
        Image first = h.ok(h.addTag(ALICE, id, "x")).value(Image.class);
        RegistryMachine.Applied again = h.entryApplied(List.of(h.addTag(ALICE, id, "x")));
        assertTrue(again.results().get(0).isOk());
        assertEquals(first, again.results().get(0).value(Image.class));
        assertEquals(List.of(), again.mutations(), "re-adding a present tag changes nothing, not even updated_at");
    }

    @Test
    void tagsAreCaseSensitive() {
        h.queued(ALICE, id);
        h.ok(h.addTag(ALICE, id, "Web"));
        h.ok(h.addTag(ALICE, id, "web"));
        assertEquals(List.of("Web", "web"), h.image(id).tags());
        h.rejected(Code.NOT_FOUND, h.removeTag(ALICE, id, "WEB"));
    }

    @Test
    void invalidTagsAreRejected() {
        h.queued(ALICE, id);
        h.rejected(Code.INVALID, h.addTag(ALICE, id, "t".repeat(256)));
        h.rejected(Code.INVALID, h.addTag(ALICE, id, ""));
        h.rejected(Code.INVALID, h.addTag(ALICE, id, null));
        h.rejected(Code.INVALID, h.addTag(ALICE, id, "a/b"));
        h.ok(h.addTag(ALICE, id, "t".repeat(255)));
    }

    @Test
    void tagQuota() {
        h.ok(new Command.SetClusterSettings(new ClusterSettings(512, 128, 2, 128)));
        h.queued(ALICE, id);
        h.ok(h.addTag(ALICE, id, "a"));
        h.ok(h.addTag(ALICE, id, "b"));
        h.rejected(Code.OVER_LIMIT, h.addTag(ALICE, id, "c"));
        h.ok(h.addTag(ALICE, id, "a"));
        h.ok(h.removeTag(ALICE, id, "a"));
        h.ok(h.addTag(ALICE, id, "c"));
    }

    @Test
    void removeTag() {
        h.ok(h.create(ALICE, id).tags("a", "b").cmd());
        Command.RemoveTag c = h.removeTag(ALICE, id, "a");
        Image after = h.ok(c).value(Image.class);
        assertEquals(List.of("b"), after.tags());
        assertEquals(c.nowMillis(), after.updatedAtMillis());
        h.rejected(Code.NOT_FOUND, h.removeTag(ALICE, id, "a"));
        h.rejected(Code.NOT_FOUND, h.removeTag(ALICE, id, null));
    }

    @Test
    void onlyOwnerOrAdmin() {
        h.ok(h.create(ALICE, id).visibility(Visibility.COMMUNITY).tags("a").cmd());
        h.rejected(Code.FORBIDDEN, h.addTag(BOB, id, "b"));
        h.rejected(Code.FORBIDDEN, h.removeTag(BOB, id, "a"));
        h.rejected(Code.FORBIDDEN, h.removeTag(BOB, id, "absent"));
        h.ok(h.addTag(ADMIN, id, "b"));
        h.ok(h.removeTag(ADMIN, id, "a"));
    }

    @Test
    void aMemberMayNotTag() {
        h.queued(ALICE, id, Visibility.SHARED);
        h.ok(h.addMember(ALICE, id, "bob"));
        h.ok(h.updateMember(BOB, id, "bob", MemberStatus.ACCEPTED));
        h.rejected(Code.FORBIDDEN, h.addTag(BOB, id, "b"));
    }

    @Test
    void invisibleOrGoneImagesAreNotFound() {
        h.queued(ALICE, id, Visibility.PRIVATE);
        h.rejected(Code.NOT_FOUND, h.addTag(BOB, id, "b"));
        h.rejected(Code.NOT_FOUND, h.removeTag(BOB, id, "b"));
        h.rejected(Code.NOT_FOUND, h.addTag(ALICE, uuid(2), "b"));
        h.ok(h.addTag(ALICE, id, "b"));
        h.ok(h.delete(ALICE, id, false));
        h.rejected(Code.NOT_FOUND, h.addTag(ALICE, id, "c"));
        h.rejected(Code.NOT_FOUND, h.removeTag(ALICE, id, "b"));
        h.rejected(Code.NOT_FOUND, h.addTag(ADMIN, id, "c"));
    }

    @Test
    void tagsWorkInEveryVisibleStatus() {
        h.queued(ALICE, id);
        h.ok(h.begin(ALICE, id, UploadKind.UPLOAD, "l"));
        h.ok(h.addTag(ALICE, id, "saving"));
        h.ok(h.commit(id, "l", MachineHarness.manifest(id, 1)));
        h.ok(h.deactivate(ALICE, id));
        h.ok(h.addTag(ALICE, id, "deactivated"));
        assertEquals(ImageStatus.DEACTIVATED, h.status(id));
        assertEquals(List.of("deactivated", "saving"), h.image(id).tags());
    }
}
