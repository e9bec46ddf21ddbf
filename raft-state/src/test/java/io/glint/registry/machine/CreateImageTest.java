package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.ClusterSettings;
import io.glint.registry.model.Formats;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Result.Code;
import io.glint.registry.model.Visibility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.glint.registry.machine.MachineHarness.ADMIN;
import static io.glint.registry.machine.MachineHarness.ALICE;
import static io.glint.registry.machine.MachineHarness.BOB;
import static io.glint.registry.machine.MachineHarness.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code POST /v2/images} as the state machine decides it (spec §4.1, §2.1, §2.2, §5.5). */
class CreateImageTest {
    private final MachineHarness h = new MachineHarness();
    private final String id = uuid(1);

    @Test
    void createsAQueuedImageWithEveryFieldAsGiven() {
        Command.CreateImage c = h.create(ALICE, id).name("cirros").visibility(Visibility.PRIVATE).protect().hidden()
                .minDisk(1).minRam(512).formats("qcow2", "bare").tags("b", "a", "b").extra("os_distro", "cirros")
                .cmd();
        Image img = h.ok(c).value(Image.class);
        assertEquals(img, h.image(id), "the result is what is stored");
        assertEquals(ImageStatus.QUEUED, img.status());
        assertEquals("cirros", img.name());
        assertEquals(Visibility.PRIVATE, img.visibility());
        assertTrue(img.isProtected());
        assertTrue(img.osHidden());
        assertEquals("alice", img.owner());
        assertEquals(1, img.minDisk());
        assertEquals(512, img.minRam());
        assertEquals("qcow2", img.diskFormat());
        assertEquals("bare", img.containerFormat());
        assertEquals(List.of("a", "b"), img.tags(), "tags have set semantics");
        assertEquals(Map.of("os_distro", "cirros"), img.extra());
        assertNull(img.size());
        assertNull(img.virtualSize());
        assertNull(img.checksum());
        assertNull(img.osHashAlgo());
        assertNull(img.osHashValue());
        assertEquals(c.nowMillis(), img.createdAtMillis());
        assertEquals(img.createdAtMillis(), img.updatedAtMillis(), "updated_at = created_at at create");
    }

