package io.glint.node.cluster;

import io.glint.registry.DirectRegistry;
import io.glint.registry.command.Command;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;
import io.glint.registry.store.InMemoryStore;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The leader marks a node DOWN only after it has seen the node's record unchanged for
 * downAfterSeconds by its own clock. Heartbeat timestamps written by other machines (late by a slow
 * commit, or from a clock that is off) never make a live node look dead.
 */
class MembershipTest {
    static final long DOWN_AFTER = 8_000;
    final DirectRegistry registry = new DirectRegistry(new InMemoryStore());
    final AtomicLong monotonic = new AtomicLong(1_000_000);
    final AtomicBoolean leader = new AtomicBoolean(true);

    static NodeInfo node(String id) {
        return new NodeInfo(id, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "default", 0, NodeState.UP, 0, 0);
    }

    Membership membershipOf(String self, Clock wallClock) {
        ClusterView view = new ClusterView(registry, self, 3);
        view.refresh();
        return new Membership(registry, view, leader::get, wallClock, monotonic::get, DOWN_AFTER);
    }

    /** A heartbeat of {@code id} stamped by a machine whose clock reads {@code wallMillis}. */
    void heartbeat(String id, long wallMillis) throws Exception {
        assertTrue(registry.propose(new Command.UpdateNode(wallMillis, id, null, null)).get().isOk());
    }

    NodeState state(String id) throws Exception {
        return registry.read(new io.glint.registry.query.Query.GetNode(id)).get().value(NodeInfo.class).state();
    }

    @Test
    void aNodeWhoseHeartbeatsCarryAnOldClockIsNotMarkedDownWhileTheyKeepComing() throws Exception {
        for (String id : new String[]{"n1", "n2", "n3"}) assertTrue(registry.propose(new Command.JoinNode(1, node(id))).get().isOk());
        // The leader's wall clock is an hour ahead of n2's and n3's: by timestamps they would look silent.
        Membership m = membershipOf("n1", Clock.fixed(Instant.ofEpochMilli(3_600_000), ZoneOffset.UTC));
        long n2Clock = 10;
        for (int tick = 0; tick < 30; tick++) { // 30 s of ticks, one a second
            heartbeat("n2", n2Clock += 1000);
            m.tick();
            monotonic.addAndGet(1000);
            assertEquals(NodeState.UP, state("n2"), "n2 heartbeats, whatever its clock says (tick " + tick + ")");
        }
        assertEquals(NodeState.DOWN, state("n3"), "n3 was silent for 30 s");
        assertEquals(1, m.markedDown());
    }

    @Test
    void aNewLeaderGivesEveryNodeAFullPeriodFromWhenItTookOffice() throws Exception {
        for (String id : new String[]{"n1", "n2"}) assertTrue(registry.propose(new Command.JoinNode(1, node(id))).get().isOk());
        leader.set(false);
        Membership m = membershipOf("n1", Clock.systemUTC());
        m.tick();
        monotonic.addAndGet(60_000); // a long election: nobody could heartbeat
        leader.set(true);
        for (long t = 0; t <= DOWN_AFTER; t += 1000) {
            m.tick();
            assertEquals(NodeState.UP, state("n2"), "within downAfter of taking office (" + t + " ms)");
            monotonic.addAndGet(1000);
        }
        m.tick();
        assertEquals(NodeState.DOWN, state("n2"), "silent for longer than downAfter since the leader took office");
    }

    @Test
    void aNodeMarkedDownComesBackUpWithItsNextHeartbeat() throws Exception {
        for (String id : new String[]{"n1", "n2"}) assertTrue(registry.propose(new Command.JoinNode(1, node(id))).get().isOk());
        assertTrue(registry.propose(new Command.UpdateNode(5, "n2", NodeState.DOWN, null)).get().isOk());
        leader.set(false);
        membershipOf("n2", Clock.fixed(Instant.ofEpochMilli(100), ZoneOffset.UTC)).tick();
        assertEquals(NodeState.UP, state("n2"));
    }
}
