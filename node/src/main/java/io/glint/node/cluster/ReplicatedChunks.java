package io.glint.node.cluster;

import io.glint.node.chunk.ChunkSink;
import io.glint.node.chunk.ChunkStore;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Chunks across the cluster (DESIGN §5): an upload's chunk goes to its group's replica set in
 * parallel (this node's store when it is in the set, the peer transport otherwise) and counts as
 * written once {@code writeAcks} replicas hold it durably; a download's chunk that is not here
 * comes from a replica, in placement order, then from any other node that is up, failing over on
 * error, timeout or a bad copy.
 */
public final class ReplicatedChunks implements ChunkSink {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedChunks.class);

    /** How many replicas must hold a chunk, given the replica set's size. */
    public interface AckPolicy {
        int acksFor(int replicas);
    }

    private final ClusterView view;
    private final ChunkStore local;
    private final PeerClient peers;
    private final ExecutorService peerIo;
    private final AckPolicy acks;
    private final long putTimeoutMillis;
    private final AtomicLong remotePuts = new AtomicLong();
    private final AtomicLong remotePutFailures = new AtomicLong();
    private final AtomicLong remoteFetches = new AtomicLong();
    private final AtomicLong fetchFailovers = new AtomicLong();
    private final AtomicLong underReplicatedWrites = new AtomicLong();

    /**
     * @param peerIo runs the remote puts of a chunk in parallel (bounded pool; a put that cannot be
     *               queued counts as failed)
     */
    public ReplicatedChunks(ClusterView view, ChunkStore local, PeerClient peers, ExecutorService peerIo, AckPolicy acks,
                            long putTimeoutMillis) {
        this.view = view;
        this.local = local;
        this.peers = peers;
        this.peerIo = peerIo;
        this.acks = acks;
        this.putTimeoutMillis = putTimeoutMillis;
    }

    @Override
    public boolean put(ChunkInfo info, byte[] bytes, int offset) throws IOException {
        Placement p = view.placement();
        if (p.node(view.selfId()) == null) {
            view.refresh(); // this node's view is empty or older than its own registration
            p = view.placement();
        }
        List<String> replicas = p.replicasOf(info.id());
        // Acks are capped by the cluster's size (nodes not removed), not by the nodes UP right now:
        // with two of three nodes down an upload must fail, not keep one copy.
        int need = acks.acksFor(Math.min(p.replicationFactor(), Math.max(1, p.members())));
        if (replicas.size() < need) {
            throw new IOException("chunk " + info.id() + " can reach only " + replicas.size() + " replica(s) that are up ("
                    + replicas + "), " + need + " needed; the cluster view has " + p.nodes().size() + " node(s)");
        }
        List<Future<Boolean>> writes = new ArrayList<>();
        List<String> targets = new ArrayList<>();
        boolean localTarget = false;
        for (String r : replicas) {
            if (r.equals(view.selfId())) {
                localTarget = true;
                continue;
            }
            NodeInfo n = p.node(r);
            targets.add(r);
            try {
                writes.add(peerIo.submit(() -> {
                    remotePuts.incrementAndGet();
                    return peers.put(n.peerAddress(), info, bytes, offset);
                }));
            } catch (RejectedExecutionException e) {
                writes.add(java.util.concurrent.CompletableFuture.failedFuture(new IOException("peer I/O queue full")));
            }
        }
        int ok = 0;
        boolean wrote = false;
        List<String> errors = new ArrayList<>();
        if (localTarget) {
            try {
                wrote |= local.put(info, bytes, offset);
                ok++;
            } catch (IOException e) {
                errors.add(view.selfId() + ": " + e.getMessage());
                if (need >= replicas.size()) {
                    cancelAll(writes);
                    throw e; // no way to reach the acks without this copy; a full local disk is reported as such
                }
            }
        }
        // Every remote put must end before the caller reuses the array: wait for all, each bounded.
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(putTimeoutMillis);
        for (int i = 0; i < writes.size(); i++) {
            try {
                wrote |= writes.get(i).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                ok++;
            } catch (ExecutionException e) {
                remotePutFailures.incrementAndGet();
                errors.add(targets.get(i) + ": " + e.getCause().getMessage());
            } catch (TimeoutException e) {
                remotePutFailures.incrementAndGet();
                writes.get(i).cancel(true);
                errors.add(targets.get(i) + ": no answer within " + putTimeoutMillis + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                cancelAll(writes);
                throw new java.io.InterruptedIOException("interrupted while replicating chunk " + info.id());
            }
        }
        if (ok < need) {
            throw new IOException("chunk " + info.id() + " reached " + ok + " of its " + replicas.size()
                    + " replicas, " + need + " needed: " + String.join("; ", errors));
        }
        if (ok < replicas.size()) {
            underReplicatedWrites.incrementAndGet();
            LOG.info("chunk {} written to {} of {} replicas (the replicator fills in the rest): {}", info.id(), ok,
                    replicas.size(), errors);
        }
        return wrote;
    }

    private static void cancelAll(List<Future<Boolean>> writes) {
        for (Future<Boolean> f : writes) f.cancel(true);
    }

    /**
     * A verified copy of a chunk this node does not have (or whose copy was bad), from the replicas
     * first and then from every other node that is up.
     *
     * @throws IOException no node could deliver an intact copy; the message lists what each said
     */
    public byte[] fetch(ChunkInfo info) throws IOException {
        Placement p = view.placement();
        Set<String> order = new LinkedHashSet<>(p.replicasOf(info.id()));
        for (NodeInfo n : p.nodes()) if (n.state() != NodeState.REMOVED) order.add(n.id());
        order.remove(view.selfId());
        List<String> errors = new ArrayList<>();
        for (String id : order) {
            NodeInfo n = p.node(id);
            if (n == null || n.peerAddress() == null) continue;
            try {
                byte[] bytes = peers.get(n.peerAddress(), info.id(), info);
                if (bytes != null) {
                    remoteFetches.incrementAndGet();
                    return bytes;
                }
                errors.add(id + ": not there");
            } catch (IOException e) {
                fetchFailovers.incrementAndGet();
                errors.add(id + ": " + e.getMessage());
            }
        }
        throw new IOException("no node has an intact copy of chunk " + info.id() + " (" + String.join("; ", errors) + ")");
    }

    public long remotePuts() {
        return remotePuts.get();
    }

    public long remotePutFailures() {
        return remotePutFailures.get();
    }

    public long remoteFetches() {
        return remoteFetches.get();
    }

    public long fetchFailovers() {
        return fetchFailovers.get();
    }

    public long underReplicatedWrites() {
        return underReplicatedWrites.get();
    }
}