    @Test
    void nullNameAndFormatsAreAllowed() {
        Image img = h.ok(h.create(ALICE, id).name(null).cmd()).value(Image.class);
        assertNull(img.name());
        assertNull(img.diskFormat());
        assertNull(img.containerFormat());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not-a-uuid", "00000000-0000-4000-8000-00000000000", "00000000000040008000000000000001",
            "00000000-0000-4000-8000-00000000000g"})
    void idMustBeAUuid(String bad) {
        h.rejected(Code.INVALID, h.create(ALICE, bad).cmd());
    }

    @Test
    void nullIdIsInvalid() {
        h.rejected(Code.INVALID, h.create(ALICE, null).cmd());
    }

    @Test
    void duplicateIdConflicts() {
        h.queued(ALICE, id);
        h.rejected(Code.CONFLICT, h.create(ALICE, id).cmd());
        h.rejected(Code.CONFLICT, h.create(ADMIN, id).cmd());
    }

    @Test
    void idOfADeletedImageStaysReserved() {
        h.queued(ALICE, id);
        h.ok(h.delete(ALICE, id, false));
        assertEquals(ImageStatus.DELETED, h.status(id));
        h.rejected(Code.CONFLICT, h.create(ALICE, id).cmd());
    }

    @Test
    void idOfAnImageInvisibleToTheCallerAlsoConflicts() {
        h.queued(BOB, id, Visibility.PRIVATE);
        h.rejected(Code.CONFLICT, h.create(ALICE, id).cmd());
    }

    @Test
    void nameUpTo255Characters() {
        h.ok(h.create(ALICE, id).name("n".repeat(Formats.NAME_MAX_CHARS)).cmd());
        h.rejected(Code.INVALID, h.create(ALICE, uuid(2)).name("n".repeat(Formats.NAME_MAX_CHARS + 1)).cmd());
    }

    @Test
    void minDiskAndMinRamMustNotBeNegative() {
        h.rejected(Code.INVALID, h.create(ALICE, id).minDisk(-1).cmd());
        h.rejected(Code.INVALID, h.create(ALICE, id).minRam(-1).cmd());
        h.ok(h.create(ALICE, id).minDisk(0).minRam(0).cmd());
    }

    @Test
    void formatsMustBeInTheConfiguredLists() {
        for (String f : Formats.DISK_FORMATS) {
            h.ok(h.create(ALICE, uuid(100 + Formats.DISK_FORMATS.indexOf(f))).formats(f, "bare").cmd());
        }
        for (String f : Formats.CONTAINER_FORMATS) {
            h.ok(h.create(ALICE, uuid(200 + Formats.CONTAINER_FORMATS.indexOf(f))).formats("raw", f).cmd());
        }
        h.rejected(Code.INVALID, h.create(ALICE, id).formats("qcow3", "bare").cmd());
        h.rejected(Code.INVALID, h.create(ALICE, id).formats("raw", "tarball").cmd());
        h.rejected(Code.INVALID, h.create(ALICE, id).formats("RAW", "bare").cmd());
        h.rejected(Code.INVALID, h.create(ALICE, id).formats("", "bare").cmd());
    }

    @ParameterizedTest
    @ValueSource(strings = {"location", "deleted", "deleted_at", "os_glance_import_task", "os_glance_stage_host",
            "os_glance"})
    void reservedKeysAreForbidden(String key) {
        h.rejected(Code.FORBIDDEN, h.create(ALICE, id).extra(key, "x").cmd());
        h.rejected(Code.FORBIDDEN, h.create(ADMIN, id).extra(key, "x").cmd());
    }

    @ParameterizedTest
    @ValueSource(strings = {"status", "checksum", "size", "virtual_size", "created_at", "updated_at", "os_hash_algo",
            "os_hash_value", "locations", "direct_url", "self", "file", "schema", "stores", "id", "owner", "name"})
    void coreNamesAsExtraPropertiesAreForbidden(String key) {
        h.rejected(Code.FORBIDDEN, h.create(ALICE, id).extra(key, "x").cmd());
    }

    @Test
    void extraKeysAndValuesAreBounded() {
        h.rejected(Code.INVALID, h.create(ALICE, id).extra("k".repeat(Formats.PROPERTY_KEY_MAX_CHARS + 1), "v").cmd());
        h.rejected(Code.INVALID, h.create(ALICE, id).extra("", "v").cmd());
        h.rejected(Code.INVALID, h.create(ALICE, id).extra("k", null).cmd());
        h.rejected(Code.INVALID, h.create(ALICE, id).extra("k", "v".repeat(Formats.PROPERTY_VALUE_MAX_CHARS + 1)).cmd());
        h.ok(h.create(ALICE, id).extra("k".repeat(Formats.PROPERTY_KEY_MAX_CHARS), "").cmd());
    }

    @Test
    void invalidTagsAreRejected() {
        h.rejected(Code.INVALID, h.create(ALICE, id).tags("t".repeat(Formats.TAG_MAX_CHARS + 1)).cmd());
        h.rejected(Code.INVALID, h.create(ALICE, id).tags("").cmd());
        h.rejected(Code.INVALID, h.create(ALICE, id).tags("a/b").cmd());
        h.ok(h.create(ALICE, id).tags("t".repeat(Formats.TAG_MAX_CHARS), "Tag", "tag").cmd());
        assertEquals(List.of("Tag", "tag", "t".repeat(255)), h.image(id).tags(), "tags are case-sensitive");
    }

    @Test
    void nonAdminMayNotCreateForAnotherOwner() {
        h.rejected(Code.FORBIDDEN, h.create(ALICE, id).owner("bob").cmd());
        h.rejected(Code.FORBIDDEN, h.create(ALICE, id).owner(null).cmd());
        Image img = h.ok(h.create(ADMIN, id).owner("bob").cmd()).value(Image.class);
        assertEquals("bob", img.owner(), "an admin may set any owner");
    }

    @Test
    void noauthAdminCreatesOwnerlessImages() {
        Image img = h.ok(h.create(Identity.NOAUTH_ADMIN, id).cmd()).value(Image.class);
        assertNull(img.owner());
    }

    @Test
    void anonymousCallersAreReadOnly() {
        // spec §5.1: the anonymous context is read-only; §5.3: an owner-less image is the admins' alone
        h.rejected(Code.FORBIDDEN, h.create(MachineHarness.ANONYMOUS, id).cmd());
        h.rejected(Code.FORBIDDEN, h.create(new Identity(null, "u", List.of("member", "reader")), id).cmd());
    }

    @Test
    void publicNeedsAdminCommunityDoesNot() {
        h.rejected(Code.FORBIDDEN, h.create(ALICE, id).visibility(Visibility.PUBLIC).cmd());
        assertEquals(Visibility.COMMUNITY,
                h.ok(h.create(ALICE, uuid(2)).visibility(Visibility.COMMUNITY).cmd()).value(Image.class).visibility());
        assertEquals(Visibility.PRIVATE,
                h.ok(h.create(ALICE, uuid(3)).visibility(Visibility.PRIVATE).cmd()).value(Image.class).visibility());
        assertEquals(Visibility.PUBLIC,
                h.ok(h.create(ADMIN, uuid(4)).visibility(Visibility.PUBLIC).cmd()).value(Image.class).visibility());
    }

    @Test
    void visibilityIsRequired() {
        h.rejected(Code.INVALID, h.create(ALICE, id).visibility(null).cmd());
    }

    @Test
    void propertyQuota() {
        h.ok(new Command.SetClusterSettings(new ClusterSettings(512, 2, 128, 128)));
        h.ok(h.create(ALICE, id).extra("a", "1").extra("b", "2").cmd());
        h.rejected(Code.OVER_LIMIT, h.create(ALICE, uuid(2)).extra("a", "1").extra("b", "2").extra("c", "3").cmd());
    }

    @Test
    void tagQuota() {
        h.ok(new Command.SetClusterSettings(new ClusterSettings(512, 128, 2, 128)));
        h.ok(h.create(ALICE, id).tags("a", "b", "a").cmd());
        h.rejected(Code.OVER_LIMIT, h.create(ALICE, uuid(2)).tags("a", "b", "c").cmd());
    }

    @Test
    void defaultQuotasAre128() {
        List<String> tags = new ArrayList<>();
        for (int i = 0; i < 128; i++) tags.add("t" + i);
        h.ok(h.create(ALICE, id).tags(tags).cmd());
        tags.add("t128");
        h.rejected(Code.OVER_LIMIT, h.create(ALICE, uuid(2)).tags(tags).cmd());
        MachineHarness.Create many = h.create(ALICE, uuid(3));
        for (int i = 0; i < 129; i++) many.extra("p" + i, "v");
        h.rejected(Code.OVER_LIMIT, many.cmd());
    }

    @Test
    void aRejectedCreateInABatchDoesNotHideTheOthers() {
        var results = h.entry(h.create(ALICE, id).cmd(), h.create(ALICE, id).cmd(), h.create(ALICE, uuid(2)).cmd());
        assertTrue(results.get(0).isOk());
        assertEquals(Code.CONFLICT, results.get(1).code(), "the second create sees the first of the same entry");
        assertTrue(results.get(2).isOk());
        assertFalse(h.image(uuid(2)) == null);
    }
}
