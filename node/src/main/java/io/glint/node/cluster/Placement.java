package io.glint.node.cluster;

import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where chunks live (DESIGN §4): a pure function of the registry's node table, the placement-group
 * count and the replication factor, so every node computes the same answer without asking anyone.
 *
 * <p>A chunk belongs to group {@code pg = (first 4 bytes of its id, unsigned) mod pgCount}. A
 * group's replica set is chosen by weighted rendezvous hashing: each eligible node scores
 * {@code weight / -ln(u)} with {@code u} a uniform value in (0, 1) drawn from a hash of
 * {@code (pg, node id)}, so a node's chance of ranking first is its share of the total weight, and
 * a node joining or leaving moves only the groups it wins or held. The set is the best-scoring node
 * of each zone in score order until {@code R} zones are used; when there are fewer zones than
 * {@code R}, the remaining places go to the best-scoring nodes not yet chosen. Only {@code UP}
 * nodes are eligible: DRAINING, DOWN and REMOVED nodes take no placements, so their groups move.
 *
 * <p>The whole table (every group's replica list, best first) is computed once per node-table
 * change; a lookup is an array read.
 */
public final class Placement {
    /** Weight of a node that reports no capacity: 1 TiB, so such nodes weigh the same. */
    static final long DEFAULT_WEIGHT_BYTES = 1L << 40;

    private final int pgCount;
    private final int replicationFactor;
    private final List<NodeInfo> eligible;
    private final Map<String, NodeInfo> nodesById;
    private final String[][] replicas;

    private Placement(int pgCount, int replicationFactor, List<NodeInfo> nodes) {
        if (pgCount < 1) throw new IllegalArgumentException("pgCount must be >= 1, got " + pgCount);
        if (replicationFactor < 1) throw new IllegalArgumentException("replication factor must be >= 1, got " + replicationFactor);
        this.pgCount = pgCount;
        this.replicationFactor = replicationFactor;
        Map<String, NodeInfo> byId = new TreeMap<>();
        for (NodeInfo n : nodes) {
            if (byId.put(n.id(), n) != null) throw new IllegalArgumentException("node " + n.id() + " is listed twice");
        }
        this.nodesById = Map.copyOf(byId);
        List<NodeInfo> up = new ArrayList<>();
        for (NodeInfo n : byId.values()) if (n.state() == NodeState.UP) up.add(n);
        this.eligible = List.copyOf(up);
        this.replicas = new String[pgCount][];
        long[] nodeHashes = new long[eligible.size()];
        double[] weights = new double[eligible.size()];
        for (int i = 0; i < eligible.size(); i++) {
            nodeHashes[i] = stringHash(eligible.get(i).id());
            long bytes = eligible.get(i).capacityBytes();
            weights[i] = (double) (bytes > 0 ? bytes : DEFAULT_WEIGHT_BYTES) / DEFAULT_WEIGHT_BYTES;
        }
        for (int pg = 0; pg < pgCount; pg++) replicas[pg] = choose(pg, nodeHashes, weights);
    }

    /**
     * @param nodes             the registry's node table (every state; only UP nodes are placed on)
     * @param pgCount           placement groups ({@code ClusterSettings.placementGroups})
     * @param replicationFactor R; a group gets min(R, eligible nodes) replicas
     */
    public static Placement of(List<NodeInfo> nodes, int pgCount, int replicationFactor) {
        return new Placement(pgCount, replicationFactor, nodes);
    }

    public int pgCount() {
        return pgCount;
    }

    public int replicationFactor() {
        return replicationFactor;
    }

    /** The UP nodes, by id. */
    public List<NodeInfo> eligibleNodes() {
        return eligible;
    }

    /** Any node of the table (whatever its state), or null. */
    public NodeInfo node(String id) {
        return nodesById.get(id);
    }

    /** Nodes of the table that are not REMOVED: the cluster's size, whatever is UP now. */
    public int members() {
        int n = 0;
        for (NodeInfo node : nodesById.values()) if (node.state() != NodeState.REMOVED) n++;
        return n;
    }

    /** All nodes of the table, by id. */
    public List<NodeInfo> nodes() {
        return List.copyOf(new TreeMap<>(nodesById).values());
    }

    /** The group of a chunk: its id's first 4 bytes (8 hex characters) as an unsigned number, mod pgCount. */
    public static int groupOf(String chunkId, int pgCount) {
        if (chunkId == null || chunkId.length() < 8) throw new IllegalArgumentException("not a chunk id: " + chunkId);
        long prefix = Long.parseLong(chunkId.substring(0, 8), 16);
        return (int) (prefix % pgCount);
    }

    public int groupOf(String chunkId) {
        return groupOf(chunkId, pgCount);
    }

    /** The replica set of a group, best first (empty when no node is UP). */
    public List<String> replicasOfGroup(int pg) {
        return List.of(replicas[pg]);
    }

    public List<String> replicasOf(String chunkId) {
        return replicasOfGroup(groupOf(chunkId));
    }

    /**
     * Where to look for a copy of a chunk: its replicas in placement order, then every other node
     * not removed (a chunk may still sit on a former owner during a rebalance); never {@code selfId}.
     */
    public List<String> fetchOrder(String chunkId, String selfId) {
        java.util.LinkedHashSet<String> order = new java.util.LinkedHashSet<>(replicasOf(chunkId));
        for (NodeInfo n : nodesById.values()) if (n.state() != NodeState.REMOVED) order.add(n.id());
        order.remove(selfId);
        return List.copyOf(order);
    }

    /** The groups whose replica set includes {@code nodeId}. */
    public List<Integer> groupsOf(String nodeId) {
        List<Integer> out = new ArrayList<>();
        for (int pg = 0; pg < pgCount; pg++) {
            if (Arrays.asList(replicas[pg]).contains(nodeId)) out.add(pg);
        }
        return out;
    }

    private String[] choose(int pg, long[] nodeHashes, double[] weights) {
        int n = eligible.size();
        Integer[] order = new Integer[n];
        double[] scores = new double[n];
        long pgHash = mix(0x243F6A8885A308D3L ^ pg);
        for (int i = 0; i < n; i++) {
            order[i] = i;
            double u = ((mix(nodeHashes[i] ^ pgHash) >>> 11) + 0.5) * 0x1.0p-53; // in (0, 1)
            scores[i] = weights[i] / -Math.log(u);
        }
        // Ties (practically impossible) break by node id, so the order is total and the same everywhere.
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparing(i -> eligible.get(i).id()));
        int want = Math.min(replicationFactor, n);
        List<String> chosen = new ArrayList<>(want);
        Set<String> zones = new HashSet<>();
        boolean[] taken = new boolean[n];
        for (int k = 0; k < n && chosen.size() < want; k++) {
            NodeInfo node = eligible.get(order[k]);
            if (zones.add(zoneOf(node))) {
                chosen.add(node.id());
                taken[order[k]] = true;
            }
        }
        for (int k = 0; k < n && chosen.size() < want; k++) {
            if (!taken[order[k]]) {
                chosen.add(eligible.get(order[k]).id());
                taken[order[k]] = true;
            }
        }
        return chosen.toArray(new String[0]);
    }

    static String zoneOf(NodeInfo node) {
        return node.zone() == null || node.zone().isEmpty() ? "default" : node.zone();
    }

    /** FNV-1a over UTF-8, then mixed: stable across JVMs and runs (String.hashCode is too weak here). */
    static long stringHash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    /** SplitMix64's finalizer: a bijection of 64-bit values with good avalanche. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
