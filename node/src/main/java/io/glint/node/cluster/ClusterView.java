package io.glint.node.cluster;

import io.glint.registry.RegistryClient;
import io.glint.registry.model.ClusterSettings;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * This node's view of the cluster: the registry's node table and settings, and the
 * {@link Placement} computed from them, refreshed by {@link #refresh()} (on a timer and after
 * membership commands). Listeners hear of every change of the table, which is what starts a
 * replicator pass after a node joins, drains, goes down or comes back.
 */
public final class ClusterView {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterView.class);

    private final RegistryClient registry;
    private final String selfId;
    private final int replicationFactor;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile Placement placement;
    private volatile List<NodeInfo> nodes = List.of();
    private long refreshFailures;

    public ClusterView(RegistryClient registry, String selfId, int replicationFactor) {
        this.registry = registry;
        this.selfId = selfId;
        this.replicationFactor = replicationFactor;
        this.placement = Placement.of(List.of(), ClusterSettings.DEFAULTS.placementGroups(), replicationFactor);
    }

    public String selfId() {
        return selfId;
    }

    public int replicationFactor() {
        return replicationFactor;
    }

    public Placement placement() {
        return placement;
    }

    public List<NodeInfo> nodes() {
        return nodes;
    }

    /** The node's record, or null before it registered. */
    public NodeInfo node(String id) {
        return placement.node(id);
    }

    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /** Reads the node table and settings (linearizably) and rebuilds the placement if either changed. */
    public void refresh() {
        try {
            Result n = registry.read(new Query.ListNodes()).get(10, TimeUnit.SECONDS);
            Result s = registry.read(new Query.GetSettings()).get(10, TimeUnit.SECONDS);
            if (!n.isOk() || !s.isOk()) return;
            List<NodeInfo> table = n.value(NodeInfo.Nodes.class).nodes();
            int pgCount = s.value(ClusterSettings.class).placementGroups();
            boolean same = sameMembership(table, nodes) && pgCount == placement.pgCount();
            nodes = table;
            if (same) return; // heartbeat times only: the placement stands
            placement = Placement.of(table, pgCount, replicationFactor);
            LOG.info("cluster view: {} nodes ({} up), {} placement groups", table.size(),
                    placement.eligibleNodes().size(), pgCount);
            for (Runnable l : listeners) l.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            refreshFailures++;
            // Quiet while a view exists (the next tick tries again); loud while there is none.
            if (nodes.isEmpty() || refreshFailures % 60 == 1) LOG.info("cluster view refresh failed ({} so far): {}", refreshFailures, e.toString());
        }
    }

    /** Same nodes in the same states and zones with the same capacity (heartbeat times aside). */
    private static boolean sameMembership(List<NodeInfo> a, List<NodeInfo> b) {
        if (a.size() != b.size()) return false;
        for (int i = 0; i < a.size(); i++) {
            NodeInfo x = a.get(i);
            NodeInfo y = b.get(i);
            if (!x.id().equals(y.id()) || x.state() != y.state() || x.capacityBytes() != y.capacityBytes()
                    || !x.zone().equals(y.zone()) || !java.util.Objects.equals(x.peerAddress(), y.peerAddress())) {
                return false;
            }
        }
        return true;
    }
}
