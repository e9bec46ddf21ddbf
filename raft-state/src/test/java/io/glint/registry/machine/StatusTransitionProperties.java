package io.glint.registry.machine;

import io.glint.registry.command.Codec;
import io.glint.registry.command.Command;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Result;
import io.glint.registry.store.Bytes;
import io.glint.registry.store.InMemoryStore;
import io.glint.registry.store.KeyValueView;
import io.glint.registry.store.Mutation;
import io.glint.registry.store.Records;
import io.glint.registry.store.Table;
import io.glint.registry.store.Txn;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random command logs never move an image along a transition outside spec §3.2 and never break
 * the registry's cross-table invariants ({@link RegistryInvariants}), checked after every entry.
 * The statuses reached are collected too, so a generator that stopped reaching, say,
 * {@code pending_delete} would fail here rather than silently test less.
 */
class StatusTransitionProperties {

    @Property(tries = 30)
    void randomLogsStayInsideTheTransitionTable(@ForAll long seed) {
        MachineHarness h = new MachineHarness(new InMemoryStore());
        List<List<Command>> log = new RandomCommands(seed).log(600, 8);
        for (List<Command> entry : log) {
            String where = "seed " + seed + " index " + (h.index() + 1);
            // Command by command, as applyEntry does it, so a create followed by an upload in one
            // entry is checked as two steps.
            Txn all = new Txn(h.store);
            for (Command c : entry) {
                Txn one = new Txn(all);
                Result r = RegistryMachine.apply(one, h.index() + 1, c);
                assertNotNull(r.code());
                if (r.isOk()) {
                    assertNotNull(r.payload());
                    checkTouchedImages(all, one, where + " " + c);
                    one.mergeInto(all);
                } else {
                    assertTrue(r.payload() == null && !r.message().isEmpty(), "rejection " + r);
                }
            }
            RegistryMachine.Applied applied = h.entryApplied(entry);
            assertEquals(encode(all.mutations()), encode(applied.mutations()), where + ": applyEntry's writes");
            RegistryInvariants.check(h.store, where);
        }
    }

    /** Every image record {@code one} writes moved along the transition table (or kept its status). */
    private static void checkTouchedImages(KeyValueView before, Txn one, String where) {
        Map<String, ImageStatus> from = new HashMap<>();
        Map<String, ImageStatus> to = new HashMap<>();
        for (Mutation m : one.mutations()) {
            if (m.table() != Table.IMAGES) continue;
            String id = new String(m.key(), StandardCharsets.UTF_8);
            Image b = Records.image(before, id);
            if (b != null) from.put(id, b.status());
            assertNotNull(m.value(), where + ": an image record was deleted");
            to.put(id, Codec.decodeRecord(m.value(), Image.class).status());
        }
        RegistryInvariants.checkTransitions(from, to, where);
    }

    private static List<String> encode(List<Mutation> ms) {
        return ms.stream().map(m -> m.table() + ":" + Bytes.hex(m.key()) + "=" + (m.value() == null ? "-"
                : Bytes.hex(m.value()))).toList();
    }

    /** The generator is worth something only if it reaches every status commands can produce. */
    @Example
    void theGeneratorReachesEveryReachableStatus() {
        Set<ImageStatus> seen = EnumSet.noneOf(ImageStatus.class);
        for (long seed = 1; seed <= 5; seed++) {
            MachineHarness h = new MachineHarness(new InMemoryStore());
            for (List<Command> entry : new RandomCommands(seed).log(600, 8)) {
                h.entryApplied(entry);
                seen.addAll(RegistryInvariants.statuses(h.store).values());
            }
        }
        assertEquals(EnumSet.complementOf(EnumSet.of(ImageStatus.KILLED)), seen,
                "killed is not produced by v2 flows (spec §3.1); every other status must be reached");
    }
}
