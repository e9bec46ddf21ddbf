package io.glint.registry.rocks;

import static io.glint.registry.rocks.RocksVersusMemoryProperties.entries;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.glint.registry.store.Bytes;
import io.glint.registry.store.Cursor;
import io.glint.registry.store.Mutation;
import io.glint.registry.store.ReadView;
import io.glint.registry.store.RegistryStore.AppliedIndex;
import io.glint.registry.store.StateDigest;
import io.glint.registry.store.Table;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

/** The RocksDB store's own contract: persistence, ordering checks, checkpoints, isolation, lifecycle. */
class RocksRegistryStoreTest {
    @TempDir
    Path tmp;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Mutation put(Table t, String key, String value) {
        return new Mutation(t, b(key), b(value));
    }

    private static Mutation delete(Table t, String key) {
        return new Mutation(t, b(key), null);
    }

    /** Commits {@code count} entries after the current applied index, each touching a few tables. */
    private static void commitSome(RocksRegistryStore store, String tag, int count) {
        long start = store.applied().index();
        for (int i = 1; i <= count; i++) {
            long index = start + i;
            store.commit(List.of(
                    put(Table.IMAGES, tag + "-img-" + index, "image " + index),
                    put(Table.IDX_SORT, tag + "-sort-" + (index % 3), "v" + index),
                    delete(Table.IMAGES, tag + "-img-" + (index - 2))), 2, index);
        }
    }

    @Test
    void scansRespectBoundsInBothDirections() {
        try (RocksRegistryStore store = RocksRegistryStore.open(tmp.resolve("db"))) {
            List<Mutation> ms = new ArrayList<>();
            for (String k : List.of("a", "b", "c", "d", "e")) ms.add(put(Table.TASKS, k, k.toUpperCase()));
            ms.add(put(Table.NODES, "c", "other table"));
            store.commit(ms, 1, 1);
            assertEquals(List.of(hex("b", "B"), hex("c", "C"), hex("d", "D")), entries(store, Table.TASKS, b("b"), b("e"), false));
            assertEquals(List.of(hex("d", "D"), hex("c", "C"), hex("b", "B")), entries(store, Table.TASKS, b("b"), b("e"), true));
            assertEquals(List.of(hex("e", "E"), hex("d", "D")), entries(store, Table.TASKS, b("d"), null, true));
            assertEquals(List.of(hex("b", "B"), hex("a", "A")), entries(store, Table.TASKS, null, b("c"), true));
            assertEquals(List.of(), entries(store, Table.TASKS, b("d"), b("b"), false));
            assertEquals(List.of(), entries(store, Table.TASKS, b("c"), b("c"), true));
            assertEquals(List.of(hex("c", "other table")), entries(store, Table.NODES, null, null, false));
        }
    }

    private static String hex(String key, String value) {
        return Bytes.hex(b(key)) + "=" + Bytes.hex(b(value));
    }

    @Test
    void reopenKeepsAppliedIndexAndState() {
        Path dir = tmp.resolve("db");
        String digest;
        try (RocksRegistryStore store = RocksRegistryStore.open(dir)) {
            assertEquals(AppliedIndex.NONE, store.applied());
            commitSome(store, "x", 7);
            assertEquals(new AppliedIndex(2, 7), store.applied());
            digest = StateDigest.hex(store);
        }
        try (RocksRegistryStore store = RocksRegistryStore.open(dir)) {
            assertEquals(new AppliedIndex(2, 7), store.applied());
            assertEquals(digest, StateDigest.hex(store));
            assertArrayEquals(b("image 7"), store.get(Table.IMAGES, b("x-img-7")));
            assertNull(store.get(Table.IMAGES, b("x-img-5")));
        }
    }

