package io.glint.registry.ratis;

import io.glint.registry.model.Image;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Result;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Members failing and coming back, on one shared cluster of three voters configured to snapshot
 * and purge its log often (every 64 entries, 16 KiB segments), so that a member that missed
 * enough really needs a snapshot. Each test leaves every member running again, so the next one
 * starts from a healthy cluster; each ends by checking that all members converge to one digest.
 * Members take no snapshot when stopped, so a restart replays the log after the last automatic
 * snapshot over a store that already holds those entries, as after a crash.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class RegistryFailoverTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

    private InProcessCluster cluster;
    private Set<Thread> threadsBefore;

    @BeforeAll
    void startCluster(@TempDir Path root) {
        threadsBefore = liveNonDaemonThreads();
        cluster = InProcessCluster.builder(root)
                .clusterName("failover-test")
                .voters(3)
                .snapshotThresholdEntries(64)
                .logSegmentSizeBytes(16 << 10)
                .logPurgeGapEntries(8)
                .snapshotOnStop(false)
                .start();
    }

    @AfterAll
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void stopClusterAndCheckForLeftoverThreads() {
        if (cluster != null) cluster.close();
        InProcessCluster.await(Duration.ofSeconds(30), () -> {
            Set<Thread> extra = liveNonDaemonThreads();
            extra.removeAll(threadsBefore);
            return extra.isEmpty();
        }, () -> "non-daemon threads left after closing the cluster: " + leftovers());
    }

    private Set<Thread> liveNonDaemonThreads() {
        Set<Thread> s = ConcurrentHashMap.newKeySet();
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.isAlive() && !t.isDaemon() && !t.getName().startsWith("junit-")) s.add(t);
        return s;
    }

    private String leftovers() {
        Set<Thread> extra = liveNonDaemonThreads();
        extra.removeAll(threadsBefore);
        return extra.stream().map(Thread::getName).toList().toString();
    }

    private static Result get(CompletableFuture<Result> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    /** Creates {@code n} images one after another (one log entry each); returns their ids. */
    private static List<String> createSequentially(Registry r, int n) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = TestCommands.newImageId();
            Result res = get(r.propose(TestCommands.create(id)));
            assertTrue(res.isOk(), () -> "create: " + res);
            ids.add(id);
        }
        return ids;
    }

    private void assertEveryMemberHas(List<String> ids) {
        for (RegistryServer s : cluster.running()) {
            for (String id : ids) {
                assertTrue(s.stateMachine().readLocal(TestCommands.record(id)).isOk(), () -> s.nodeId() + " lacks " + id);
            }
        }
    }

    @Test
    @Order(1)
    void aStoppedFollowerCatchesUpAfterRestart() throws Exception {
        String leader = cluster.awaitLeader(BOUND);
        Registry r = cluster.registry(leader);
        List<String> before = createSequentially(r, 10);
        String follower = cluster.aFollower();
        cluster.awaitConverged(BOUND);
        RegistryStateMachine sm = cluster.server(follower).stateMachine();
        SnapshotInfo snapshot = sm.getLatestSnapshot();
        long storeIndex = sm.appliedIndex();
        // Its store holds entries after its last snapshot: the restart replays them over the store.
        assertTrue(snapshot == null || snapshot.getIndex() < storeIndex, () -> "snapshot " + snapshot + ", store " + storeIndex);
        cluster.stop(follower);

        List<String> whileDown = createSequentially(r, 40);

        cluster.start(follower);
        Payload.Digest d = cluster.awaitConverged(BOUND);
        assertEveryMemberHas(before);
        assertEveryMemberHas(whileDown);
        assertEquals(d.appliedIndex(), cluster.server(follower).stateMachine().appliedIndex());
    }

    @Test
    @Order(2)
    void aWipedFollowerIsRestoredFromASnapshotInstallAndMatchesTheOthers() throws Exception {
        String leader = cluster.awaitLeader(BOUND);
        Registry r = cluster.registry(leader);
        String follower = cluster.aFollower();
        cluster.stop(follower);

        // Enough entries for several snapshots; the log below the newest one is purged.
        List<String> ids = createSequentially(r, 150);
        InProcessCluster.await(BOUND, () -> cluster.division(leader).getRaftLog().getStartIndex() > 64,
                () -> "leader log never purged: start index " + cluster.division(leader).getRaftLog().getStartIndex());
        long leaderLogStart = cluster.division(leader).getRaftLog().getStartIndex();

        RegistryServer wiped = cluster.wipeAndRestart(follower);
        Payload.Digest agreed = cluster.awaitConverged(BOUND);
        assertEquals(agreed, wiped.stateMachine().digest());
        assertEveryMemberHas(ids);
        // The wiped member could not have replayed the log from its start: the leader had purged
        // it, so it must hold an installed snapshot at or after the leader's first log entry.
        SnapshotInfo installed = wiped.stateMachine().getLatestSnapshot();
        assertNotNull(installed, "wiped member has no snapshot");
        assertTrue(installed.getIndex() >= leaderLogStart - 1,
                () -> "snapshot " + installed.getTermIndex() + " vs leader log start " + leaderLogStart);

        // It keeps applying new entries after the install.
        List<String> after = createSequentially(r, 5);
        cluster.awaitConverged(BOUND);
        assertEveryMemberHas(after);
    }

    @Test
    @Order(3)
    void whenTheLeaderIsKilledNoAcknowledgedCreateIsLost() throws Exception {
        String oldLeader = cluster.awaitLeader(BOUND);
        List<Registry> clients = new ArrayList<>();
        for (RegistryServer s : cluster.running()) {
            if (!s.nodeId().equals(oldLeader)) clients.add(cluster.registry(s.nodeId()));
        }
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicInteger indefinite = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Registry r = clients.get(t % clients.size());
            Thread w = new Thread(() -> {
                for (int i = 0; i < 100_000 && !stop.get(); i++) {
                    String id = TestCommands.newImageId();
                    try {
                        Result res = r.propose(TestCommands.create(id)).get(90, TimeUnit.SECONDS);
                        if (res.isOk()) acknowledged.add(id);
                    } catch (ExecutionException e) {
                        if (e.getCause() instanceof RegistryException re && !re.isDefinite()) indefinite.incrementAndGet();
                    } catch (Exception e) {
                        return;
                    }
                }
            }, "writer-" + t);
            writers.add(w);
            w.start();
        }
        try {
            InProcessCluster.await(BOUND, () -> acknowledged.size() >= 60, () -> "writers stalled before the kill");
            cluster.stop(oldLeader);
            int atKill = acknowledged.size();
            InProcessCluster.await(BOUND, () -> acknowledged.size() >= atKill + 60,
                    () -> "no progress after the leader was killed: " + cluster.describe());
        } finally {
            stop.set(true);
            for (Thread w : writers) w.join(TimeUnit.SECONDS.toMillis(100));
        }
        String newLeader = cluster.awaitLeader(BOUND);
        assertNotEquals(oldLeader, newLeader);

        Registry reader = clients.get(0);
        for (String id : acknowledged) {
            Result res = get(reader.read(TestCommands.record(id)));
            assertTrue(res.isOk(), () -> "acknowledged create " + id + " lost: " + res);
            assertEquals(id, res.value(Image.class).id());
        }

        cluster.start(oldLeader);
        cluster.awaitConverged(BOUND);
        assertEveryMemberHas(List.copyOf(acknowledged));
    }

    /**
     * A member cut off from the quorum for longer than its client's retry window: its proposals
     * and reads fail, and once the quorum is back the same Registry works again (Ratis closes an
     * ordered client whose request ran out of retries; the Registry replaces it).
     */
    @Test
    @Order(4)
    void aRegistryWorksAgainAfterAnOutageLongerThanItsRetryWindow() throws Exception {
        String leader = cluster.awaitLeader(BOUND);
        String survivor = cluster.aFollower();
        Registry r = Registry.builder(cluster.server(survivor)).retry(Duration.ofMillis(100), Duration.ofSeconds(2))
                .rpcTimeout(Duration.ofSeconds(2)).build();
        try {
            assertTrue(get(r.propose(TestCommands.create(TestCommands.newImageId()))).isOk());
            List<String> others = new ArrayList<>();
            for (RegistryServer s : cluster.running()) if (!s.nodeId().equals(survivor)) others.add(s.nodeId());
            for (String id : others) cluster.stop(id);
            for (int i = 0; i < 3; i++) {
                CompletableFuture<Result> f = r.propose(TestCommands.create(TestCommands.newImageId()));
                try {
                    Result res = f.get(120, TimeUnit.SECONDS);
                    assertTrue(!res.isOk(), "a write without a quorum can not succeed: " + res);
                } catch (ExecutionException expected) {
                    // no quorum: the write fails
                }
            }
            for (String id : others) cluster.start(id);
            cluster.awaitLeader(BOUND);
            String after = TestCommands.newImageId();
            InProcessCluster.await(BOUND, () -> {
                try {
                    return r.propose(TestCommands.create(after)).get(30, TimeUnit.SECONDS).isOk();
                } catch (Exception e) {
                    return false;
                }
            }, () -> "the registry never recovered after the outage (clients replaced: " + r.clientsReplaced() + ")");
            assertTrue(get(r.read(TestCommands.record(after))).isOk(), "reads work again too");
            cluster.awaitConverged(BOUND);
        } finally {
            r.close();
        }
        assertNotNull(leader);
    }
}
