package io.glint.registry.ratis;

import io.glint.registry.AuditDigester;
import io.glint.registry.command.Codec;
import io.glint.registry.command.Command;
import io.glint.registry.machine.RegistryMachine;
import io.glint.registry.model.AuditDigest;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;
import io.glint.registry.query.QueryEngine;
import io.glint.registry.rocks.RocksRegistryStore;
import io.glint.registry.rocks.StoreDirs;
import io.glint.registry.store.ReadView;
import io.glint.registry.store.RegistryStore.AppliedIndex;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The Ratis adapter of the registry: each committed log entry is a group-committed batch of
 * commands ({@link Codec#encodeBatch}); applying it runs the pure {@link RegistryMachine} over the
 * RocksDB store and commits the writes together with the entry's (term, index), so the store
 * always knows exactly which entries it holds.
 *
 * <p><b>Replays.</b> Ratis restarts applying after its latest snapshot, but the store may already
 * hold later entries (it commits every entry durably). An entry at or below the store's applied
 * index is therefore skipped. Skipping is keyed on the store's own index, so it stays right
 * whatever snapshot the store came from.
 *
 * <p><b>Failures.</b> An entry that can not be decoded, or a store that can not commit, is a
 * corruption or programmer error: {@link #applyTransaction} throws, which stops this member's
 * state machine updater and closes the server, instead of skipping the entry and diverging. The
 * leader refuses undecodable proposals in {@link #startTransaction}, before they reach the log.
 *
 * <p><b>Snapshots</b> are RocksDB checkpoints (see {@link CheckpointSnapshots}); a follower that
 * is too far behind receives the leader's newest checkpoint through Ratis's built-in
 * install-snapshot, and {@link #reinitialize} swaps its database for it.
 */
public final class RegistryStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(RegistryStateMachine.class);
    static final int SNAPSHOTS_RETAINED = 2;
    private static final String CHECKPOINT_TMP = "checkpoint.tmp";
    private static final String INSTALL_STAGE = "install.stage";

    private final CheckpointSnapshots snapshots = new CheckpointSnapshots(SNAPSHOTS_RETAINED);
    /** Readers hold the read lock for a whole query; swapping or closing the store takes the write lock. */
    private final ReentrantReadWriteLock storeLock = new ReentrantReadWriteLock();
    /** Serialises taking a snapshot with pausing and reinitialising. */
    private final Object snapshotLock = new Object();
    private volatile RocksRegistryStore store;
    private volatile boolean storeClosed = true;
    /** Local linearizable reads waiting for this member to apply up to an index; see {@link #awaitApplied}. */
    private final AppliedWaiters waiters = new AppliedWaiters(WAITERS_MAX);
    /** Digests of the state at audit marks, off the apply thread; named for this member on initialize. */
    private volatile AuditDigester digester = new AuditDigester("unknown");
    static final int WAITERS_MAX = 65_536;
    /** The one-byte query that asks for the applied index (never a Codec frame, whose first byte is the version). */
    static final byte APPLIED_INDEX_PROBE = 0;

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        getLifeCycle().startAndTransition(() -> {
            super.initialize(server, groupId, raftStorage);
            digester.close();
            digester = new AuditDigester(server.getId().toString());
            snapshots.init(raftStorage);
            StoreDirs.deleteTree(snapshots.smDir().resolve(CHECKPOINT_TMP));
            StoreDirs.deleteTree(snapshots.smDir().resolve(INSTALL_STAGE));
            CheckpointSnapshots.Snapshot latest = snapshots.latest();
            openStore(latest);
            if (latest != null) setLastAppliedTermIndex(latest.termIndex());
            waiters.advance(store.applied().index());
            LOG.info("{}: store at {}, latest snapshot {}", getId(), store.applied(), latest);
        });
    }

    /**
     * Opens the store, first installing {@code snapshot} if it holds entries the store lacks: a
     * crash after Ratis received a snapshot but before {@link #reinitialize} swapped it in.
     */
    private void openStore(CheckpointSnapshots.Snapshot snapshot) throws IOException {
        Path dbDir = snapshots.dbDir();
        RocksRegistryStore opened = RocksRegistryStore.open(dbDir);
        if (snapshot != null && snapshot.storeIndex() > opened.applied().index()) {
            LOG.info("{}: store at {} is behind snapshot {}; installing it", getId(), opened.applied(), snapshot);
            opened.close();
            install(snapshot);
            opened = RocksRegistryStore.open(dbDir);
        }
        store = opened;
        storeClosed = false;
    }

    /** Replaces the (closed) database by a copy of the snapshot's checkpoint; the snapshot stays. */
    private void install(CheckpointSnapshots.Snapshot snapshot) throws IOException {
        Path stage = snapshots.smDir().resolve(INSTALL_STAGE);
        StoreDirs.deleteTree(stage);
        CheckpointSnapshots.linkTree(snapshot.dir(), stage);
        AppliedIndex installed = RocksRegistryStore.installCheckpoint(stage, snapshots.dbDir());
        if (installed.index() != snapshot.storeIndex()) {
            throw new IllegalStateException("snapshot " + snapshot.dir() + " is named for store index "
                    + snapshot.storeIndex() + " but its checkpoint holds " + installed);
        }
    }

    /** Validates a proposal on the leader before it enters the log, and keeps the decoded batch. */
    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        TransactionContext trx = super.startTransaction(request);
        try {
            List<Command> commands = Codec.decodeBatch(request.getMessage().getContent().toByteArray());
            if (commands.isEmpty()) throw new Codec.CodecException("empty batch");
            trx.setStateMachineContext(commands);
        } catch (RuntimeException e) {
            trx.setException(new IllegalArgumentException("refused an undecodable proposal: " + e.getMessage(), e));
        }
        return trx;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long term = entry.getTerm();
        long index = entry.getIndex();
        storeLock.readLock().lock();
        try {
            RocksRegistryStore s = openStoreOrThrow();
            if (index <= s.applied().index()) {
                advanceLastApplied(term, index);
                return CompletableFuture.completedFuture(Message.EMPTY);
            }
            List<Command> commands = commandsOf(trx, entry);
            RegistryMachine.Applied applied = RegistryMachine.applyEntry(s, index, commands);
            if (applied.results().size() != commands.size()) {
                throw new IllegalStateException("entry " + index + ": " + commands.size() + " commands but "
                        + applied.results().size() + " results");
            }
            s.commit(applied.mutations(), term, index);
            digestIfMarked(s, index, commands, applied.results());
            advanceLastApplied(term, index);
            waiters.advance(index);
            byte[] reply = Codec.encodeResults(applied.results());
            return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(reply)));
        } finally {
            storeLock.readLock().unlock();
        }
    }

    /**
     * For an entry holding successful audit marks: opens a RocksDB snapshot now, on the thread that
     * applies entries, right after this entry's batch was written and before the next one can be
     * (commits happen only on this thread), so the snapshot holds exactly the state at
     * {@code index}; the digest thread hashes it and releases it. A failure here is recorded for
     * the audit and never stops applying.
     */
    private void digestIfMarked(RocksRegistryStore s, long index, List<Command> commands, List<Result> results) {
        List<String> marks = AuditDigester.marksOf(commands, results);
        if (marks.isEmpty()) return;
        AuditDigester d = digester;
        ReadView view;
        try {
            view = s.openReadView();
        } catch (RuntimeException e) {
            LOG.warn("{}: no snapshot for audit marks {} at index {}", getId(), marks, index, e);
            d.failed(marks, index, "no snapshot: " + e);
            return;
        }
        d.submit(marks, index, view);
    }

    /**
     * This member's digest for an audit mark it applied (see {@link AuditDigester}); empty if it
     * has not applied the mark (yet), or applied it before it last restarted.
     */
    public Optional<AuditDigest> auditDigest(String auditId) {
        return auditId == null ? Optional.empty() : digester.get(auditId);
    }

    @SuppressWarnings("unchecked")
    private static List<Command> commandsOf(TransactionContext trx, LogEntryProto entry) {
        Object decoded = trx.getStateMachineContext();
        if (decoded instanceof List<?> list) return (List<Command>) list;
        ByteString data = entry.getStateMachineLogEntry().getLogData();
        try {
            return Codec.decodeBatch(data.toByteArray());
        } catch (RuntimeException e) {
            throw new IllegalStateException("log entry " + TermIndex.valueOf(entry)
                    + " can not be decoded; refusing to skip it", e);
        }
    }

    private void advanceLastApplied(long term, long index) {
        TermIndex next = TermIndex.valueOf(term, index);
        TermIndex current = getLastAppliedTermIndex();
        if (current == null || next.compareTo(current) > 0) updateLastAppliedTermIndex(next);
    }

    /** Configuration and metadata entries: they move the applied position but never backwards on replay. */
    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        advanceLastApplied(term, index);
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        ByteString content = request.getContent();
        if (content.size() == 1 && content.byteAt(0) == APPLIED_INDEX_PROBE) {
            byte[] index = java.nio.ByteBuffer.allocate(Long.BYTES).putLong(appliedIndex()).array();
            return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(index)));
        }
        Query q;
        try {
            q = Codec.decodeQuery(request.getContent().toByteArray());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("undecodable query: " + e.getMessage(), e));
        }
        try {
            Result r = readLocal(q);
            return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(Codec.encodeResult(r))));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Answers {@code q} from this member's local copy, at whatever index it has applied: not
     * linearizable (a follower or listener may lag). For background services and for tests.
     */
    public Result readLocal(Query q) {
        storeLock.readLock().lock();
        try (ReadView view = openStoreOrThrow().openReadView()) {
            return QueryEngine.run(view, view.appliedIndex(), q);
        } finally {
            storeLock.readLock().unlock();
        }
    }

    /**
     * Completes once this member's store has applied {@code index} (at once if it has). The
     * future completes on the thread that applies entries: do not run queries on it.
     */
    public CompletableFuture<Void> awaitApplied(long index) {
        CompletableFuture<Void> f = waiters.await(index);
        waiters.advance(appliedIndex());
        return f;
    }

    /** The state digest of the local copy, with the applied index it was taken at. */
    public Payload.Digest digest() {
        return readLocal(new Query.Digest()).value(Payload.Digest.class);
    }

    /** The index of the last log entry whose writes the local store holds. */
    public long appliedIndex() {
        RocksRegistryStore s = store;
        return s == null ? RaftLog.INVALID_LOG_INDEX : s.applied().index();
    }

    private RocksRegistryStore openStoreOrThrow() {
        RocksRegistryStore s = store;
        if (s == null || storeClosed) throw new IllegalStateException("registry store of " + getId() + " is not open");
        return s;
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return snapshots;
    }

    @Override
    public SnapshotInfo getLatestSnapshot() {
        return snapshots.getLatestSnapshot();
    }

    /**
     * Checkpoints the store into a new snapshot directory named for the last applied position.
     * Ratis calls this on the thread that applies entries, so the checkpoint holds exactly the
     * state at that position.
     */
    @Override
    public long takeSnapshot() throws IOException {
        synchronized (snapshotLock) {
            if (getLifeCycleState() != LifeCycle.State.RUNNING) return RaftLog.INVALID_LOG_INDEX;
            TermIndex ti = getLastAppliedTermIndex();
            if (ti == null || ti.getIndex() < 0) return RaftLog.INVALID_LOG_INDEX;
            CheckpointSnapshots.Snapshot latest = snapshots.latest();
            if (latest != null && latest.termIndex().compareTo(ti) >= 0) return latest.termIndex().getIndex();
            Path tmp = snapshots.smDir().resolve(CHECKPOINT_TMP);
            StoreDirs.deleteTree(tmp);
            AppliedIndex inside;
            storeLock.readLock().lock();
            try {
                inside = openStoreOrThrow().checkpoint(tmp);
            } finally {
                storeLock.readLock().unlock();
            }
            Path target = snapshots.snapshotsDir().resolve(CheckpointSnapshots.name(ti, inside.index()));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            snapshots.cleanupOldSnapshots(null);
            LOG.info("{}: snapshot {} (store at {})", getId(), target.getFileName(), inside);
            return ti.getIndex();
        }
    }

    @Override
    public void pause() {
        synchronized (snapshotLock) {
            if (getLifeCycleState() == LifeCycle.State.RUNNING) {
                getLifeCycle().transition(LifeCycle.State.PAUSING);
                getLifeCycle().transition(LifeCycle.State.PAUSED);
            }
        }
    }

    /**
     * Called by Ratis after it installed a snapshot received from the leader into the snapshot
     * directory: swap the database for that checkpoint unless the store already holds as much.
     */
    @Override
    public void reinitialize() throws IOException {
        synchronized (snapshotLock) {
            snapshots.refresh();
            CheckpointSnapshots.Snapshot latest = snapshots.latest();
            if (latest == null) throw new IllegalStateException(getId() + ": reinitialize without any snapshot");
            storeLock.writeLock().lock();
            try {
                AppliedIndex before = store.applied();
                if (latest.storeIndex() > before.index()) {
                    storeClosed = true;
                    store.close();
                    install(latest);
                    store = RocksRegistryStore.open(snapshots.dbDir());
                    storeClosed = false;
                }
                LOG.info("{}: reinitialized from snapshot {}: store {} -> {}", getId(), latest.dir().getFileName(),
                        before, store.applied());
                waiters.advance(store.applied().index());
            } finally {
                storeLock.writeLock().unlock();
            }
            setLastAppliedTermIndex(latest.termIndex());
            if (getLifeCycleState() == LifeCycle.State.PAUSED) {
                getLifeCycle().transition(LifeCycle.State.STARTING);
                getLifeCycle().transition(LifeCycle.State.RUNNING);
            }
        }
    }

    @Override
    public void close() {
        getLifeCycle().checkStateAndClose(() -> {
            digester.close();
            storeLock.writeLock().lock();
            try {
                storeClosed = true;
                if (store != null) store.close();
            } finally {
                storeLock.writeLock().unlock();
                waiters.failAll(new IllegalStateException("registry member " + getId() + " closed"));
            }
        });
    }
}
