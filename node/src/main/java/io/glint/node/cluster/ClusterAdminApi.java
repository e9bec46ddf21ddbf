package io.glint.node.cluster;

import io.glint.node.chunk.ChunkStore;
import io.glint.node.http.ApiException;
import io.glint.node.http.Request;
import io.glint.node.http.Response;
import io.glint.node.http.Route;
import io.glint.node.http.Router;
import io.glint.registry.command.Command;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;
import io.glint.registry.model.Result;
import io.glint.registry.ratis.Registry;
import io.glint.registry.ratis.RegistryPeer;
import io.glint.registry.ratis.RegistryServer;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The operator's cluster API under {@code /glint/v1/} (DESIGN §8), admin only:
 * <ul>
 *   <li>{@code GET /glint/v1/cluster}: nodes (state, zone, Raft role, last heartbeat, chunks held,
 *       groups placed on it), the leader, and replica health per placement group: how many groups
 *       have all R replicas UP, fewer, or none;</li>
 *   <li>{@code POST /glint/v1/nodes/{id}/drain}: the node takes no new placements; the replicator
 *       moves its groups to the others;</li>
 *   <li>{@code POST /glint/v1/nodes/{id}/undrain}: a draining node takes placements again;</li>
 *   <li>{@code DELETE /glint/v1/nodes/{id}}: the node leaves the node table and the Raft group;</li>
 *   <li>{@code GET /glint/v1/raft}: the cluster name and Raft members, which a joining node asks for.</li>
 * </ul>
 */
public final class ClusterAdminApi {
    private final Registry registry;
    private final RegistryServer server;
    private final ClusterView view;
    private final PeerClient peers;
    private final Replicator replicator;
    private final ReplicatedChunks chunks;
    private final ChunkStore store;
    private final Clock clock;
    /** The status page asks every node for its chunk count; a node that does not answer soon shows -1. */
    static final java.time.Duration STATUS_PEER_TIMEOUT = java.time.Duration.ofSeconds(2);
    /**
     * The size of the pool that asks the nodes for their chunk counts, so that the nodes are asked
     * at once (the common pool has a single thread on a 2-core machine, where one hung node held
     * up the rest and every further status call queued another two seconds behind it); past
     * {@link #STATUS_PROBES_QUEUED_MAX} waiting questions a node's count is shown as unknown (-1).
     */
    public static final int STATUS_PROBE_THREADS = 8;
    public static final int STATUS_PROBES_QUEUED_MAX = 64;
    private final PeerClient statusPeers;
    private final Executor statusProbes;
    /** Further counters on the status page, by section name (the auditor's, the reaper's). */
    private final Map<String, java.util.function.Supplier<Map<String, Object>>> sections = new LinkedHashMap<>();

    /**
     * @param statusProbes where the status page asks the nodes for their chunk counts: a bounded
     *                     pool of {@link #STATUS_PROBE_THREADS} (a full one answers -1)
     */
    public ClusterAdminApi(Registry registry, RegistryServer server, ClusterView view, PeerClient peers, Replicator replicator,
                           ReplicatedChunks chunks, ChunkStore store, Clock clock, Executor statusProbes) {
        this.registry = registry;
        this.server = server;
        this.view = view;
        this.peers = peers;
        this.replicator = replicator;
        this.chunks = chunks;
        this.store = store;
        this.clock = clock;
        this.statusPeers = peers.withTimeout(STATUS_PEER_TIMEOUT);
        this.statusProbes = statusProbes;
    }

    /** Adds a section of counters to the status page; call before {@link #register}. */
    public ClusterAdminApi section(String name, java.util.function.Supplier<Map<String, Object>> counters) {
        sections.put(name, counters);
        return this;
    }

    public void register(Router r) {
        r.add(HttpMethod.GET, "/glint/v1/cluster", Route.BodyMode.NONE, this::status);
        r.add(HttpMethod.GET, "/glint/v1/raft", Route.BodyMode.NONE, this::raft);
        r.add(HttpMethod.POST, "/glint/v1/nodes/{node_id}/drain", Route.BodyMode.NONE, this::drain);
        r.add(HttpMethod.POST, "/glint/v1/nodes/{node_id}/undrain", Route.BodyMode.NONE, this::undrain);
        r.add(HttpMethod.DELETE, "/glint/v1/nodes/{node_id}", Route.BodyMode.NONE, this::remove);
    }

    private static void requireAdmin(Request req) {
        if (req.identity() == null || !req.identity().isAdmin()) throw ApiException.forbidden("The cluster API is for admins");
    }

