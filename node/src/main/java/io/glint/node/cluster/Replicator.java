package io.glint.node.cluster;

import io.glint.node.chunk.ChunkIds;
import io.glint.node.chunk.ChunkStore;
import io.glint.registry.RegistryClient;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkRef;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps every chunk on its replicas (DESIGN §6). One pass, for each placement group:
 * <ul>
 *   <li>held here by placement: the registry's chunk references of the group (read locally: a
 *       replica a moment behind only delays a fetch to the next pass) are compared by digest with
 *       what this node holds; only on a mismatch are the two listed and diffed, and each missing
 *       chunk is fetched from the group's other replicas, then from any node, checked against
 *       its id, and stored;</li>
 *   <li>held here but no longer placed here (membership changed): each referenced chunk is first
 *       confirmed (or put) on every node of the group's replica set and only then deleted here
 *       (hand-off). Unreferenced chunks are left to the reaper.</li>
 * </ul>
 * Its reads and writes of chunk bytes go through a {@link Throttle} at
 * {@code replication.bytesPerSecond}, so foreground traffic keeps priority, and a pass moves at
 * most {@link #CHUNKS_PER_PASS_MAX} chunks. Passes never overlap.
 *
 * <p>Another service that finds a group damaged here (the auditor, after quarantining a bad chunk
 * or finding one missing) calls {@link #requestGroup}: the next pass, which the request triggers,
 * takes the requested groups first.
 */
public final class Replicator {
    private static final Logger LOG = LoggerFactory.getLogger(Replicator.class);
    static final int CHUNKS_PER_PASS_MAX = 20_000;

    private final ClusterView view;
    private final LocalChunkIndex index;
    private final ChunkStore store;
    private final PeerClient peers;
    private final RegistryClient registry;
    private final Throttle throttle;
    private final AtomicBoolean running = new AtomicBoolean();
    /** Chunks this node keeps although it is not their replica (the image cache): never handed off. */
    private volatile java.util.function.Predicate<String> pinned = id -> false;

    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong chunksFetched = new AtomicLong();
    private final AtomicLong bytesFetched = new AtomicLong();
    private final AtomicLong chunksPushed = new AtomicLong();
    private final AtomicLong chunksHandedOff = new AtomicLong();
    private final AtomicLong fetchFailures = new AtomicLong();
    private final AtomicLong groupsDiffed = new AtomicLong();
    private final AtomicLong groupsRequested = new AtomicLong();
    private volatile long missingLastPass;
    private volatile long lastPassMillis;
    /** Groups asked for by {@link #requestGroup}, taken first by the next pass (at most one entry per group). */
    private final java.util.concurrent.ConcurrentSkipListSet<Integer> requested = new java.util.concurrent.ConcurrentSkipListSet<>();
    private volatile Runnable passTrigger = () -> {};

    public Replicator(ClusterView view, LocalChunkIndex index, ChunkStore store, PeerClient peers, RegistryClient registry,
                      Throttle throttle) {
        this.view = view;
        this.index = index;
        this.store = store;
        this.peers = peers;
        this.registry = registry;
        this.throttle = throttle;
    }

    public void pinWith(java.util.function.Predicate<String> pinned) {
        this.pinned = pinned;
    }

    /** What {@link #requestGroup} calls to get a pass run soon (the node queues one on its replicator thread). */
    public void onGroupRequested(Runnable trigger) {
        this.passTrigger = java.util.Objects.requireNonNull(trigger);
    }

    /**
     * Asks for group {@code pg} to be compared with the registry and repaired soon: a chunk of it
     * was found corrupt, truncated or missing here. The next pass takes requested groups first.
     */
    public void requestGroup(int pg) {
        if (pg < 0) throw new IllegalArgumentException("placement group must be >= 0: " + pg);
        requested.add(pg);
        groupsRequested.incrementAndGet();
        passTrigger.run();
    }

    /** Runs one pass unless one is running; returns false if it skipped. */
    public boolean runPass() {
        if (!running.compareAndSet(false, true)) return false;
        long t0 = System.nanoTime();
        try {
            pass();
            passes.incrementAndGet();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (RuntimeException e) {
            LOG.warn("replicator pass failed: {}", e.toString());
            return false;
        } finally {
            lastPassMillis = (System.nanoTime() - t0) / 1_000_000;
            running.set(false);
        }
    }

    private void pass() throws InterruptedException {
        Placement p = view.placement();
        if (p.eligibleNodes().isEmpty() || p.pgCount() != index.pgCount()) return;
        String self = view.selfId();
        NodeInfo me = p.node(self);
        // A node that is DOWN in its view (it is coming back, or its view is stale) hands nothing
        // off: it would delete what it holds only to fetch it again a heartbeat later.
        boolean mayHandOff = me != null && (me.state() == io.glint.registry.model.NodeState.UP
                || me.state() == io.glint.registry.model.NodeState.DRAINING);
        long[] budgetAndMissing = {CHUNKS_PER_PASS_MAX, 0};
        // Requested groups first (what is requested after this loop is left for the next pass)...
        Set<Integer> done = new HashSet<>();
        for (Integer pg = requested.pollFirst(); pg != null && budgetAndMissing[0] > 0; pg = requested.pollFirst()) {
            if (pg >= p.pgCount() || !done.add(pg)) continue;
            group(p, pg, self, mayHandOff, budgetAndMissing);
        }
        // ...then every group.
        for (int pg = 0; pg < p.pgCount() && budgetAndMissing[0] > 0; pg++) {
            if (!done.contains(pg)) group(p, pg, self, mayHandOff, budgetAndMissing);
        }
        missingLastPass = budgetAndMissing[1];
    }

    /** One group of a pass; {@code budgetAndMissing}: chunks this pass may still move, and chunks found missing. */
    private void group(Placement p, int pg, String self, boolean mayHandOff, long[] budgetAndMissing)
            throws InterruptedException {
        List<String> replicas = p.replicasOfGroup(pg);
        boolean mine = replicas.contains(self);
        List<String> held = mine || index.digestOf(pg).count() > 0 ? index.idsOf(pg) : List.of();
        if (!mine && (held.isEmpty() || !mayHandOff)) return;
        List<String> referenced = referenced(pg);
        if (referenced == null) return; // the registry could not answer: next pass
        if (mine) {
            if (LocalChunkIndex.Digest.of(referenced).equals(LocalChunkIndex.Digest.of(held))) return;
            groupsDiffed.incrementAndGet();
            Set<String> have = new HashSet<>(held);
            for (String id : referenced) {
                if (have.contains(id) || budgetAndMissing[0] <= 0) continue;
                budgetAndMissing[1]++;
                budgetAndMissing[0]--;
                fetch(p, id);
            }
        } else {
            Set<String> refs = new HashSet<>(referenced);
            for (String id : held) {
                if (budgetAndMissing[0] <= 0) break;
                if (!refs.contains(id)) continue; // unreferenced: the reaper's business
                if (pinned.test(id)) continue; // cached here on purpose
                budgetAndMissing[0]--;
                handOff(p, replicas, id);
            }
        }
    }

    private List<String> referenced(int pg) {
        Result r = registry.readLocal(new Query.ChunkRefs(pg));
        if (!r.isOk()) return null;
        List<String> ids = new ArrayList<>();
        for (ChunkRef ref : r.value(ChunkRef.Refs.class).refs()) if (ref.refCount() > 0) ids.add(ref.chunkId());
        return ids;
    }

    /** Fetches one missing chunk from the other nodes (replicas first) and stores it here. */
    private void fetch(Placement p, String id) throws InterruptedException {
        for (String nodeId : p.fetchOrder(id, view.selfId())) {
            NodeInfo n = p.node(nodeId);
            if (n == null || n.peerAddress() == null) continue;
            try {
                byte[] bytes = peers.get(n.peerAddress(), id, null); // checked against the id
                if (bytes == null) continue;
                throttle.acquire(bytes.length);
                store.put(ChunkIds.describe(bytes, 0, bytes.length), bytes, 0);
                chunksFetched.incrementAndGet();
                bytesFetched.addAndGet(bytes.length);
                return;
            } catch (IOException e) {
                LOG.debug("fetching chunk {} from {}: {}", id, nodeId, e.toString());
            }
        }
        fetchFailures.incrementAndGet();
        LOG.warn("chunk {} is missing here and no node could supply an intact copy (this pass)", id);
    }

    /** Makes sure every replica of the group has the chunk, then deletes the copy here. */
    private void handOff(Placement p, List<String> replicas, String id) throws InterruptedException {
        byte[] bytes = null;
        for (String r : replicas) {
            NodeInfo n = p.node(r);
            if (n == null || n.peerAddress() == null) return;
            try {
                if (peers.has(n.peerAddress(), id)) continue;
                if (bytes == null) {
                    bytes = readVerified(id);
                    if (bytes == null) return; // our copy is bad or gone: nothing to hand over
                    throttle.acquire(bytes.length);
                }
                peers.put(n.peerAddress(), ChunkIds.describe(bytes, 0, bytes.length), bytes, 0);
                chunksPushed.incrementAndGet();
            } catch (IOException e) {
                LOG.debug("hand-off of chunk {} to {}: {}", id, r, e.toString());
                return; // keep our copy until every replica has it
            }
        }
        try {
            if (store.delete(id)) chunksHandedOff.incrementAndGet();
        } catch (IOException e) {
            LOG.warn("deleting handed-off chunk {}: {}", id, e.toString());
        }
    }

    private byte[] readVerified(String id) {
        try {
            byte[] bytes = store.readUnchecked(id, PeerApi.CHUNK_BYTES_MAX);
            if (!ChunkIds.describe(bytes, 0, bytes.length).id().equals(id)) {
                store.quarantine(id);
                return null;
            }
            return bytes;
        } catch (IOException e) {
            return null; // gone (ChunkMissingException) or unreadable: nothing to hand over
        }
    }

    public long passes() {
        return passes.get();
    }

    public long chunksFetched() {
        return chunksFetched.get();
    }

    public long bytesFetched() {
        return bytesFetched.get();
    }

    public long chunksPushed() {
        return chunksPushed.get();
    }

    public long chunksHandedOff() {
        return chunksHandedOff.get();
    }

    public long fetchFailures() {
        return fetchFailures.get();
    }

    public long groupsDiffed() {
        return groupsDiffed.get();
    }

    /** Calls of {@link #requestGroup} so far. */
    public long groupsRequested() {
        return groupsRequested.get();
    }

    /** Chunks this node should hold but did not, as found by the last pass (under-replicated). */
    public long missingLastPass() {
        return missingLastPass;
    }

    public long lastPassMillis() {
        return lastPassMillis;
    }

    /**
     * A token bucket of units per second (bytes, files, deletes) with a one-second burst; acquire
     * blocks (bounded by the amount asked). The clock and the sleep are injectable so that a test
     * checks the pacing of a service without waiting for it.
     */
    public static final class Throttle {
        /** Waits; the production one is {@code TimeUnit.NANOSECONDS::sleep}. */
        public interface Sleeper {
            void sleepNanos(long nanos) throws InterruptedException;
        }

        private final long bytesPerSecond;
        private final java.util.function.LongSupplier nanoTime;
        private final Sleeper sleeper;
        private long available;
        private long lastNanos;
        private long acquired;

        public Throttle(long bytesPerSecond) {
            this(bytesPerSecond, System::nanoTime, java.util.concurrent.TimeUnit.NANOSECONDS::sleep);
        }

        public Throttle(long perSecond, java.util.function.LongSupplier nanoTime, Sleeper sleeper) {
            if (perSecond < 1) throw new IllegalArgumentException("a rate must be >= 1 per second");
            this.bytesPerSecond = perSecond;
            this.nanoTime = nanoTime;
            this.sleeper = sleeper;
            this.available = perSecond;
            this.lastNanos = nanoTime.getAsLong();
        }

        public synchronized void acquire(long bytes) throws InterruptedException {
            refill();
            available -= bytes;
            acquired += bytes;
            if (available < 0) {
                long waitNanos = (long) (-available * 1e9 / bytesPerSecond);
                sleeper.sleepNanos(waitNanos);
                refill();
            }
        }

        /** The rate, in units per second. */
        public long perSecond() {
            return bytesPerSecond;
        }

        /** Units acquired so far. */
        public synchronized long acquired() {
            return acquired;
        }

        private void refill() {
            long now = nanoTime.getAsLong();
            available = Math.min(bytesPerSecond, available + (long) ((now - lastNanos) / 1e9 * bytesPerSecond));
            lastNanos = now;
        }
    }
}
