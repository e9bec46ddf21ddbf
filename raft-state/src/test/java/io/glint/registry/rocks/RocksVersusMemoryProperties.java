package io.glint.registry.rocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.glint.registry.store.Bytes;
import io.glint.registry.store.Cursor;
import io.glint.registry.store.InMemoryStore;
import io.glint.registry.store.KeyValueView;
import io.glint.registry.store.Mutation;
import io.glint.registry.store.ReadView;
import io.glint.registry.store.StateDigest;
import io.glint.registry.store.Table;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The RocksDB store checked against its naive twin, {@link InMemoryStore}: the same random batches
 * of puts and deletes go to both, and after every commit the state digests, random gets and random
 * bounded scans (both directions, bounds that straddle 0x00/0x7F/0x80/0xFF so unsigned ordering
 * matters) must agree exactly. Keys come from a tiny alphabet so that overwrites, deletes of
 * present keys and empty ranges are common.
 */
class RocksVersusMemoryProperties {
    private static final byte[] ALPHABET = {0x00, 0x01, 0x7F, (byte) 0x80, (byte) 0xFF};
    private static final int KEY_LENGTH_MAX = 3;
    private static final int PROBES_PER_COMMIT = 12;

    @Property(tries = 100)
    void rocksAgreesWithTheInMemoryTwin(
            @ForAll("batches") List<List<Mutation>> batches, @ForAll long probeSeed) throws IOException {
        Path dir = Files.createTempDirectory("rocks-vs-mem");
        Random probes = new Random(probeSeed);
        try (RocksRegistryStore rocks = RocksRegistryStore.open(dir.resolve("db"));
                InMemoryStore twin = new InMemoryStore()) {
            long index = 0;
            for (List<Mutation> batch : batches) {
                index++;
                long term = 1 + index / 4;
                rocks.commit(batch, term, index);
                twin.commit(batch, term, index);
                assertEquals(twin.applied(), rocks.applied());
                assertEquals(StateDigest.hex(twin), StateDigest.hex(rocks), "digest after index " + index);
                try (ReadView view = rocks.openReadView()) {
                    assertEquals(index, view.appliedIndex());
                    assertEquals(StateDigest.hex(twin), StateDigest.hex(view), "read view digest after index " + index);
                    for (int i = 0; i < PROBES_PER_COMMIT; i++) probe(probes, twin, rocks, view);
                }
            }
        } finally {
            StoreDirs.deleteTree(dir);
        }
    }

    private static void probe(Random random, KeyValueView twin, KeyValueView rocks, KeyValueView view) {
        Table table = Table.values()[random.nextInt(Table.values().length)];
        byte[] key = randomKey(random);
        assertArrayEquals(twin.get(table, key), rocks.get(table, key), () -> "get " + table + " " + Bytes.hex(key));
        assertArrayEquals(twin.get(table, key), view.get(table, key), () -> "view get " + table + " " + Bytes.hex(key));
        byte[] from = random.nextInt(4) == 0 ? null : randomKey(random);
        byte[] to = random.nextInt(4) == 0 ? null : randomKey(random);
        boolean descending = random.nextBoolean();
        List<String> expected = entries(twin, table, from, to, descending);
        String what = table + " [" + (from == null ? "-" : Bytes.hex(from)) + ", " + (to == null ? "-" : Bytes.hex(to))
                + ") " + (descending ? "desc" : "asc");
        assertEquals(expected, entries(rocks, table, from, to, descending), "scan " + what);
        assertEquals(expected, entries(view, table, from, to, descending), "view scan " + what);
    }

    static List<String> entries(KeyValueView view, Table table, byte[] from, byte[] to, boolean descending) {
        List<String> out = new ArrayList<>();
        try (Cursor c = view.scan(table, from, to, descending)) {
            while (c.next()) out.add(Bytes.hex(c.key()) + "=" + Bytes.hex(c.value()));
        }
        return out;
    }

    private static byte[] randomKey(Random random) {
        byte[] key = new byte[random.nextInt(KEY_LENGTH_MAX + 1)];
        for (int i = 0; i < key.length; i++) key[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        return key;
    }

    @Provide
    Arbitrary<List<List<Mutation>>> batches() {
        Arbitrary<Table> tables = Arbitraries.of(Table.class);
        Arbitrary<byte[]> keys = Arbitraries.of(ALPHABET[0], ALPHABET[1], ALPHABET[2], ALPHABET[3], ALPHABET[4])
                .list().ofMinSize(0).ofMaxSize(KEY_LENGTH_MAX)
                .map(RocksVersusMemoryProperties::toBytes);
        Arbitrary<byte[]> values = Arbitraries.bytes().list().ofMaxSize(6).map(RocksVersusMemoryProperties::toBytes)
                .injectNull(0.3);
        Arbitrary<Mutation> mutations = Combinators.combine(tables, keys, values).as(Mutation::new);
        return mutations.list().ofMaxSize(12).list().ofMinSize(1).ofMaxSize(10);
    }

    private static byte[] toBytes(List<Byte> list) {
        byte[] b = new byte[list.size()];
        for (int i = 0; i < b.length; i++) b[i] = list.get(i);
        return b;
    }
}
