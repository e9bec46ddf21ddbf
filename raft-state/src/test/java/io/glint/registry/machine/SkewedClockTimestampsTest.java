package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.Image;
import io.glint.registry.model.Member;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.Task;
import io.glint.registry.model.TaskStatus;
import io.glint.registry.model.Visibility;
import io.glint.registry.store.Records;
import org.junit.jupiter.api.Test;

import static io.glint.registry.machine.MachineHarness.ALICE;
import static io.glint.registry.machine.MachineHarness.BOB;
import static io.glint.registry.machine.MachineHarness.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fault matrix #18: a command carries the clock of the node that proposed it, and one node's clock
 * may run minutes behind another's. The {@code updated_at} of an image, a member or a task never goes
 * back, and never falls before its {@code created_at}; what a command answers is what every member
 * of the Raft group stored.
 */
class SkewedClockTimestampsTest {
    private final MachineHarness h = new MachineHarness();
    private final String id = uuid(7);

    @Test
    void aChangeFromALaggingClockKeepsTheImagesTimesInOrder() {
        Image created = h.queued(ALICE, id);
        long lagging = created.createdAtMillis() - 300_000; // five minutes behind the node that created it
        Image tagged = h.ok(new Command.AddTag(ALICE, lagging, id, "a")).value(Image.class);
        assertEquals(created.createdAtMillis(), tagged.updatedAtMillis(), "not before created_at");
        assertEquals(created.createdAtMillis(), tagged.createdAtMillis());
        assertEquals(tagged, h.image(id), "the answer is what was stored");

        long later = created.createdAtMillis() + 60_000;
        Image retagged = h.ok(new Command.AddTag(ALICE, later, id, "b")).value(Image.class);
        assertEquals(later, retagged.updatedAtMillis(), "a clock that is ahead moves it on");
        Image untagged = h.ok(new Command.RemoveTag(ALICE, lagging, id, "a")).value(Image.class);
        assertEquals(later, untagged.updatedAtMillis(), "never back");
        assertEquals(untagged, h.image(id));
    }

    @Test
    void aMemberStatusChangeFromALaggingClockKeepsItsTimesInOrder() {
        h.queued(ALICE, id, Visibility.SHARED);
        long added = h.tick();
        Member m = h.ok(new Command.AddMember(ALICE, added, id, "bob")).value(Member.class);
        Member accepted = h.ok(new Command.UpdateMember(BOB, added - 300_000, id, "bob", MemberStatus.ACCEPTED))
                .value(Member.class);
        assertEquals(MemberStatus.ACCEPTED, accepted.status());
        assertEquals(m.createdAtMillis(), accepted.updatedAtMillis(), "not before created_at");
        long later = added + 60_000;
        Member rejected = h.ok(new Command.UpdateMember(BOB, later, id, "bob", MemberStatus.REJECTED)).value(Member.class);
        assertEquals(later, rejected.updatedAtMillis(), "a clock that is ahead moves it on");
        Member again = h.ok(new Command.UpdateMember(BOB, added - 300_000, id, "bob", MemberStatus.ACCEPTED))
                .value(Member.class);
        assertEquals(later, again.updatedAtMillis(), "never back");
        assertEquals(java.util.List.of(again), h.members(id), "the answer is what was stored");
    }

    @Test
    void aTaskUpdateFromALaggingClockKeepsItsTimesInOrder() {
        long created = h.tick();
        Task task = new Task("t1", "api_image_import", TaskStatus.PENDING, "alice", id, "req-1", "user-alice",
                "{}", null, null, 0L, 0L, null);
        Task stored = h.ok(new Command.CreateTask(created, task)).value(Task.class);
        Task processing = h.ok(new Command.UpdateTask(created - 300_000, "t1", TaskStatus.PROCESSING, null, null, null))
                .value(Task.class);
        assertEquals(stored.createdAtMillis(), processing.updatedAtMillis(), "not before created_at");
        long later = created + 60_000;
        Task running = h.ok(new Command.UpdateTask(later, "t1", TaskStatus.PROCESSING, "copying", null, null)).value(Task.class);
        assertEquals(later, running.updatedAtMillis(), "a clock that is ahead moves it on");
        Task done = h.ok(new Command.UpdateTask(created - 300_000, "t1", TaskStatus.SUCCESS, null, "{}", null)).value(Task.class);
        assertEquals(later, done.updatedAtMillis(), "never back");
        assertEquals(done, Records.task(h.store, "t1"), "the answer is what was stored");
    }
}