    @Test
    void commitRefusesAnIndexNotAboveTheAppliedOneAndWritesNothing() {
        try (RocksRegistryStore store = RocksRegistryStore.open(tmp.resolve("db"))) {
            store.commit(List.of(), 0, 0); // (0, 0) over a fresh store is the one allowed repeat
            store.commit(List.of(put(Table.NODES, "n1", "a")), 1, 5);
            String digest = StateDigest.hex(store);
            List<Mutation> change = List.of(put(Table.NODES, "n1", "changed"));
            assertThrows(IllegalStateException.class, () -> store.commit(change, 1, 5));
            assertThrows(IllegalStateException.class, () -> store.commit(change, 1, 4));
            assertThrows(IllegalStateException.class, () -> store.commit(change, 1, 0));
            assertThrows(IllegalStateException.class, () -> store.commit(change, 0, 6), "term went backwards");
            assertEquals(new AppliedIndex(1, 5), store.applied());
            assertEquals(digest, StateDigest.hex(store));
            store.commit(change, 1, 6);
            assertArrayEquals(b("changed"), store.get(Table.NODES, b("n1")));
        }
    }

    @Test
    void checkpointOpensAsAStoreWithTheSameState() {
        Path cp = tmp.resolve("checkpoints/cp-1");
        String digest;
        try (RocksRegistryStore store = RocksRegistryStore.open(tmp.resolve("db"))) {
            commitSome(store, "c", 5);
            digest = StateDigest.hex(store);
            assertEquals(new AppliedIndex(2, 5), store.checkpoint(cp));
            commitSome(store, "after", 2);
            assertNotEquals(digest, StateDigest.hex(store));
            assertThrows(IllegalArgumentException.class, () -> store.checkpoint(cp), "target exists");
        }
        try (RocksRegistryStore readOnly = RocksRegistryStore.openReadOnly(cp)) {
            assertEquals(new AppliedIndex(2, 5), readOnly.applied());
            assertEquals(digest, StateDigest.hex(readOnly));
            assertThrows(IllegalStateException.class, () -> readOnly.commit(List.of(), 2, 6));
            assertThrows(IllegalStateException.class, () -> readOnly.rawPut(Table.NODES, b("k"), b("v")));
        }
        try (RocksRegistryStore opened = RocksRegistryStore.open(cp)) {
            assertEquals(new AppliedIndex(2, 5), opened.applied());
            assertEquals(digest, StateDigest.hex(opened));
        }
    }

    @Test
    void installCheckpointReplacesAClosedStore() {
        Path cp = tmp.resolve("cp");
        Path db = tmp.resolve("follower/db");
        String leaderDigest;
        try (RocksRegistryStore leader = RocksRegistryStore.open(tmp.resolve("leader"))) {
            commitSome(leader, "leader", 9);
            leaderDigest = StateDigest.hex(leader);
            leader.checkpoint(cp);
        }
        try (RocksRegistryStore follower = RocksRegistryStore.open(db)) {
            commitSome(follower, "stale", 3);
            assertThrows(IllegalStateException.class, () -> RocksRegistryStore.installCheckpoint(cp, db), "store still open");
        }
        assertEquals(new AppliedIndex(2, 9), RocksRegistryStore.installCheckpoint(cp, db));
        assertFalse(Files.exists(cp), "the checkpoint directory is consumed");
        assertFalse(Files.exists(StoreDirs.retired(db)));
        assertFalse(Files.exists(StoreDirs.staging(db)));
        try (RocksRegistryStore follower = RocksRegistryStore.open(db)) {
            assertEquals(new AppliedIndex(2, 9), follower.applied());
            assertEquals(leaderDigest, StateDigest.hex(follower));
            assertNull(follower.get(Table.IMAGES, b("stale-img-3")));
            commitSome(follower, "more", 1);
            assertEquals(10, follower.applied().index());
        }
    }

