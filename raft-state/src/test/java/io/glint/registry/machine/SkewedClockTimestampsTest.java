package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.Image;
import org.junit.jupiter.api.Test;

import static io.glint.registry.machine.MachineHarness.ALICE;
import static io.glint.registry.machine.MachineHarness.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fault matrix #18: a command carries the clock of the node that proposed it, and one node's clock
 * may run minutes behind another's. An image's {@code updated_at} never goes back, and never falls
 * before its {@code created_at}; what a command answers is what every member stored.
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
}
