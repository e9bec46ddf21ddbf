package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.command.PatchOp;
import io.glint.registry.model.ClusterSettings;
import io.glint.registry.model.Formats;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.Result.Code;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.Visibility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static io.glint.registry.machine.MachineHarness.ADMIN;
import static io.glint.registry.machine.MachineHarness.ALICE;
import static io.glint.registry.machine.MachineHarness.ANONYMOUS;
import static io.glint.registry.machine.MachineHarness.BOB;
import static io.glint.registry.machine.MachineHarness.add;
import static io.glint.registry.machine.MachineHarness.bool;
import static io.glint.registry.machine.MachineHarness.list;
import static io.glint.registry.machine.MachineHarness.manifest;
import static io.glint.registry.machine.MachineHarness.nul;
import static io.glint.registry.machine.MachineHarness.num;
import static io.glint.registry.machine.MachineHarness.remove;
import static io.glint.registry.machine.MachineHarness.replace;
import static io.glint.registry.machine.MachineHarness.str;
import static io.glint.registry.machine.MachineHarness.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code PATCH /v2/images/{id}} (spec §4.4.2, §4.4.3): the operation table, field rules and atomicity. */
class PatchImageTest {
    private final MachineHarness h = new MachineHarness();
    private final String id = uuid(1);

    private Image patchOk(Identity actor, PatchOp... ops) {
        Command.PatchImage c = h.patch(actor, id, ops);
        Image after = h.ok(c).value(Image.class);
        assertEquals(after, h.image(id), "the result is what is stored");
        return after;
    }

    private void patchRejected(Code code, Identity actor, PatchOp... ops) {
        h.rejected(code, h.patch(actor, id, ops));
    }

    private Image withExtra() {
        return h.ok(h.create(ALICE, id).formats("raw", "bare").extra("os_distro", "cirros").cmd()).value(Image.class);
    }

    // --- the operation table of §4.4.3 ---------------------------------------------------------

    @Test
    void addAndReplaceSetACoreField() {
        withExtra();
        assertEquals("a", patchOk(ALICE, add("name", str("a"))).name());
        assertEquals("b", patchOk(ALICE, replace("name", str("b"))).name());
    }

    @ParameterizedTest
    @ValueSource(strings = {"name", "tags", "visibility", "protected", "os_hidden", "owner", "min_disk", "min_ram",
            "disk_format", "container_format"})
    void removeOfACoreFieldIsForbidden(String field) {
        withExtra();
        patchRejected(Code.FORBIDDEN, ALICE, remove(field));
        patchRejected(Code.FORBIDDEN, ADMIN, remove(field));
    }

    @Test
    void existingExtraPropertyCanBeOverwrittenAndRemoved() {
        withExtra();
        assertEquals("fedora", patchOk(ALICE, add("os_distro", str("fedora"))).extra().get("os_distro"));
        assertEquals("debian", patchOk(ALICE, replace("os_distro", str("debian"))).extra().get("os_distro"));
        assertEquals(Map.of(), patchOk(ALICE, remove("os_distro")).extra());
    }

    @Test
    void absentExtraPropertyCanBeAddedButNotReplacedOrRemoved() {
        withExtra();
        patchRejected(Code.CONFLICT, ALICE, replace("hw_disk_bus", str("virtio")));
        patchRejected(Code.CONFLICT, ALICE, remove("hw_disk_bus"));
        assertEquals("virtio", patchOk(ALICE, add("hw_disk_bus", str("virtio"))).extra().get("hw_disk_bus"));
    }

    @Test
    void operationsApplyInOrderToTheSameCopy() {
        withExtra();
        Image after = patchOk(ALICE, add("k", str("1")), replace("k", str("2")), add("j", str("x")), remove("j"));
        assertEquals(Map.of("os_distro", "cirros", "k", "2"), after.extra());
        patchRejected(Code.CONFLICT, ALICE, remove("k"), remove("k"));
    }