    @Test
    void installCheckpointRefusesADirectoryThatIsNotAStore() throws Exception {
        Path db = tmp.resolve("db");
        String digest;
        try (RocksRegistryStore store = RocksRegistryStore.open(db)) {
            commitSome(store, "keep", 2);
            digest = StateDigest.hex(store);
        }
        Path junk = Files.createDirectories(tmp.resolve("junk"));
        Files.writeString(junk.resolve("CURRENT"), "garbage\n");
        assertThrows(RocksStoreException.class, () -> RocksRegistryStore.installCheckpoint(junk, db));
        try (RocksRegistryStore store = RocksRegistryStore.open(db)) {
            assertEquals(digest, StateDigest.hex(store));
        }
    }

    @Test
    void openCompletesAnInstallInterruptedBetweenTheRenames() throws Exception {
        Path db = tmp.resolve("db");
        String checkpointDigest = storeWithCheckpoint(db, tmp.resolve("cp"));
        // the crash: the old store was moved aside, the staged checkpoint not yet moved in
        Files.move(tmp.resolve("cp"), StoreDirs.staging(db), StandardCopyOption.ATOMIC_MOVE);
        Files.move(db, StoreDirs.retired(db), StandardCopyOption.ATOMIC_MOVE);
        try (RocksRegistryStore store = RocksRegistryStore.open(db)) {
            assertEquals(checkpointDigest, StateDigest.hex(store));
        }
        assertFalse(Files.exists(StoreDirs.staging(db)));
        assertFalse(Files.exists(StoreDirs.retired(db)));
    }

    @Test
    void openDiscardsAnInstallInterruptedBeforeTheRenames() throws Exception {
        Path db = tmp.resolve("db");
        storeWithCheckpoint(db, tmp.resolve("cp"));
        String oldDigest;
        try (RocksRegistryStore store = RocksRegistryStore.openReadOnly(db)) {
            oldDigest = StateDigest.hex(store);
        }
        Files.move(tmp.resolve("cp"), StoreDirs.staging(db), StandardCopyOption.ATOMIC_MOVE);
        try (RocksRegistryStore store = RocksRegistryStore.open(db)) {
            assertEquals(oldDigest, StateDigest.hex(store));
        }
        assertFalse(Files.exists(StoreDirs.staging(db)));
    }

    /** A store at {@code db} that has moved on past a checkpoint at {@code cp}; returns the checkpoint's digest. */
    private static String storeWithCheckpoint(Path db, Path cp) {
        try (RocksRegistryStore store = RocksRegistryStore.open(db)) {
            commitSome(store, "cp", 4);
            String digest = StateDigest.hex(store);
            store.checkpoint(cp);
            commitSome(store, "later", 3);
            assertNotEquals(digest, StateDigest.hex(store));
            return digest;
        }
    }

    @Test
    void readViewAndCursorDoNotSeeLaterCommits() {
        try (RocksRegistryStore store = RocksRegistryStore.open(tmp.resolve("db"))) {
            store.commit(List.of(put(Table.MEMBERS, "m1", "one"), put(Table.MEMBERS, "m2", "two")), 1, 1);
            try (ReadView view = store.openReadView();
                    Cursor cursor = store.scan(Table.MEMBERS, null, null, false)) {
                String viewDigest = StateDigest.hex(view);
                store.commit(List.of(delete(Table.MEMBERS, "m1"), put(Table.MEMBERS, "m3", "three")), 1, 2);
                assertEquals(1, view.appliedIndex());
                assertArrayEquals(b("one"), view.get(Table.MEMBERS, b("m1")));
                assertNull(view.get(Table.MEMBERS, b("m3")));
                assertEquals(List.of(hex("m1", "one"), hex("m2", "two")), entries(view, Table.MEMBERS, null, null, false));
                assertEquals(viewDigest, StateDigest.hex(view));
                List<String> seen = new ArrayList<>();
                while (cursor.next()) seen.add(Bytes.hex(cursor.key()) + "=" + Bytes.hex(cursor.value()));
                assertEquals(List.of(hex("m1", "one"), hex("m2", "two")), seen);
            }
            try (ReadView later = store.openReadView()) {
                assertEquals(2, later.appliedIndex());
                assertEquals(List.of(hex("m2", "two"), hex("m3", "three")), entries(later, Table.MEMBERS, null, null, false));
            }
            assertEquals(List.of(hex("m2", "two"), hex("m3", "three")), entries(store, Table.MEMBERS, null, null, false));
        }
    }

