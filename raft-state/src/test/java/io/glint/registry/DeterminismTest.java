package io.glint.registry;

import io.glint.registry.command.Codec;
import io.glint.registry.command.Command;
import io.glint.registry.machine.RandomCommands;
import io.glint.registry.machine.RegistryMachine;
import io.glint.registry.model.Result;
import io.glint.registry.rocks.RocksRegistryStore;
import io.glint.registry.store.Bytes;
import io.glint.registry.store.InMemoryStore;
import io.glint.registry.store.Mutation;
import io.glint.registry.store.RegistryStore;
import io.glint.registry.store.StateDigest;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry is a pure function of the log (DESIGN §3): replicas that apply the same entries
 * end byte-identical. A seeded log of every command type, rejected ones included, grouped into
 * entries of 1..50 commands, goes to three replicas: an in-memory store fed the commands as
 * generated, a second in-memory store and a RocksDB store both fed what the log codec decodes from
 * each entry's bytes (as a follower would see it; the RocksDB replica is also restarted halfway).
 * After every entry their results, their writes and their state digests must be identical.
 *
 * <p>Runs a fixed seed and a fresh one; the seed is in every failure message. Replay a seed with
 * {@code -Dglint.determinism.seed=<seed>}.
 */
class DeterminismTest {
    static final int COMMANDS = 3000;
    static final int COMMANDS_PER_ENTRY_MAX = 50;
    static final long FIXED_SEED = 20240611L;

    static LongStream seeds() {
        Long fixed = Long.getLong("glint.determinism.seed");
        if (fixed != null) return LongStream.of(fixed);
        return LongStream.of(FIXED_SEED, System.nanoTime());
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void replicasApplyingTheSameLogStayByteIdentical(long seed, @TempDir Path dir) {
        List<List<Command>> log = new RandomCommands(seed).log(COMMANDS, COMMANDS_PER_ENTRY_MAX);
        Set<Result.Code> codesSeen = EnumSet.noneOf(Result.Code.class);
        Path rocksDir = dir.resolve("registry");
        InMemoryStore first = new InMemoryStore();
        InMemoryStore second = new InMemoryStore();
        RocksRegistryStore rocks = RocksRegistryStore.open(rocksDir);
        try {
            long index = 0;
            for (List<Command> entry : log) {
                index++;
                String where = "seed " + seed + " (replay with -Dglint.determinism.seed=" + seed + "), entry " + index;
                byte[] logBytes = Codec.encodeBatch(entry);
                List<Command> decoded = Codec.decodeBatch(logBytes);
                assertEquals(entry, decoded, where + ": the log codec changed the entry");

                RegistryMachine.Applied a = apply(first, index, entry);
                RegistryMachine.Applied b = apply(second, index, decoded);
                RegistryMachine.Applied c = apply(rocks, index, decoded);

                byte[] results = Codec.encodeResults(a.results());
                assertArrayEquals(results, Codec.encodeResults(b.results()), where + ": results differ");
                assertArrayEquals(results, Codec.encodeResults(c.results()), where + ": results differ (rocks)");
                assertEquals(entry.size(), a.results().size(), where);
                assertEquals(render(a.mutations()), render(b.mutations()), where + ": writes differ");
                assertEquals(render(a.mutations()), render(c.mutations()), where + ": writes differ (rocks)");
                for (Result r : a.results()) codesSeen.add(r.code());

                String digest = StateDigest.hex(first);
                assertEquals(digest, StateDigest.hex(second), where + ": in-memory twins diverged");
                assertEquals(digest, StateDigest.hex(rocks), where + ": RocksDB diverged from its in-memory twin");

                if (index == log.size() / 2) {
                    rocks.close();
                    rocks = RocksRegistryStore.open(rocksDir);
                    assertEquals(new RegistryStore.AppliedIndex(1, index), rocks.applied(), where + ": after restart");
                    assertEquals(digest, StateDigest.hex(rocks), where + ": RocksDB state changed across a restart");
                }
            }
            assertTrue(log.size() >= COMMANDS / COMMANDS_PER_ENTRY_MAX, "entries: " + log.size());
            if (seed == FIXED_SEED) {
                // a check on the generator, made on the fixed seed only so that it can not flake
                assertEquals(EnumSet.allOf(Result.Code.class), codesSeen,
                        "seed " + seed + ": the log must exercise every outcome, rejections included");
            }
            assertTrue(codesSeen.size() >= 5, "seed " + seed + ": outcomes " + codesSeen);
        } finally {
            rocks.close();
        }
    }

    private static RegistryMachine.Applied apply(RegistryStore store, long index, List<Command> entry) {
        RegistryMachine.Applied applied = RegistryMachine.applyEntry(store, index, entry);
        store.commit(applied.mutations(), 1, index);
        return applied;
    }

    private static List<String> render(List<Mutation> ms) {
        return ms.stream().map(m -> m.table() + " " + Bytes.hex(m.key()) + " "
                + (m.value() == null ? "delete" : Bytes.hex(m.value()))).toList();
    }
}
