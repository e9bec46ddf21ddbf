package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.ClusterSettings;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Member;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.Result.Code;
import io.glint.registry.model.Visibility;
import io.glint.registry.store.Records;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static io.glint.registry.machine.MachineHarness.ADMIN;
import static io.glint.registry.machine.MachineHarness.ALICE;
import static io.glint.registry.machine.MachineHarness.BOB;
import static io.glint.registry.machine.MachineHarness.CAROL;
import static io.glint.registry.machine.MachineHarness.replace;
import static io.glint.registry.machine.MachineHarness.str;
import static io.glint.registry.machine.MachineHarness.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Image sharing (spec §4.12, §5.5, §5.6): who may add, update and remove members, and how. */
class MemberCommandsTest {
    private final MachineHarness h = new MachineHarness();
    private final String id = uuid(1);

    private void sharedImageOfAlice() {
        h.queued(ALICE, id, Visibility.SHARED);
    }

    @Test
    void ownerAddsAPendingMember() {
        sharedImageOfAlice();
        Command.AddMember c = h.addMember(ALICE, id, "bob");
        Member m = h.ok(c).value(Member.class);
        assertEquals(new Member(id, "bob", MemberStatus.PENDING, c.nowMillis(), c.nowMillis()), m);
        assertEquals(List.of(m), h.members(id));
        assertEquals(List.of(m), Records.sharedWith(h.store, "bob"));
        assertEquals(MemberStatus.PENDING, Records.membership(h.store, id, "bob"));
    }

    @Test
    void adminMayAddMembers() {
        sharedImageOfAlice();
        h.ok(h.addMember(ADMIN, id, "bob"));
    }

    @ParameterizedTest
    @EnumSource(value = Visibility.class, names = {"PRIVATE", "PUBLIC", "COMMUNITY"})
    void onlySharedImagesHaveMembers(Visibility v) {
        h.ok(h.create(ADMIN, id).owner("alice").visibility(v).cmd());
        h.rejected(Code.FORBIDDEN, h.addMember(ALICE, id, "bob"));
        h.rejected(Code.FORBIDDEN, h.addMember(ADMIN, id, "bob"));
        h.rejected(Code.FORBIDDEN, h.removeMember(ALICE, id, "bob"));
        h.rejected(Code.FORBIDDEN, h.updateMember(ADMIN, id, "bob", MemberStatus.ACCEPTED));
    }

    @Test
    void duplicateMemberConflicts() {
        sharedImageOfAlice();
        h.ok(h.addMember(ALICE, id, "bob"));
        h.rejected(Code.CONFLICT, h.addMember(ALICE, id, "bob"));
        h.rejected(Code.CONFLICT, h.addMember(ADMIN, id, "bob"));
    }

    @Test
    void memberIdMustBeANonEmptyKeySafeProjectId() {
        sharedImageOfAlice();
        h.rejected(Code.INVALID, h.addMember(ALICE, id, null));
        h.rejected(Code.INVALID, h.addMember(ALICE, id, ""));
        h.rejected(Code.INVALID, h.addMember(ALICE, id, "   "));
        h.rejected(Code.INVALID, h.addMember(ALICE, id, "a\0b"));
        h.rejected(Code.INVALID, h.addMember(ALICE, id, "p".repeat(256)));
        h.ok(h.addMember(ALICE, id, "p".repeat(255)));
        h.ok(h.addMember(ALICE, id, "no-such-project"));
    }

    @Test
    void memberQuota() {
        h.ok(new Command.SetClusterSettings(new ClusterSettings(512, 128, 128, 2)));
        sharedImageOfAlice();
        h.ok(h.addMember(ALICE, id, "bob"));
        h.ok(h.addMember(ALICE, id, "carol"));
        h.rejected(Code.OVER_LIMIT, h.addMember(ALICE, id, "dave"));
        h.ok(h.removeMember(ALICE, id, "bob"));
        h.ok(h.addMember(ALICE, id, "dave"));
    }

    @Test
    void negativeMemberQuotaIsUnlimited() {
        h.ok(new Command.SetClusterSettings(new ClusterSettings(512, 128, 128, -1)));
        sharedImageOfAlice();
        for (int i = 0; i < 200; i++) h.ok(h.addMember(ALICE, id, "p" + i));
        assertEquals(200, h.members(id).size());
    }

    @Test
    void whoMayAdd() {
        sharedImageOfAlice();
        h.rejected(Code.NOT_FOUND, h.addMember(BOB, id, "bob"), "a stranger can not see a shared image");
        h.ok(h.addMember(ALICE, id, "bob"));
        h.rejected(Code.FORBIDDEN, h.addMember(BOB, id, "carol"), "a member sees the image but may not share it");
        h.rejected(Code.NOT_FOUND, h.addMember(ALICE, uuid(2), "bob"));
        String community = uuid(3);
        h.queued(ALICE, community, Visibility.COMMUNITY);
        h.rejected(Code.FORBIDDEN, h.addMember(BOB, community, "carol"));
    }

    @Test
    void theMemberSetsItsOwnStatus() {
        sharedImageOfAlice();
        h.ok(h.addMember(ALICE, id, "bob"));
        for (MemberStatus s : List.of(MemberStatus.ACCEPTED, MemberStatus.REJECTED, MemberStatus.PENDING,
                MemberStatus.ACCEPTED)) {
            Command.UpdateMember c = h.updateMember(BOB, id, "bob", s);
            Member m = h.ok(c).value(Member.class);
            assertEquals(s, m.status());
            assertEquals(c.nowMillis(), m.updatedAtMillis());
            assertEquals(List.of(m), h.members(id));
            assertEquals(List.of(m), Records.sharedWith(h.store, "bob"));
        }
        RegistryMachine.Applied same = h.entryApplied(List.of(h.updateMember(BOB, id, "bob", MemberStatus.ACCEPTED)));
        assertTrue(same.results().get(0).isOk());
        assertEquals(List.of(), same.mutations(), "setting the current status changes nothing");
    }

