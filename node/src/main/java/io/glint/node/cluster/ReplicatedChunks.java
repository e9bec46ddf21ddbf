package io.glint.node.cluster;

import io.glint.node.chunk.ChunkSink;
import io.glint.node.chunk.ChunkStore;
import io.glint.node.chunk.StoreFullException;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.NodeInfo;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
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
    private final ChunkFetcher fetcher;
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
        this(view, local, peers, null, peerIo, acks, putTimeoutMillis);
    }

    /**
     * @param fetcher where a download's chunks that are not here come from (into pooled direct
     *                buffers); null: through {@code peers}, as arrays
     */
    public ReplicatedChunks(ClusterView view, ChunkStore local, PeerClient peers, ChunkFetcher fetcher, ExecutorService peerIo,
                            AckPolicy acks, long putTimeoutMillis) {
        this.view = view;
        this.local = local;
        this.peers = peers;
        this.fetcher = fetcher;
        this.peerIo = peerIo;
        this.acks = acks;
        this.putTimeoutMillis = putTimeoutMillis;
    }

    @Override
    public boolean put(ChunkInfo info, byte[] bytes, int offset) throws IOException {
        if (view.placement().node(view.selfId()) == null) view.refresh(); // empty, or older than our registration
        Set<String> holding = new java.util.HashSet<>();
        List<String> errors = new ArrayList<>();
        boolean wrote = false;
        Placement p = view.placement();
        int need = 0;
        List<String> replicas = List.of();
        // A view may be a heartbeat old (a node that just came back still DOWN in it, one that just
        // died still UP): when the first attempt falls short, the view is read again and the chunk
        // goes to the replicas of the new view that do not hold it yet.
        for (int attempt = 0; attempt < 2; attempt++) {
            if (attempt > 0) {
                view.refresh();
                p = view.placement();
            }
            replicas = p.replicasOf(info.id());
            // Acks are capped by the cluster's size (nodes not removed), not by the nodes UP right now:
            // with two of three nodes down an upload must fail, not keep one copy.
            need = acks.acksFor(Math.min(p.replicationFactor(), Math.max(1, p.members())));
            if (replicas.size() < need) {
                errors.add("only " + replicas.size() + " replica(s) up in the view " + replicas);
                continue; // not even trying: a write that can not be acknowledged leaves nothing behind
            }
            List<String> targets = new ArrayList<>();
            for (String r : replicas) if (!holding.contains(r)) targets.add(r);
            wrote |= writeTo(p, targets, info, bytes, offset, holding, errors);
            long acked = replicas.stream().filter(holding::contains).count();
            if (acked >= need) {
                if (acked < replicas.size()) {
                    underReplicatedWrites.incrementAndGet();
                    LOG.info("chunk {} written to {} of {} replicas (the replicator fills in the rest): {}", info.id(), acked,
                            replicas.size(), errors);
                }
                return wrote;
            }
        }
        throw new IOException("chunk " + info.id() + " reached " + replicas.stream().filter(holding::contains).count()
                + " of its " + replicas.size() + " replicas " + replicas + ", " + need + " needed (the cluster view has "
                + p.nodes().size() + " node(s)): " + String.join("; ", errors));
    }

    /**
     * Writes the chunk to {@code targets} in parallel (this node's store for itself, the peer
     * transport for the others) and adds each that holds it durably to {@code holding}. Returns
     * only when every write has ended (each bounded by the put timeout): the caller reuses the array.
     */
    private boolean writeTo(Placement p, List<String> targets, ChunkInfo info, byte[] bytes, int offset,
                            Set<String> holding, List<String> errors) throws IOException {
        List<Future<Boolean>> writes = new ArrayList<>();
        List<String> remote = new ArrayList<>();
        boolean localTarget = false;
        for (String r : targets) {
            NodeInfo n = p.node(r);
            if (r.equals(view.selfId())) {
                localTarget = true;
                continue;
            }
            remote.add(r);
            try {
                writes.add(peerIo.submit(() -> {
                    remotePuts.incrementAndGet();
                    return peers.put(n.peerAddress(), info, bytes, offset);
                }));
            } catch (RejectedExecutionException e) {
                writes.add(java.util.concurrent.CompletableFuture.failedFuture(new IOException("peer I/O queue full")));
            }
        }
        boolean wrote = false;
        if (localTarget) {
            try {
                wrote |= local.put(info, bytes, offset);
                holding.add(view.selfId());
            } catch (StoreFullException e) {
                cancelAll(writes);
                throw e; // reported as such (the client gets 413-like "storage full"), not as a replica shortfall
            } catch (IOException e) {
                errors.add(view.selfId() + ": " + e.getMessage());
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(putTimeoutMillis);
        for (int i = 0; i < writes.size(); i++) {
            try {
                wrote |= writes.get(i).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                holding.add(remote.get(i));
            } catch (ExecutionException e) {
                remotePutFailures.incrementAndGet();
                errors.add(remote.get(i) + ": " + e.getCause());
            } catch (TimeoutException e) {
                remotePutFailures.incrementAndGet();
                writes.get(i).cancel(true);
                errors.add(remote.get(i) + ": no answer within " + putTimeoutMillis + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                cancelAll(writes);
                throw new java.io.InterruptedIOException("interrupted while replicating chunk " + info.id());
            }
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
        return fromAnyNode(info, address -> peers.get(address, info.id(), info));
    }

    /**
     * As {@link #fetch}, into a buffer the caller owns and must release: with a {@link ChunkFetcher}
     * a pooled direct buffer the body was read into (sent to a client without another copy),
     * else the fetched array wrapped.
     *
     * @throws IOException no node could deliver an intact copy; the message lists what each said
     */
    public ByteBuf fetchBuffer(ChunkInfo info) throws IOException {
        if (fetcher == null) return Unpooled.wrappedBuffer(fetch(info));
        return fromAnyNode(info, address -> fetcher.fetch(address, info));
    }

    /** One verified read of a chunk from a peer: null when the peer does not have it. */
    private interface PeerRead<T> {
        T read(String peerAddress) throws IOException;
    }

    /** Asks the nodes in fetch order (replicas first) until one delivers an intact copy. */
    private <T> T fromAnyNode(ChunkInfo info, PeerRead<T> read) throws IOException {
        Placement p = view.placement();
        List<String> errors = new ArrayList<>();
        for (String id : p.fetchOrder(info.id(), view.selfId())) {
            NodeInfo n = p.node(id);
            if (n == null || n.peerAddress() == null) continue;
            try {
                T copy = read.read(n.peerAddress());
                if (copy != null) {
                    remoteFetches.incrementAndGet();
                    return copy;
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