    /**
     * A reader racing the apply thread sees whole entries only: entry i writes {@code row-i} and
     * sets {@code counter = i}, so in any view the counter, the applied index and the row count agree.
     */
    @Test
    void readersRacingCommitsSeeWholeEntries() throws Exception {
        int entries = 300;
        try (RocksRegistryStore store = RocksRegistryStore.open(tmp.resolve("db"))) {
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<Integer> reader = pool.submit(() -> {
                    int views = 0;
                    long seen = 0;
                    while (seen < entries && views < 100_000) {
                        views++;
                        try (ReadView view = store.openReadView()) {
                            seen = view.appliedIndex();
                            byte[] counter = view.get(Table.CHUNKREFS, b("counter"));
                            assertEquals(seen, counter == null ? 0 : Long.parseLong(new String(counter, StandardCharsets.UTF_8)));
                            assertEquals(seen, entries(view, Table.CHUNKREFS, b("row-"), b("row."), false).size());
                        }
                        long rows = entries(store, Table.CHUNKREFS, b("row-"), b("row."), true).size();
                        assertTrue(rows >= seen, "a later cursor sees at least what an earlier view saw");
                    }
                    return views;
                });
                for (int i = 1; i <= entries; i++) {
                    store.commit(List.of(
                            put(Table.CHUNKREFS, String.format("row-%05d", i), "r"),
                            put(Table.CHUNKREFS, "counter", Long.toString(i))), 1, i);
                }
                assertTrue(reader.get(60, TimeUnit.SECONDS) > 0);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void closingTheStoreReleasesWhatIsStillOpen() {
        RocksRegistryStore store = RocksRegistryStore.open(tmp.resolve("db"));
        store.commit(List.of(put(Table.AUDITS, "a", "1"), put(Table.AUDITS, "b", "2")), 1, 1);
        ReadView view = store.openReadView();
        Cursor viewCursor = view.scan(Table.AUDITS, null, null, false);
        Cursor cursor = store.scan(Table.AUDITS, null, null, true);
        assertTrue(cursor.next());
        assertTrue(viewCursor.next());
        store.close();
        assertThrows(IllegalStateException.class, cursor::next);
        assertThrows(IllegalStateException.class, viewCursor::next);
        assertThrows(IllegalStateException.class, () -> view.get(Table.AUDITS, b("a")));
        assertThrows(IllegalStateException.class, () -> store.get(Table.AUDITS, b("a")));
        assertThrows(IllegalStateException.class, () -> store.commit(List.of(), 1, 2));
        cursor.close();
        viewCursor.close();
        view.close();
        store.close();
        try (RocksRegistryStore reopened = RocksRegistryStore.open(tmp.resolve("db"))) {
            assertEquals(new AppliedIndex(1, 1), reopened.applied());
        }
    }

    @Test
    void closingAReadViewClosesItsCursors() {
        try (RocksRegistryStore store = RocksRegistryStore.open(tmp.resolve("db"))) {
            store.commit(List.of(put(Table.UPLOADS, "u", "1")), 1, 1);
            ReadView view = store.openReadView();
            Cursor cursor = view.scan(Table.UPLOADS, null, null, false);
            view.close();
            assertThrows(IllegalStateException.class, cursor::next);
            assertThrows(IllegalStateException.class, () -> view.scan(Table.UPLOADS, null, null, false));
            cursor.close();
            assertArrayEquals(b("1"), store.get(Table.UPLOADS, b("u")));
        }
    }

    @Test
    void aDirectoryIsOpenReadWriteOnlyOnce() {
        try (RocksRegistryStore store = RocksRegistryStore.open(tmp.resolve("db"))) {
            assertThrows(IllegalStateException.class, () -> RocksRegistryStore.open(tmp.resolve("db")));
            store.commit(List.of(), 1, 1);
        }
        RocksRegistryStore.open(tmp.resolve("db")).close();
    }

    @Test
    void rawPutChangesStateButNotTheAppliedIndex() {
        try (RocksRegistryStore store = RocksRegistryStore.open(tmp.resolve("db"))) {
            commitSome(store, "t", 3);
            String digest = StateDigest.hex(store);
            store.rawPut(Table.IMAGES, b("t-img-3"), b("tampered"));
            assertEquals(new AppliedIndex(2, 3), store.applied());
            assertNotEquals(digest, StateDigest.hex(store));
            store.rawPut(Table.IMAGES, b("t-img-3"), b("image 3"));
            assertEquals(digest, StateDigest.hex(store));
            store.rawPut(Table.IMAGES, b("t-img-3"), null);
            assertNull(store.get(Table.IMAGES, b("t-img-3")));
        }
    }

    @Test
    void refusesADatabaseWithAnUnknownColumnFamily() throws Exception {
        Path dir = tmp.resolve("foreign");
        RocksDB.loadLibrary();
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY),
                new ColumnFamilyDescriptor(b("not_a_table")));
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)) {
            RocksDB db = RocksDB.open(options, dir.toString(), descriptors, handles);
            handles.forEach(ColumnFamilyHandle::close);
            db.close();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RocksRegistryStore.open(dir));
        assertTrue(e.getMessage().contains("not_a_table"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> RocksRegistryStore.openReadOnly(dir));
    }
    /**
     * A store written before a table existed (here: without AUDIT_REPORTS, as every store before
     * audit reports) opens read-only, as a checkpoint to install is, with the missing table empty
     * and the same digest as the store reopened read-write, which adds the family.
     */
    @Test
    void aStoreFromBeforeATableExistedOpensReadOnlyWithThatTableEmpty() throws Exception {
        Path dir = tmp.resolve("older");
        RocksDB.loadLibrary();
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY));
        for (Table t : Table.values()) {
            if (t != Table.AUDIT_REPORTS) descriptors.add(new ColumnFamilyDescriptor(b(t.cfName())));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)) {
            RocksDB db = RocksDB.open(options, dir.toString(), descriptors, handles);
            db.put(handles.get(1 + Table.META.ordinal()), b("applied"),
                    io.glint.registry.store.MetaKeys.encodeApplied(3, 7));
            db.put(handles.get(1 + Table.IMAGES.ordinal()), b("img"), b("v"));
            handles.forEach(ColumnFamilyHandle::close);
            db.close();
        }
        String digest;
        try (RocksRegistryStore old = RocksRegistryStore.openReadOnly(dir)) {
            assertEquals(new AppliedIndex(3, 7), old.applied());
            assertNull(old.get(Table.AUDIT_REPORTS, b("x")));
            try (Cursor c = old.scan(Table.AUDIT_REPORTS, null, null, false)) {
                assertFalse(c.next());
            }
            try (ReadView v = old.openReadView()) {
                assertNull(v.get(Table.AUDIT_REPORTS, b("x")));
                try (Cursor c = v.scan(Table.AUDIT_REPORTS, null, null, true)) {
                    assertFalse(c.next());
                }
                assertArrayEquals(b("v"), v.get(Table.IMAGES, b("img")));
            }
            digest = StateDigest.hex(old);
        }
        try (RocksRegistryStore upgraded = RocksRegistryStore.open(dir)) {
            assertEquals(digest, StateDigest.hex(upgraded));
            upgraded.commit(List.of(put(Table.AUDIT_REPORTS, "a", "r")), 3, 8);
            assertArrayEquals(b("r"), upgraded.get(Table.AUDIT_REPORTS, b("a")));
        }
    }
}
