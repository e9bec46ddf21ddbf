package io.glint.node.cluster;

import io.glint.registry.RegistryClient;
import io.glint.registry.command.Command;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;
import io.glint.registry.model.Result;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Liveness by heartbeat (DESIGN §7). Every node refreshes its own record each
 * {@code heartbeatSeconds} (and brings it back UP if it had been marked DOWN); the Raft leader
 * marks DOWN every UP node whose last heartbeat is older than {@code downAfterSeconds}, which
 * takes it out of placement so that its groups are re-replicated on the others. A leader waits
 * {@code downAfterSeconds} after it took office before it marks anyone, so that a cluster coming
 * back from a full stop does not mark nodes whose heartbeats simply have not arrived yet.
 * One {@link #tick()} does at most one proposal per node: the work per tick is bounded by the
 * node table.
 */
public final class Membership {
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

    private final RegistryClient registry;
    private final ClusterView view;
    private final BooleanSupplier isLeader;
    private final Clock clock;
    private final long downAfterMillis;
    private long leaderSinceMillis = -1;
    private final AtomicLong heartbeats = new AtomicLong();
    private final AtomicLong heartbeatFailures = new AtomicLong();
    private final AtomicLong markedDown = new AtomicLong();

    public Membership(RegistryClient registry, ClusterView view, BooleanSupplier isLeader, Clock clock, long downAfterMillis) {
        this.registry = registry;
        this.view = view;
        this.isLeader = isLeader;
        this.clock = clock;
        this.downAfterMillis = downAfterMillis;
    }

    /** One heartbeat, then (on the leader) one liveness check; called every heartbeat period. */
    public synchronized void tick() {
        heartbeat();
        view.refresh();
        checkLiveness();
    }

    private void heartbeat() {
        // Its own record, read afresh: a view a tick old would miss that the leader has just
        // marked this node DOWN (for example while it was restarting), and the node would stay out
        // of placement for another tick.
        NodeInfo me = null;
        try {
            Result r = registry.read(new io.glint.registry.query.Query.GetNode(view.selfId())).get(10, TimeUnit.SECONDS);
            if (r.isOk()) me = r.value(NodeInfo.class);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            me = view.node(view.selfId()); // no fresh answer: go by the view
        }
        NodeState state = me != null && me.state() == NodeState.DOWN ? NodeState.UP : null;
        try {
            Result r = registry.propose(new Command.UpdateNode(clock.millis(), view.selfId(), state, null))
                    .get(10, TimeUnit.SECONDS);
            if (r.isOk()) {
                heartbeats.incrementAndGet();
                if (state == NodeState.UP) LOG.info("node {} is back UP", view.selfId());
            } else {
                heartbeatFailures.incrementAndGet();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            heartbeatFailures.incrementAndGet(); // no quorum reachable: nothing to do but try again
        }
    }

    private void checkLiveness() {
        long now = clock.millis();
        if (!isLeader.getAsBoolean()) {
            leaderSinceMillis = -1;
            return;
        }
        if (leaderSinceMillis < 0) leaderSinceMillis = now;
        if (now - leaderSinceMillis < downAfterMillis) return;
        for (NodeInfo n : view.nodes()) {
            if (n.state() != NodeState.UP || n.id().equals(view.selfId())) continue;
            long silentMillis = now - n.updatedAtMillis();
            if (silentMillis <= downAfterMillis) continue;
            try {
                // The view may be a tick old: read the record again (linearizably) so that a node
                // that has just re-registered or heartbeated is not marked DOWN on stale data.
                Result fresh = registry.read(new io.glint.registry.query.Query.GetNode(n.id())).get(10, TimeUnit.SECONDS);
                if (!fresh.isOk()) continue;
                NodeInfo current = fresh.value(NodeInfo.class);
                silentMillis = clock.millis() - current.updatedAtMillis();
                if (current.state() != NodeState.UP || silentMillis <= downAfterMillis) continue;
                Result r = registry.propose(new Command.UpdateNode(now, n.id(), NodeState.DOWN, null)).get(10, TimeUnit.SECONDS);
                if (r.isOk()) {
                    markedDown.incrementAndGet();
                    LOG.warn("node {} sent no heartbeat for {} s: marked DOWN, its groups go to the others", n.id(),
                            silentMillis / 1000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                LOG.debug("marking {} down failed: {}", n.id(), e.toString());
            }
        }
        view.refresh();
    }

    public long heartbeats() {
        return heartbeats.get();
    }

    public long heartbeatFailures() {
        return heartbeatFailures.get();
    }

    public long markedDown() {
        return markedDown.get();
    }
}