    private Response status(Request req) {
        requireAdmin(req);
        view.refresh();
        Placement p = view.placement();
        Map<String, String> roles = new LinkedHashMap<>();
        try {
            for (RegistryPeer m : registry.members()) roles.put(m.id(), m.role() == RegistryPeer.Role.VOTER ? "voter" : "listener");
        } catch (RuntimeException e) {
            // no quorum: roles unknown
        }
        String leader = server.leaderId().orElse(null);
        long now = clock.millis();
        List<Map<String, Object>> nodes = new ArrayList<>();
        // Chunk counts from every node at once, all within one deadline.
        long deadline = System.nanoTime() + STATUS_PEER_TIMEOUT.toNanos() + TimeUnit.SECONDS.toNanos(1);
        Map<String, CompletableFuture<Long>> held = new LinkedHashMap<>();
        for (NodeInfo n : view.nodes()) held.put(n.id(), probeChunksHeld(n));
        for (NodeInfo n : view.nodes()) { // the table as last read: fresh heartbeat times
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", n.id());
            m.put("state", n.state().name());
            m.put("zone", n.zone());
            m.put("raft_role", n.id().equals(leader) ? "leader" : roles.getOrDefault(n.id(), "none"));
            m.put("http_address", n.httpAddress());
            m.put("peer_address", n.peerAddress());
            m.put("capacity_bytes", n.capacityBytes());
            m.put("heartbeat_age_seconds", Math.max(0, (now - n.updatedAtMillis()) / 1000));
            // when the record last changed (epoch ms, the proposer's clock): its last heartbeat, or,
            // for a DOWN node, when the leader marked it DOWN
            m.put("updated_at_ms", n.updatedAtMillis());
            m.put("placement_groups", p.groupsOf(n.id()).size());
            m.put("chunks_held", awaitCount(held.get(n.id()), deadline));
            nodes.add(m);
        }
        int full = 0, degraded = 0, none = 0;
        for (int pg = 0; pg < p.pgCount(); pg++) {
            int replicas = p.replicasOfGroup(pg).size();
            if (replicas == 0) none++;
            else if (replicas < p.replicationFactor()) degraded++;
            else full++;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("self", view.selfId());
        out.put("leader", leader);
        out.put("replication_factor", p.replicationFactor());
        out.put("placement_groups", p.pgCount());
        out.put("group_health", Map.of("full", full, "degraded", degraded, "no_replica", none));
        out.put("nodes", nodes);
        Map<String, Object> rep = new LinkedHashMap<>();
        rep.put("passes", replicator.passes());
        rep.put("under_replicated_chunks_last_pass", replicator.missingLastPass());
        rep.put("chunks_fetched", replicator.chunksFetched());
        rep.put("bytes_fetched", replicator.bytesFetched());
        rep.put("chunks_handed_off", replicator.chunksHandedOff());
        rep.put("fetch_failures", replicator.fetchFailures());
        rep.put("groups_requested", replicator.groupsRequested());
        rep.put("under_replicated_writes", chunks.underReplicatedWrites());
        out.put("replicator", rep);
        sections.forEach((name, counters) -> out.put(name, counters.get()));
        return Response.json(HttpResponseStatus.OK, out);
    }

    /** The Raft members, for a node that joins through this one. */
    private Response raft(Request req) {
        requireAdmin(req);
        List<Map<String, Object>> members = new ArrayList<>();
        for (RegistryPeer m : registry.members()) {
            members.add(Map.of("id", m.id(), "address", m.address(), "role", m.role().name()));
        }
        return Response.json(HttpResponseStatus.OK, Map.of("cluster_name", server.config().clusterName(), "members", members));
    }

    /** Asks the node for its chunk count on the status pool; -1 at once when the pool is full. */
    private CompletableFuture<Long> probeChunksHeld(NodeInfo n) {
        try {
            return CompletableFuture.supplyAsync(() -> chunksHeld(n), statusProbes);
        } catch (RejectedExecutionException busy) {
            return CompletableFuture.completedFuture(-1L);
        }
    }

    /** The count, or -1 if it is not there by {@code deadline} (System.nanoTime). */
    private static long awaitCount(CompletableFuture<Long> f, long deadline) {
        try {
            return f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Chunks the node holds, as its own digests report (-1 when it does not answer). */
    private long chunksHeld(NodeInfo n) {
        if (n.state() == NodeState.REMOVED || n.peerAddress() == null) return -1;
        try {
            long total = 0;
            for (LocalChunkIndex.Digest d : statusPeers.digests(n.peerAddress()).values()) total += d.count();
            return total;
        } catch (Exception e) {
            return -1;
        }
    }

    private Response drain(Request req) throws Exception {
        return setState(req, NodeState.DRAINING, null);
    }

    private Response undrain(Request req) throws Exception {
        return setState(req, NodeState.UP, NodeState.DRAINING);
    }

    /** Moves a node to {@code to}; with {@code from}, only a node in that state (else 409). */
    private Response setState(Request req, NodeState to, NodeState from) throws Exception {
        requireAdmin(req);
        String id = req.pathParam("node_id");
        if (from != null) {
            view.refresh();
            NodeInfo n = view.nodes().stream().filter(x -> x.id().equals(id)).findFirst().orElse(null);
            if (n == null) throw ApiException.notFound("Node " + id + " not found");
            if (n.state() != from) throw ApiException.conflict("Node " + id + " is " + n.state() + ", not " + from);
        }
        Result r = registry.propose(new Command.UpdateNode(clock.millis(), id, to, null)).get(30, TimeUnit.SECONDS);
        if (!r.isOk()) throw fromResult(r);
        view.refresh();
        return Response.json(HttpResponseStatus.OK, Map.of("id", id, "state", to.name()));
    }

    private Response remove(Request req) throws Exception {
        requireAdmin(req);
        String id = req.pathParam("node_id");
        if (id.equals(view.selfId())) throw ApiException.conflict("A node does not remove itself; ask another node");
        Result r = registry.propose(new Command.RemoveNode(clock.millis(), id)).get(30, TimeUnit.SECONDS);
        if (!r.isOk()) throw fromResult(r);
        boolean inGroup = registry.members().stream().anyMatch(m -> m.id().equals(id));
        if (inGroup) registry.remove(id);
        view.refresh();
        return Response.json(HttpResponseStatus.OK, Map.of("id", id, "state", "REMOVED"));
    }

    private static ApiException fromResult(Result r) {
        HttpResponseStatus s = switch (r.code()) {
            case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case CONFLICT -> HttpResponseStatus.CONFLICT;
            case FORBIDDEN -> HttpResponseStatus.FORBIDDEN;
            case INVALID -> HttpResponseStatus.BAD_REQUEST;
            default -> HttpResponseStatus.SERVICE_UNAVAILABLE;
        };
        return new ApiException(s, r.message());
    }
}
