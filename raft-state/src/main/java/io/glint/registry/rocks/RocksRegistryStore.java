package io.glint.registry.rocks;

import io.glint.registry.store.Bytes;
import io.glint.registry.store.Cursor;
import io.glint.registry.store.MetaKeys;
import io.glint.registry.store.Mutation;
import io.glint.registry.store.ReadView;
import io.glint.registry.store.RegistryStore;
import io.glint.registry.store.Table;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The registry's tables in RocksDB, one column family per {@link Table} (DESIGN §3). One applied
 * Raft entry is one {@link #commit}: a single {@code WriteBatch} holding the entry's mutations and
 * {@code META[applied] = (term, index)}, so the data and the applied index land together or not at
 * all.
 *
 * <p><b>Durability.</b> Writes go through the WAL with {@code sync=false}: each batch reaches the
 * OS before {@code commit} returns (so a process crash loses nothing), but is not fsynced (so a
 * machine crash may lose a tail of batches). That is safe because the Raft log, which Ratis
 * fsyncs, is the source of truth: on restart Ratis replays every entry after the applied index
 * stored here, and since that index is in the same atomic batch as the entry's writes, a lost
 * tail is lost whole and replayed, never half-applied. Checkpoints flush memtables first, and
 * {@link #close} syncs the WAL.
 *
 * <p><b>Memory bounds</b> (per store): block cache {@value #BLOCK_CACHE_BYTES} bytes, shared by all
 * column families and also holding index and filter blocks; memtables of all column families
 * together {@value #MEMTABLES_BYTES_MAX} bytes (each at most {@value #MEMTABLE_BYTES} bytes);
 * WAL {@value #WAL_BYTES_MAX} bytes before old column families are flushed; at most
 * {@value #OPEN_FILES_MAX} open table files. Compression is LZ4 on every level: values are small
 * CBOR records with repeated field names, LZ4 shrinks them well at little CPU on small machines.
 *
 * <p><b>Threads.</b> Commits are serialised (Ratis applies in order from one thread). Gets, scans
 * and read views may run on any thread concurrently with commits: a cursor sees the state when it
 * was opened, a read view the state at its snapshot. {@link #close} first releases every cursor
 * and read view still open (later use of them throws IllegalStateException), then the database;
 * a lifecycle lock keeps close from racing a native call. Do not close the store from a thread
 * that is in the middle of a cursor call.
 */
public final class RocksRegistryStore implements RegistryStore {
    static {
        RocksDB.loadLibrary();
    }

    public static final long BLOCK_CACHE_BYTES = 32L << 20;
    public static final long MEMTABLE_BYTES = 8L << 20;
    public static final long MEMTABLES_BYTES_MAX = 64L << 20;
    public static final long WAL_BYTES_MAX = 64L << 20;
    public static final int OPEN_FILES_MAX = 256;
    private static final int BACKGROUND_JOBS_MAX = 2;
    private static final int MEMTABLES_PER_FAMILY_MAX = 2;
    private static final long BLOCK_BYTES = 16L << 10;
    private static final double BLOOM_BITS_PER_KEY = 10;
    private static final long INFO_LOG_FILE_BYTES_MAX = 4L << 20;
    private static final long INFO_LOG_FILES_KEPT = 3;
    private static final String DEFAULT_FAMILY = "default";

    /** Directories open read-write in this JVM (or being installed over), by absolute path. */
    private static final Set<Path> OPEN_DIRS = ConcurrentHashMap.newKeySet();

    static final Cursor EMPTY_CURSOR = new Cursor() {
        @Override
        public boolean next() {
            return false;
        }

        @Override
        public byte[] key() {
            throw new IllegalStateException("no current entry");
        }

        @Override
        public byte[] value() {
            throw new IllegalStateException("no current entry");
        }

        @Override
        public void close() {}
    };

    private final Path dir;
    private final boolean readOnly;
    private final Tuning tuning;
    private final RocksDB db;
    private final List<ColumnFamilyHandle> allHandles;
    private final Map<Table, ColumnFamilyHandle> handles = new EnumMap<>(Table.class);
    private final WriteOptions writeOptions;
    private final ReadOptions plainRead;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final Lock readLock = lifecycle.readLock();
    private final Object commitLock = new Object();
    private final Set<NativeResource> openResources = ConcurrentHashMap.newKeySet();
    private volatile AppliedIndex applied;
    private volatile boolean closed;

    /** {@code allHandles}: the default family's, then one per table of {@code tables}, in that order. */
    private RocksRegistryStore(Path dir, boolean readOnly, Tuning tuning, RocksDB db, List<Table> tables,
                               List<ColumnFamilyHandle> allHandles) {
        this.dir = dir;
        this.readOnly = readOnly;
        this.tuning = tuning;
        this.db = db;
        this.allHandles = allHandles;
        for (int i = 0; i < tables.size(); i++) handles.put(tables.get(i), allHandles.get(i + 1));
        this.writeOptions = new WriteOptions().setSync(false).setDisableWAL(false);
        this.plainRead = new ReadOptions().setFillCache(true);
        try {
            this.applied = MetaKeys.decodeApplied(db.get(handles.get(Table.META), plainRead, MetaKeys.APPLIED));
        } catch (RocksDBException e) {
            closeNatives();
            throw new RocksStoreException("reading the applied index of " + dir, e);
        }
    }

    /**
     * Opens (creating if missing) the store in {@code dir}, first completing or discarding a
     * checkpoint install that a crash interrupted. One read-write open per directory per JVM.
     */
    public static RocksRegistryStore open(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        if (!OPEN_DIRS.add(abs)) throw new IllegalStateException("store already open (or being installed) in this JVM: " + abs);
        try {
            StoreDirs.finishInterruptedInstall(abs);
            Files.createDirectories(abs.getParent());
            return openAt(abs, false);
        } catch (IOException e) {
            OPEN_DIRS.remove(abs);
            throw new UncheckedIOException("creating the parent of " + abs, e);
        } catch (RuntimeException e) {
            OPEN_DIRS.remove(abs);
            throw e;
        }
    }

    /**
     * Opens an existing store, or a checkpoint directory, read-only, for inspection: reads work,
     * {@link #commit} and {@link #rawPut} throw. Does not modify the directory. A table whose
     * column family the directory lacks (written by a version before the table was added) reads
     * as empty; a read-write {@link #open} creates it.
     */
    public static RocksRegistryStore openReadOnly(Path dir) {
        return openAt(dir.toAbsolutePath().normalize(), true);
    }

    /**
     * Replaces the store in {@code dbDir} by the checkpoint in {@code checkpointDir} (made by
     * {@link #checkpoint}), crash-safely (see {@link StoreDirs}); afterwards {@code checkpointDir}
     * no longer exists. The store in {@code dbDir} must be closed; reopen it with {@link #open}.
     * The checkpoint is opened read-only first, so a damaged one is refused before anything moves.
     *
     * @return the applied index recorded in the installed checkpoint
     */
    public static AppliedIndex installCheckpoint(Path checkpointDir, Path dbDir) {
        Path db = dbDir.toAbsolutePath().normalize();
        Path checkpoint = checkpointDir.toAbsolutePath().normalize();
        if (checkpoint.equals(db)) throw new IllegalArgumentException("checkpoint and store are the same directory: " + db);
        if (!OPEN_DIRS.add(db)) throw new IllegalStateException("close the store at " + db + " before installing a checkpoint over it");
        try {
            AppliedIndex installed;
            try (RocksRegistryStore check = openReadOnly(checkpoint)) {
                installed = check.applied();
            }
            StoreDirs.swapIn(checkpoint, db);
            return installed;
        } finally {
            OPEN_DIRS.remove(db);
        }
    }

    private static RocksRegistryStore openAt(Path abs, boolean readOnly) {
        Tuning tuning = new Tuning(readOnly);
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            Set<String> present = refuseUnknownFamilies(abs);
            // Read-only RocksDB can not create a family: open those present, the others read as empty.
            List<Table> tables = new ArrayList<>();
            for (Table t : Table.values()) if (!readOnly || present.contains(t.cfName())) tables.add(t);
            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            descriptors.add(new ColumnFamilyDescriptor(DEFAULT_FAMILY.getBytes(StandardCharsets.US_ASCII), tuning.family));
            for (Table t : tables) descriptors.add(new ColumnFamilyDescriptor(t.cfName().getBytes(StandardCharsets.US_ASCII), tuning.family));
            RocksDB db = readOnly
                    ? RocksDB.openReadOnly(tuning.db, abs.toString(), descriptors, handles)
                    : RocksDB.open(tuning.db, abs.toString(), descriptors, handles);
            return new RocksRegistryStore(abs, readOnly, tuning, db, tables, handles);
        } catch (RocksDBException e) {
            for (ColumnFamilyHandle h : handles) h.close();
            tuning.close();
            throw new RocksStoreException("opening " + (readOnly ? "read-only " : "") + abs, e);
        } catch (RuntimeException e) {
            tuning.close();
            throw e;
        }
    }

    /**
     * A column family we do not know means a newer or foreign layout: refuse rather than guess.
     *
     * @return the families present (none when there is no database yet)
     */
    private static Set<String> refuseUnknownFamilies(Path abs) throws RocksDBException {
        Set<String> out = new TreeSet<>();
        if (!Files.exists(abs.resolve("CURRENT"))) return out;
        Set<String> expected = new TreeSet<>();
        expected.add(DEFAULT_FAMILY);
        for (Table t : Table.values()) expected.add(t.cfName());
        List<byte[]> present;
        try (Options options = new Options()) {
            present = RocksDB.listColumnFamilies(options, abs.toString());
        }
        for (byte[] name : present) {
            String family = new String(name, StandardCharsets.US_ASCII);
            if (!expected.contains(family)) throw new IllegalStateException("unknown column family '" + family + "' in " + abs);
            out.add(family);
        }
        return out;
    }

    public Path dir() {
        return dir;
    }

    @Override
    public AppliedIndex applied() {
        return applied;
    }

    /**
     * Applies {@code mutations} in list order and records {@code (term, index)} as applied, in one
     * atomic batch. Entries apply in increasing index order and terms never decrease, so anything
     * else is a programmer error: an index not above the applied one (except 0 over a fresh store)
     * or a smaller term throws IllegalStateException and writes nothing.
     */
    @Override
    public void commit(List<Mutation> mutations, long term, long index) {
        requireWritable();
        synchronized (commitLock) {
            AppliedIndex current = applied;
            boolean bothZero = index == 0 && current.index() == 0;
            if (index < 0 || (index <= current.index() && !bothZero)) {
                throw new IllegalStateException("commit of index " + index + " but index " + current.index() + " is already applied");
            }
            if (term < current.term()) {
                throw new IllegalStateException("commit of term " + term + " after term " + current.term() + " (index " + index + ")");
            }
            readLock.lock();
            try (WriteBatch batch = new WriteBatch()) {
                ensureOpen();
                for (Mutation m : mutations) {
                    ColumnFamilyHandle cf = handles.get(m.table());
                    if (m.isDelete()) batch.delete(cf, m.key());
                    else batch.put(cf, m.key(), m.value());
                }
                batch.put(handles.get(Table.META), MetaKeys.APPLIED, MetaKeys.encodeApplied(term, index));
                db.write(writeOptions, batch);
                applied = new AppliedIndex(term, index);
            } catch (RocksDBException e) {
                throw new RocksStoreException("commit of index " + index + " to " + dir, e);
            } finally {
                readLock.unlock();
            }
        }
    }

    /**
     * TEST ONLY: writes {@code value} (or deletes, when null) under {@code key} without going
     * through the log and without touching the applied index, to simulate on-disk tampering or a
     * divergent replica for the consistency audit's tests. Production code must never call it.
     */
    public void rawPut(Table table, byte[] key, byte[] value) {
        requireWritable();
        synchronized (commitLock) {
            readLock.lock();
            try {
                ensureOpen();
                if (value == null) db.delete(handles.get(table), writeOptions, key);
                else db.put(handles.get(table), writeOptions, key, value);
            } catch (RocksDBException e) {
                throw new RocksStoreException("raw write to " + table.cfName(), e);
            } finally {
                readLock.unlock();
            }
        }
    }

    @Override
    public byte[] get(Table table, byte[] key) {
        readLock.lock();
        try {
            ensureOpen();
            ColumnFamilyHandle cf = handles.get(table);
            return cf == null ? null : db.get(cf, plainRead, key);
        } catch (RocksDBException e) {
            throw new RocksStoreException("get from " + table.cfName(), e);
        } finally {
            readLock.unlock();
        }
    }

    /** A cursor over the state as of this call; commits made while it is open are not visible. */
    @Override
    public Cursor scan(Table table, byte[] from, byte[] to, boolean descending) {
        readLock.lock();
        try {
            ensureOpen();
            ColumnFamilyHandle cf = handles.get(table);
            if (cf == null || isEmptyRange(from, to)) return EMPTY_CURSOR;
            return new RocksCursor(readLock, openResources, db, cf, from, to, descending, null);
        } finally {
            readLock.unlock();
        }
    }

    @Override
    public ReadView openReadView() {
        readLock.lock();
        try {
            ensureOpen();
            return new RocksReadView(readLock, openResources, this, db);
        } finally {
            readLock.unlock();
        }
    }

    /**
     * Writes a RocksDB checkpoint of the current state into {@code target}, which must not exist
     * (its parent is created). Table files are hard-linked when on the same file system, so this is
     * cheap; memtables are flushed first. Commits wait while it runs, so the returned index is
     * exactly the one recorded inside the checkpoint.
     *
     * @return the applied index the checkpoint contains
     */
    public AppliedIndex checkpoint(Path target) {
        Path abs = target.toAbsolutePath().normalize();
        if (Files.exists(abs)) throw new IllegalArgumentException("checkpoint target already exists: " + abs);
        try {
            Files.createDirectories(abs.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("creating the parent of " + abs, e);
        }
        synchronized (commitLock) {
            readLock.lock();
            try {
                ensureOpen();
                try (Checkpoint checkpoint = Checkpoint.create(db)) {
                    checkpoint.createCheckpoint(abs.toString());
                }
                return applied;
            } catch (RocksDBException e) {
                throw new RocksStoreException("checkpoint of " + dir + " into " + abs, e);
            } finally {
                readLock.unlock();
            }
        }
    }

    /** Releases open cursors and read views, syncs the WAL, then closes the database. Idempotent. */
    @Override
    public void close() {
        RocksDBException failure = null;
        lifecycle.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            for (NativeResource r : List.copyOf(openResources)) r.release();
            if (!readOnly) {
                try {
                    db.syncWal();
                } catch (RocksDBException e) {
                    failure = e;
                }
            }
            RocksDBException closeFailure = closeNatives();
            if (failure == null) failure = closeFailure;
        } finally {
            if (!readOnly) OPEN_DIRS.remove(dir);
            lifecycle.writeLock().unlock();
        }
        if (failure != null) throw new RocksStoreException("closing " + dir, failure);
    }

    /** Closes every native object this instance owns, handles before the database before options. */
    private RocksDBException closeNatives() {
        RocksDBException failure = null;
        plainRead.close();
        writeOptions.close();
        for (ColumnFamilyHandle h : allHandles) h.close();
        try {
            db.closeE();
        } catch (RocksDBException e) {
            failure = e;
        }
        tuning.close();
        return failure;
    }

    /** The table's column family; null only for a table missing from a store opened read-only. */
    ColumnFamilyHandle handle(Table table) {
        return handles.get(table);
    }

    static boolean isEmptyRange(byte[] from, byte[] to) {
        return from != null && to != null && Bytes.ORDER.compare(from, to) >= 0;
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("store is closed: " + dir);
    }

    private void requireWritable() {
        if (readOnly) throw new IllegalStateException("store opened read-only: " + dir);
    }

    /** The explicitly chosen RocksDB options (see the class comment for the bounds). */
    private static final class Tuning implements AutoCloseable {
        final LRUCache blockCache = new LRUCache(BLOCK_CACHE_BYTES);
        final BloomFilter bloom = new BloomFilter(BLOOM_BITS_PER_KEY, false);
        final DBOptions db;
        final ColumnFamilyOptions family;

        Tuning(boolean readOnly) {
            db = new DBOptions()
                    .setCreateIfMissing(!readOnly)
                    .setCreateMissingColumnFamilies(!readOnly)
                    .setParanoidChecks(true)
                    .setUseFsync(false)
                    .setManualWalFlush(false)
                    .setMaxOpenFiles(OPEN_FILES_MAX)
                    .setMaxBackgroundJobs(BACKGROUND_JOBS_MAX)
                    .setDbWriteBufferSize(MEMTABLES_BYTES_MAX)
                    .setMaxTotalWalSize(WAL_BYTES_MAX)
                    .setMaxLogFileSize(INFO_LOG_FILE_BYTES_MAX)
                    .setKeepLogFileNum(INFO_LOG_FILES_KEPT)
                    .setAvoidFlushDuringShutdown(false);
            BlockBasedTableConfig table = new BlockBasedTableConfig()
                    .setBlockCache(blockCache)
                    .setCacheIndexAndFilterBlocks(true)
                    .setFilterPolicy(bloom)
                    .setBlockSize(BLOCK_BYTES);
            family = new ColumnFamilyOptions()
                    .setTableFormatConfig(table)
                    .setCompressionType(CompressionType.LZ4_COMPRESSION)
                    .setBottommostCompressionType(CompressionType.LZ4_COMPRESSION)
                    .setWriteBufferSize(MEMTABLE_BYTES)
                    .setMaxWriteBufferNumber(MEMTABLES_PER_FAMILY_MAX)
                    .setLevelCompactionDynamicLevelBytes(true);
        }

        @Override
        public void close() {
            family.close();
            db.close();
            bloom.close();
            blockCache.close();
        }
    }
}
