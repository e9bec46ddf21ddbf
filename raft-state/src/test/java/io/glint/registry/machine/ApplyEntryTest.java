package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Result;
import io.glint.registry.model.Result.Code;
import io.glint.registry.model.UploadKind;
import io.glint.registry.store.Bytes;
import io.glint.registry.store.InMemoryStore;
import io.glint.registry.store.Mutation;
import io.glint.registry.store.StateDigest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.glint.registry.machine.MachineHarness.ALICE;
import static io.glint.registry.machine.MachineHarness.BOB;
import static io.glint.registry.machine.MachineHarness.manifest;
import static io.glint.registry.machine.MachineHarness.replace;
import static io.glint.registry.machine.MachineHarness.str;
import static io.glint.registry.machine.MachineHarness.uuid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One log entry holding several commands (group commit): order, isolation of rejections, output. */
class ApplyEntryTest {
    private final String id = uuid(1);

    private static Command.CreateImage create(String id, long t) {
        return new Command.CreateImage(ALICE, t, id, "n", io.glint.registry.model.Visibility.SHARED, false, false,
                "alice", 0, 0, "bare", "raw", List.of(), null);
    }

    @Test
    void laterCommandsSeeEarlierOnesOfTheSameEntry() {
        MachineHarness h = new MachineHarness();
        List<Result> rs = h.entry(create(id, 1),
                new Command.BeginUpload(ALICE, 2, id, UploadKind.UPLOAD, "l", "n", 100),
                new Command.CommitUpload(3, id, "l", manifest(id, 1), null, null),
                new Command.Deactivate(ALICE, 4, id));
        for (Result r : rs) assertTrue(r.isOk(), r.toString());
        assertEquals(ImageStatus.DEACTIVATED, h.status(id));
        assertEquals(1, h.refs(MachineHarness.chunkId(1)));
    }

    @Test
    void aRejectedCommandInsideAnEntryContributesNoWrite() {
        List<Command> withRejection = List.of(create(id, 1),
                new Command.PatchImage(ALICE, 2, id, List.of(replace("name", str("x")), replace("owner", str("bob")))),
                new Command.AddTag(BOB, 3, id, "t"),
                new Command.AddTag(ALICE, 4, id, "t"));
        List<Command> without = List.of(withRejection.get(0), withRejection.get(3));
        RegistryMachine.Applied a = RegistryMachine.applyEntry(new InMemoryStore(), 1, withRejection);
        RegistryMachine.Applied b = RegistryMachine.applyEntry(new InMemoryStore(), 1, without);
        assertEquals(List.of(Code.OK, Code.FORBIDDEN, Code.NOT_FOUND, Code.OK),
                a.results().stream().map(Result::code).toList());
        assertEquals(render(b.mutations()), render(a.mutations()));
        assertEquals("n", a.results().get(3).value(Image.class).name(), "the rejected rename left no trace");
    }

    @Test
    void applyingDoesNotTouchTheBaseAndWritesComeInTableThenKeyOrder() {
        InMemoryStore store = new InMemoryStore();
        String before = StateDigest.hex(store);
        List<Command> entry = new ArrayList<>();
        for (int i = 9; i >= 0; i--) entry.add(create(uuid(i), i));
        entry.add(new Command.MarkAudit(20, "audit", "x"));
        RegistryMachine.Applied a = RegistryMachine.applyEntry(store, 1, entry);
        assertEquals(before, StateDigest.hex(store), "apply only returns writes; the caller commits them");
        List<Mutation> ms = a.mutations();
        for (int i = 1; i < ms.size(); i++) {
            Mutation p = ms.get(i - 1);
            Mutation m = ms.get(i);
            int byTable = p.table().compareTo(m.table());
            assertTrue(byTable < 0 || (byTable == 0 && Bytes.ORDER.compare(p.key(), m.key()) < 0),
                    "writes sorted and distinct at " + i);
        }
    }

    @Test
    void anEmptyEntryWritesNothing() {
        RegistryMachine.Applied a = RegistryMachine.applyEntry(new InMemoryStore(), 1, List.of());
        assertEquals(List.of(), a.results());
        assertEquals(List.of(), a.mutations());
    }

    private static List<String> render(List<Mutation> ms) {
        return ms.stream().map(m -> m.table() + " " + Bytes.hex(m.key()) + " "
                + (m.value() == null ? "-" : Bytes.hex(m.value()))).toList();
    }
}