    // --- read-only and reserved paths ----------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"created_at", "updated_at", "status", "checksum", "size", "virtual_size", "direct_url",
            "self", "file", "schema", "id", "os_hash_algo", "os_hash_value", "stores", "locations"})
    void readOnlyPathsAreForbiddenForEveryOp(String field) {
        withExtra();
        for (Identity who : List.of(ALICE, ADMIN)) {
            patchRejected(Code.FORBIDDEN, who, add(field, str("x")));
            patchRejected(Code.FORBIDDEN, who, replace(field, str("x")));
            patchRejected(Code.FORBIDDEN, who, remove(field));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"location", "deleted", "deleted_at", "os_glance_import_task", "os_glance_anything",
            "os_glance"})
    void reservedPathsAreForbiddenForEveryOp(String field) {
        withExtra();
        for (Identity who : List.of(ALICE, ADMIN)) {
            patchRejected(Code.FORBIDDEN, who, add(field, str("x")));
            patchRejected(Code.FORBIDDEN, who, replace(field, str("x")));
            patchRejected(Code.FORBIDDEN, who, remove(field));
        }
    }

    // --- field rules ---------------------------------------------------------------------------

    @Test
    void ownerIsAdminOnly() {
        withExtra();
        patchRejected(Code.FORBIDDEN, ALICE, replace("owner", str("bob")));
        patchRejected(Code.FORBIDDEN, ALICE, replace("owner", nul()));
        assertEquals("alice", patchOk(ALICE, replace("owner", str("alice"))).owner(), "unchanged owner is fine");
        assertEquals("bob", patchOk(ADMIN, replace("owner", str("bob"))).owner());
        assertNull(patchOk(ADMIN, replace("owner", nul())).owner());
        patchRejected(Code.INVALID, ADMIN, replace("owner", num(3)));
        patchRejected(Code.INVALID, ADMIN, replace("owner", str("a\0b")));
    }

    @Test
    void afterAnOwnerChangeThePreviousOwnerLosesAccess() {
        h.queued(ALICE, id, Visibility.PRIVATE);
        patchOk(ADMIN, replace("owner", str("bob")));
        patchRejected(Code.NOT_FOUND, ALICE, replace("name", str("mine")));
        assertEquals("his", patchOk(BOB, replace("name", str("his"))).name());
    }

    @Test
    void publicizeIsAdminOnly() {
        withExtra();
        patchRejected(Code.FORBIDDEN, ALICE, replace("visibility", str("public")));
        assertEquals(Visibility.COMMUNITY, patchOk(ALICE, replace("visibility", str("community"))).visibility());
        assertEquals(Visibility.PRIVATE, patchOk(ALICE, add("visibility", str("private"))).visibility());
        assertEquals(Visibility.PUBLIC, patchOk(ADMIN, replace("visibility", str("public"))).visibility());
        assertEquals(Visibility.PUBLIC, patchOk(ALICE, replace("visibility", str("public"))).visibility(),
                "an already public image stays public");
        assertEquals(Visibility.SHARED, patchOk(ALICE, replace("visibility", str("shared"))).visibility());
    }

    @Test
    void visibilityMustBeInTheEnum() {
        withExtra();
        patchRejected(Code.INVALID, ALICE, replace("visibility", str("PUBLIC")));
        patchRejected(Code.INVALID, ALICE, replace("visibility", str("everyone")));
        patchRejected(Code.INVALID, ALICE, replace("visibility", nul()));
        patchRejected(Code.INVALID, ALICE, replace("visibility", bool(true)));
    }

    @Test
    void formatsChangeOnlyWhileQueued() {
        withExtra();
        Image q = patchOk(ALICE, replace("disk_format", str("qcow2")), replace("container_format", str("ovf")));
        assertEquals("qcow2", q.diskFormat());
        assertEquals("ovf", q.containerFormat());
        Image cleared = patchOk(ALICE, replace("disk_format", nul()), add("container_format", nul()));
        assertNull(cleared.diskFormat());
        assertNull(cleared.containerFormat());
        patchRejected(Code.INVALID, ALICE, replace("disk_format", str("qcow3")));
        patchRejected(Code.INVALID, ALICE, replace("container_format", str("zip")));
        patchRejected(Code.INVALID, ALICE, replace("disk_format", num(1)));
        patchOk(ALICE, replace("disk_format", str("raw")), replace("container_format", str("bare")));
        h.upload(ALICE, id, UploadKind.UPLOAD, manifest(id, 1));
        for (Identity who : List.of(ALICE, ADMIN)) {
            patchRejected(Code.FORBIDDEN, who, replace("disk_format", str("qcow2")));
            patchRejected(Code.FORBIDDEN, who, replace("container_format", str("ovf")));
        }
    }

    @Test
    void formatsMayChangeWhileImporting() {
        h.queued(ALICE, id);
        h.ok(h.begin(ALICE, id, UploadKind.IMPORT, "l1"));
        assertEquals(ImageStatus.IMPORTING, h.status(id));
        assertEquals("qcow2", patchOk(ADMIN, replace("disk_format", str("qcow2"))).diskFormat());
    }

    @ParameterizedTest
    @EnumSource(value = UploadKind.class, names = {"UPLOAD", "STAGE"})
    void formatsAreFrozenWhileSavingOrUploading(UploadKind kind) {
        h.queued(ALICE, id);
        h.ok(h.begin(ALICE, id, kind, "l1"));
        patchRejected(Code.FORBIDDEN, ALICE, replace("disk_format", str("qcow2")));
    }

    @Test
    void minDiskAndMinRamAreNonNegativeIntegers() {
        withExtra();
        Image a = patchOk(ALICE, replace("min_disk", num(10)), add("min_ram", num(2048)));
        assertEquals(10, a.minDisk());
        assertEquals(2048, a.minRam());
        patchRejected(Code.INVALID, ALICE, replace("min_disk", num(-1)));
        patchRejected(Code.INVALID, ALICE, replace("min_ram", num(-1)));
        patchRejected(Code.INVALID, ALICE, replace("min_disk", str("10")));
        patchRejected(Code.INVALID, ALICE, replace("min_ram", nul()));
        patchRejected(Code.INVALID, ALICE, replace("min_disk", bool(true)));
    }

    @Test
    void booleansMustBeBooleans() {
        withExtra();
        Image a = patchOk(ALICE, replace("protected", bool(true)), replace("os_hidden", bool(true)));
        assertTrue(a.isProtected());
        assertTrue(a.osHidden());
        patchRejected(Code.INVALID, ALICE, replace("protected", str("true")));
        patchRejected(Code.INVALID, ALICE, replace("os_hidden", num(1)));
        patchRejected(Code.INVALID, ALICE, replace("protected", nul()));
    }

    @Test
    void nameIsAStringOfAtMost255OrNull() {
        withExtra();
        assertNull(patchOk(ALICE, replace("name", nul())).name());
        assertEquals(255, patchOk(ALICE, replace("name", str("n".repeat(255)))).name().length());
        patchRejected(Code.INVALID, ALICE, replace("name", str("n".repeat(256))));
        patchRejected(Code.INVALID, ALICE, replace("name", num(5)));
        patchRejected(Code.INVALID, ALICE, replace("name", list("a")));
    }

    @Test
    void addOrReplaceWithoutAValueIsInvalid() {
        withExtra();
        patchRejected(Code.INVALID, ALICE, new PatchOp(PatchOp.Op.REPLACE, "name", null));
        patchRejected(Code.INVALID, ALICE, new PatchOp(PatchOp.Op.ADD, "os_distro", null));
        patchRejected(Code.INVALID, ALICE, new PatchOp(null, "name", str("x")));
        patchRejected(Code.INVALID, ALICE, new PatchOp(PatchOp.Op.ADD, null, str("x")));
    }

    @Test
    void tagsReplaceTheWholeListAndCollapseDuplicates() {
        h.ok(h.create(ALICE, id).tags("old").cmd());
        assertEquals(List.of("a", "b"), patchOk(ALICE, replace("tags", list("b", "a", "b"))).tags());
        assertEquals(List.of(), patchOk(ALICE, add("tags", list())).tags());
        patchRejected(Code.INVALID, ALICE, replace("tags", list("ok", "t".repeat(256))));
        patchRejected(Code.INVALID, ALICE, replace("tags", list("")));
        patchRejected(Code.INVALID, ALICE, replace("tags", str("a")));
        patchRejected(Code.INVALID, ALICE, replace("tags", nul()));
    }

    @Test
    void extraValuesMustBeStrings() {
        withExtra();
        patchRejected(Code.INVALID, ALICE, add("k", num(1)));
        patchRejected(Code.INVALID, ALICE, add("k", bool(false)));
        patchRejected(Code.INVALID, ALICE, add("k", nul()));
        patchRejected(Code.INVALID, ALICE, add("k", list("a")));
        patchRejected(Code.INVALID, ALICE, replace("os_distro", num(1)));
        patchRejected(Code.INVALID, ALICE, add("k", str("v".repeat(Formats.PROPERTY_VALUE_MAX_CHARS + 1))));
        assertEquals("", patchOk(ALICE, add("k", str(""))).extra().get("k"));
    }

    @Test
    void extraKeysAreOneTo255Characters() {
        withExtra();
        patchRejected(Code.INVALID, ALICE, add("k".repeat(256), str("v")));
        patchRejected(Code.INVALID, ALICE, add("", str("v")));
        patchOk(ALICE, add("k".repeat(255), str("v")));
        patchOk(ALICE, add("os/distro", str("v")));
    }

    @Test
    void quotasApplyToTheResult() {
        h.ok(new Command.SetClusterSettings(new ClusterSettings(512, 2, 2, 128)));
        h.ok(h.create(ALICE, id).extra("a", "1").extra("b", "2").tags("x", "y").cmd());
        patchRejected(Code.OVER_LIMIT, ALICE, add("c", str("3")));
        patchRejected(Code.OVER_LIMIT, ALICE, replace("tags", list("x", "y", "z")));
        Image after = patchOk(ALICE, remove("a"), add("c", str("3")), replace("tags", list("z", "z", "y")));
        assertEquals(Map.of("b", "2", "c", "3"), after.extra());
        assertEquals(List.of("y", "z"), after.tags());
    }

    @Test
    void anImageOverALoweredQuotaCanStillBeRenamedAndTrimmed() {
        h.ok(h.create(ALICE, id).extra("a", "1").extra("b", "2").extra("c", "3").tags("x", "y", "z").cmd());
        h.ok(new Command.SetClusterSettings(new ClusterSettings(512, 1, 1, 128)));
        assertEquals("renamed", patchOk(ALICE, replace("name", str("renamed"))).name());
        assertEquals("9", patchOk(ALICE, replace("a", str("9"))).extra().get("a"), "overwriting adds nothing");
        assertEquals(Map.of("a", "9", "b", "2"), patchOk(ALICE, remove("c")).extra());
        assertEquals(List.of("x", "y"), patchOk(ALICE, replace("tags", list("x", "y"))).tags());
        patchRejected(Code.OVER_LIMIT, ALICE, add("d", str("4")));
        patchRejected(Code.OVER_LIMIT, ALICE, remove("b"), add("d", str("4")));
        patchRejected(Code.OVER_LIMIT, ALICE, replace("tags", list("x", "w")));
        h.rejected(Code.OVER_LIMIT, h.addTag(ALICE, id, "w"));
        h.ok(h.removeTag(ALICE, id, "y"));
        assertEquals(Map.of("a", "9"), patchOk(ALICE, remove("b")).extra());
        assertEquals(Map.of("d", "4"), patchOk(ALICE, remove("a"), add("d", str("4"))).extra(),
                "back within the quota, a new property may come in");
    }

    // --- atomicity and no-ops ------------------------------------------------------------------

    @Test
    void aFailingOperationLeavesTheImageUnchanged() {
        Image before = withExtra();
        patchRejected(Code.FORBIDDEN, ALICE, replace("name", str("new")), add("k", str("v")), remove("os_distro"),
                replace("owner", str("bob")));
        patchRejected(Code.CONFLICT, ALICE, replace("name", str("new")), replace("tags", list("t")),
                replace("missing", str("v")));
        patchRejected(Code.INVALID, ALICE, replace("protected", bool(true)), replace("min_disk", num(-5)));
        assertEquals(before, h.image(id));
    }

    @Test
    void aPatchThatChangesNothingKeepsUpdatedAtAndWritesNothing() {
        Image before = withExtra();
        for (List<PatchOp> ops : List.of(List.<PatchOp>of(),
                List.of(replace("name", str("img"))),
                List.of(add("os_distro", str("cirros")), replace("visibility", str("shared"))),
                List.of(add("k", str("v")), remove("k")),
                List.of(replace("tags", list()), replace("protected", bool(false)), replace("min_ram", num(0))))) {
            RegistryMachine.Applied a = h.entryApplied(List.of(new Command.PatchImage(ALICE, h.tick(), id, ops)));
            assertTrue(a.results().get(0).isOk());
            assertEquals(before, a.results().get(0).value(Image.class), "no-op " + ops);
            assertEquals(List.of(), a.mutations(), "no-op " + ops + " writes nothing");
        }
        assertEquals(before, h.image(id));
    }

    @Test
    void aChangeBumpsUpdatedAtOnly() {
        Image before = withExtra();
        Command.PatchImage c = h.patch(ALICE, id, replace("name", str("new")));
        Image after = h.ok(c).value(Image.class);
        assertEquals(c.nowMillis(), after.updatedAtMillis());
        assertEquals(before.createdAtMillis(), after.createdAtMillis());
        assertEquals(before.status(), after.status());
    }

    // --- who may patch -------------------------------------------------------------------------

    @Test
    void invisibleImagesAreNotFound() {
        h.queued(ALICE, id, Visibility.PRIVATE);
        patchRejected(Code.NOT_FOUND, BOB, replace("name", str("x")));
        patchRejected(Code.NOT_FOUND, ANONYMOUS, replace("name", str("x")));
        h.rejected(Code.NOT_FOUND, h.patch(ALICE, uuid(99), replace("name", str("x"))));
        h.rejected(Code.NOT_FOUND, h.patch(ALICE, null, replace("name", str("x"))));
    }

    @Test
    void ownerlessImagesAreVisibleToAdminsOnly() {
        h.ok(h.create(Identity.NOAUTH_ADMIN, id).cmd());
        patchRejected(Code.NOT_FOUND, ALICE, replace("name", str("x")));
        patchOk(ADMIN, replace("name", str("x")));
    }

    @ParameterizedTest
    @EnumSource(value = Visibility.class, names = {"PUBLIC", "COMMUNITY", "SHARED"})
    void visibleButNotOwnedIsForbidden(Visibility v) {
        h.ok(h.create(ADMIN, id).owner("alice").visibility(v).cmd());
        if (v == Visibility.SHARED) {
            patchRejected(Code.NOT_FOUND, BOB, replace("name", str("x")));
            h.ok(h.addMember(ALICE, id, "bob"));
            patchRejected(Code.FORBIDDEN, BOB, replace("name", str("x")));
            h.ok(h.updateMember(BOB, id, "bob", MemberStatus.ACCEPTED));
        } else {
            patchRejected(Code.FORBIDDEN, ANONYMOUS, replace("name", str("x")));
        }
        patchRejected(Code.FORBIDDEN, BOB, replace("name", str("x")));
    }

    @Test
    void deletedImagesAreNotFound() {
        withExtra();
        h.ok(h.delete(ALICE, id, false));
        patchRejected(Code.NOT_FOUND, ALICE, replace("name", str("x")));
        patchRejected(Code.NOT_FOUND, ADMIN, replace("name", str("x")));
    }

    @Test
    void pendingDeleteImagesAreNotFound() {
        h.active(ALICE, id, 1);
        h.ok(h.delete(ALICE, id, true));
        patchRejected(Code.NOT_FOUND, ADMIN, replace("name", str("x")));
    }

    @Test
    void deactivatedImagesCanBePatched() {
        h.active(ALICE, id, 1);
        h.ok(h.deactivate(ALICE, id));
        Image a = patchOk(ALICE, replace("name", str("still editable")), add("k", str("v")));
        assertEquals(ImageStatus.DEACTIVATED, a.status());
        assertFalse(a.extra().isEmpty());
    }

    @Test
    void patchingDoesNotTouchDataFields() {
        Image active = h.active(ALICE, id, 1, 2);
        Image after = patchOk(ALICE, replace("name", str("renamed")));
        assertEquals(active.size(), after.size());
        assertEquals(active.checksum(), after.checksum());
        assertEquals(active.osHashValue(), after.osHashValue());
        assertEquals(active.virtualSize(), after.virtualSize());
        assertSame(ImageStatus.ACTIVE, after.status());
    }
}
