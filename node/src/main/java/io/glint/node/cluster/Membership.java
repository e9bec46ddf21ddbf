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
import java.util.function.LongSupplier;

/**
 * Liveness by heartbeat (DESIGN §7). Every node refreshes its own record each
 * {@code heartbeatSeconds} (and brings it back UP if it had been marked DOWN); the Raft leader
 * marks DOWN every UP node whose record it has not seen change for {@code downAfterSeconds}.
 *
 * <p>Silence is measured by the leader's own monotonic clock, from the moment it first saw the
 * node's current record: never by comparing the timestamp inside a heartbeat with the leader's
 * wall clock. A heartbeat's timestamp is taken by its sender before the proposal, so it is old by
 * however long the commit took (seconds, while a new leader is being elected), and another
 * machine's clock may be off by minutes. A new leader therefore gives every node a full
 * {@code downAfterSeconds} from when it took office. One {@link #tick()} does at most one
 * proposal per node: the work per tick is bounded by the node table.
 */
public final class Membership {
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

    private final RegistryClient registry;
    private final ClusterView view;
    private final BooleanSupplier isLeader;
    private final Clock clock;
    private final LongSupplier monotonicMillis;
    private final long downAfterMillis;
    private final long registryTimeoutMillis;
    /** Each node's heartbeat stamp as this leader last read it, and for how long it has not changed. */
    private final Unchanged seen = new Unchanged();
    private final AtomicLong heartbeats = new AtomicLong();
    private final AtomicLong heartbeatFailures = new AtomicLong();
    private final AtomicLong markedDown = new AtomicLong();

    /**
     * @param clock           stamps this node's heartbeats (only for display: liveness never compares it)
     * @param monotonicMillis the leader's clock for silence, e.g. {@code System.nanoTime() / 1e6}
     */
    public Membership(RegistryClient registry, ClusterView view, BooleanSupplier isLeader, Clock clock,
                      LongSupplier monotonicMillis, long downAfterMillis) {
        this.registry = registry;
        this.view = view;
        this.isLeader = isLeader;
        this.clock = clock;
        this.monotonicMillis = monotonicMillis;
        this.downAfterMillis = downAfterMillis;
        // A heartbeat stuck on an unreachable registry must not hold up the next one for long.
        this.registryTimeoutMillis = Math.max(1_000, downAfterMillis / 4);
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
            Result r = registry.read(new io.glint.registry.query.Query.GetNode(view.selfId()))
                    .get(registryTimeoutMillis, TimeUnit.MILLISECONDS);
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
                    .get(registryTimeoutMillis, TimeUnit.MILLISECONDS);
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
        if (!isLeader.getAsBoolean()) {
            seen.clear(); // a leader that takes office again starts afresh
            return;
        }
        long now = monotonicMillis.getAsLong();
        java.util.Set<String> present = new java.util.HashSet<>();
        for (NodeInfo n : view.nodes()) {
            present.add(n.id());
            if (n.state() != NodeState.UP || n.id().equals(view.selfId())) {
                seen.forget(n.id()); // watched afresh once it is UP again
                continue;
            }
            if (seen.observe(n.id(), n.updatedAtMillis(), now) <= downAfterMillis) continue;
            try {
                // The view may be a tick old: read the record again (linearizably) so that a node
                // that has just heartbeated is not marked DOWN on stale data.
                Result fresh = registry.read(new io.glint.registry.query.Query.GetNode(n.id()))
                        .get(registryTimeoutMillis, TimeUnit.MILLISECONDS);
                if (!fresh.isOk()) continue;
                NodeInfo current = fresh.value(NodeInfo.class);
                if (current.state() != NodeState.UP) continue;
                long silentMillis = seen.observe(n.id(), current.updatedAtMillis(), monotonicMillis.getAsLong());
                if (silentMillis <= downAfterMillis) continue;
                Result r = registry.propose(new Command.UpdateNode(clock.millis(), n.id(), NodeState.DOWN, null))
                        .get(registryTimeoutMillis, TimeUnit.MILLISECONDS);
                if (r.isOk()) {
                    markedDown.incrementAndGet();
                    seen.forget(n.id());
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
        seen.retainOnly(present);
        view.refresh();
    }

    /** For the status page. */
    public java.util.Map<String, Object> counters() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("heartbeats", heartbeats());
        m.put("heartbeat_failures", heartbeatFailures());
        m.put("marked_down", markedDown());
        return m;
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