    @Test
    void adminMaySetAnyMembersStatusButTheOwnerMayNot() {
        sharedImageOfAlice();
        h.ok(h.addMember(ALICE, id, "bob"));
        h.rejected(Code.FORBIDDEN, h.updateMember(ALICE, id, "bob", MemberStatus.ACCEPTED));
        assertEquals(MemberStatus.ACCEPTED,
                h.ok(h.updateMember(ADMIN, id, "bob", MemberStatus.ACCEPTED)).value(Member.class).status());
    }

    @Test
    void strangersAndOtherMembersSeeNoMember() {
        sharedImageOfAlice();
        h.ok(h.addMember(ALICE, id, "bob"));
        h.rejected(Code.NOT_FOUND, h.updateMember(CAROL, id, "bob", MemberStatus.ACCEPTED));
        h.rejected(Code.NOT_FOUND, h.updateMember(CAROL, id, "carol", MemberStatus.ACCEPTED));
        h.ok(h.addMember(ALICE, id, "carol"));
        h.rejected(Code.NOT_FOUND, h.updateMember(CAROL, id, "bob", MemberStatus.REJECTED));
        h.rejected(Code.NOT_FOUND, h.updateMember(ALICE, id, "dave", MemberStatus.ACCEPTED));
        h.rejected(Code.NOT_FOUND, h.updateMember(ADMIN, id, "dave", MemberStatus.ACCEPTED));
        h.rejected(Code.NOT_FOUND, h.updateMember(ADMIN, id, null, MemberStatus.ACCEPTED));
    }

    @Test
    void statusIsRequired() {
        sharedImageOfAlice();
        h.ok(h.addMember(ALICE, id, "bob"));
        h.rejected(Code.INVALID, h.updateMember(BOB, id, "bob", null));
    }

    @Test
    void ownerOrAdminRemovesAMemberNotTheMemberItself() {
        sharedImageOfAlice();
        h.ok(h.addMember(ALICE, id, "bob"));
        h.ok(h.addMember(ALICE, id, "carol"));
        h.rejected(Code.FORBIDDEN, h.removeMember(BOB, id, "bob"));
        h.rejected(Code.FORBIDDEN, h.removeMember(BOB, id, "carol"));
        h.ok(h.removeMember(ALICE, id, "bob"));
        h.ok(h.removeMember(ADMIN, id, "carol"));
        assertEquals(List.of(), h.members(id));
        assertEquals(List.of(), Records.sharedWith(h.store, "bob"));
        h.rejected(Code.NOT_FOUND, h.removeMember(ALICE, id, "bob"));
        h.rejected(Code.NOT_FOUND, h.removeMember(ALICE, id, null));
        h.rejected(Code.NOT_FOUND, h.removeMember(BOB, id, "bob"), "no longer a member: image invisible");
    }

    @Test
    void aRemovedMemberCanBeAddedAfreshAsPending() {
        sharedImageOfAlice();
        h.ok(h.addMember(ALICE, id, "bob"));
        h.ok(h.updateMember(BOB, id, "bob", MemberStatus.ACCEPTED));
        h.ok(h.removeMember(ALICE, id, "bob"));
        Command.AddMember again = h.addMember(ALICE, id, "bob");
        Member m = h.ok(again).value(Member.class);
        assertEquals(MemberStatus.PENDING, m.status());
        assertEquals(again.nowMillis(), m.createdAtMillis());
    }

    @Test
    void leavingSharedKeepsTheRecordsWhichGrantNothingUntilSharedAgain() {
        sharedImageOfAlice();
        h.ok(h.addMember(ALICE, id, "bob"));
        h.ok(h.updateMember(BOB, id, "bob", MemberStatus.ACCEPTED));
        h.ok(h.patch(ALICE, id, replace("visibility", str("private"))));
        assertEquals(1, h.members(id).size(), "records kept");
        h.rejected(Code.NOT_FOUND, h.updateMember(BOB, id, "bob", MemberStatus.REJECTED));
        h.rejected(Code.FORBIDDEN, h.removeMember(ALICE, id, "bob"));
        h.ok(h.patch(ALICE, id, replace("visibility", str("shared"))));
        assertEquals(MemberStatus.REJECTED,
                h.ok(h.updateMember(BOB, id, "bob", MemberStatus.REJECTED)).value(Member.class).status());
        h.rejected(Code.FORBIDDEN, h.patch(BOB, id, replace("name", str("x"))), "a member sees it, may not edit");
    }

    @Test
    void memberOfAnotherImageGainsNothingHere() {
        sharedImageOfAlice();
        String other = uuid(2);
        h.queued(ALICE, other, Visibility.SHARED);
        h.ok(h.addMember(ALICE, other, "bob"));
        h.rejected(Code.NOT_FOUND, h.updateMember(BOB, id, "bob", MemberStatus.ACCEPTED));
        Identity bobAdmin = new Identity("bob", "u", List.of("admin"));
        h.rejected(Code.NOT_FOUND, h.updateMember(bobAdmin, id, "bob", MemberStatus.ACCEPTED),
                "even an admin can not update a member that does not exist");
    }
}
