package io.glint.registry.ratis;

import io.glint.registry.command.Command;
import io.glint.registry.model.Image;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Result;
import io.glint.registry.model.UploadLease;
import io.glint.registry.query.Query;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance tests of the replicated registry on one shared cluster of three voters (real Ratis
 * servers over Netty on 127.0.0.1, real RocksDB): commits, linearizable reads across members,
 * racing proposals, a concurrent workload, a listener joining, and equal digests everywhere.
 * None of these tests stops a member, so they can share the cluster; the order only keeps the
 * listener (which slows every later write a little) for the end.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RegistryClusterTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

    private InProcessCluster cluster;

    @BeforeAll
    void startCluster(@TempDir Path root) {
        cluster = InProcessCluster.builder(root).clusterName("cluster-test").voters(3).start();
    }

    @AfterAll
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void stopCluster() {
        if (cluster != null) cluster.close();
    }

    private static Result get(CompletableFuture<Result> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    @Test
    @Order(1)
    void threeVotersCommitAndEveryMemberAppliesTheSameState() throws Exception {
        Registry registry = cluster.registry(cluster.awaitLeader(BOUND));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String id = TestCommands.newImageId();
            Result r = get(registry.propose(TestCommands.create(id)));
            assertTrue(r.isOk(), () -> "create: " + r);
            Image image = r.value(Image.class);
            assertEquals(id, image.id());
            ids.add(id);
        }
        for (String id : ids) {
            Result r = get(registry.read(new Query.GetImage(TestCommands.P1, id)));
            assertTrue(r.isOk(), () -> "read back: " + r);
        }
        Payload.Digest d = cluster.awaitConverged(BOUND);
        for (RegistryServer s : cluster.running()) {
            for (String id : ids) assertTrue(s.stateMachine().readLocal(TestCommands.record(id)).isOk(), s.nodeId());
        }
        assertTrue(d.appliedIndex() > 0);
    }

    @Test
    @Order(2)
    void aWriteThroughOneMemberIsSeenByALinearizableReadThroughAnotherImmediatelyAfter() throws Exception {
        String leader = cluster.awaitLeader(BOUND);
        String follower = cluster.aFollower();
        Registry writer = cluster.registry(leader);
        Registry reader = cluster.registry(follower);
        Registry writerOnFollower = cluster.registry(follower);
        Registry readerOnLeader = cluster.registry(leader);
        for (int i = 0; i < 25; i++) {
            String id = TestCommands.newImageId();
            assertTrue(get(writer.propose(TestCommands.create(id))).isOk());
            Result seen = get(reader.read(TestCommands.record(id)));
            assertTrue(seen.isOk(), () -> "follower " + follower + " did not see " + id + ": " + seen);

            String id2 = TestCommands.newImageId();
            assertTrue(get(writerOnFollower.propose(TestCommands.create(id2))).isOk());
            Result seen2 = get(readerOnLeader.read(TestCommands.record(id2)));
            assertTrue(seen2.isOk(), () -> "leader did not see " + id2 + ": " + seen2);
        }
    }

    @Test
    @Order(3)
    void twoRacingBeginUploadsForOneImageExactlyOneWins() throws Exception {
        String leader = cluster.awaitLeader(BOUND);
        String follower = cluster.aFollower();
        Registry a = cluster.registry(leader);
        Registry b = cluster.registry(follower);
        for (int round = 0; round < 10; round++) {
            String id = TestCommands.newImageId();
            assertTrue(get(a.propose(TestCommands.create(id))).isOk());
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Result> fa = CompletableFuture.supplyAsync(() -> {
                await(go);
                return a.propose(TestCommands.beginUpload(id, "lease-a", leader)).join();
            });
            CompletableFuture<Result> fb = CompletableFuture.supplyAsync(() -> {
                await(go);
                return b.propose(TestCommands.beginUpload(id, "lease-b", follower)).join();
            });
            go.countDown();
            Result ra = get(fa);
            Result rb = get(fb);
            int oks = (ra.isOk() ? 1 : 0) + (rb.isOk() ? 1 : 0);
            assertEquals(1, oks, () -> "exactly one upload may begin: " + ra + " / " + rb);
            Result loser = ra.isOk() ? rb : ra;
            assertEquals(Result.Code.CONFLICT, loser.code(), loser::toString);
            String winnerLease = ra.isOk() ? "lease-a" : "lease-b";
            UploadLease lease = get(a.read(new Query.GetUpload(id))).value(UploadLease.class);
            assertEquals(winnerLease, lease.leaseId());
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(30, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    @Order(4)
    void fiveThousandConcurrentCreatesFromSixteenThreadsAreAllPresentOnce() throws Exception {
        int threads = 16;
        int total = 5000;
        cluster.awaitLeader(BOUND);
        List<Registry> registries = new ArrayList<>();
        for (RegistryServer s : cluster.running()) registries.add(cluster.registry(s.nodeId()));
        List<List<String>> idsPerThread = new ArrayList<>();
        List<List<CompletableFuture<Result>>> futuresPerThread = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            int count = total / threads + (t < total % threads ? 1 : 0);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < count; i++) ids.add(TestCommands.newImageId());
            List<CompletableFuture<Result>> futures = new ArrayList<>();
            idsPerThread.add(ids);
            futuresPerThread.add(futures);
            Registry r = registries.get(t % registries.size());
            Thread w = new Thread(() -> {
                await(go);
                for (String id : ids) futures.add(r.propose(TestCommands.create(id)));
            }, "creator-" + t);
            workers.add(w);
            w.start();
        }
        go.countDown();
        for (Thread w : workers) {
            w.join(TimeUnit.SECONDS.toMillis(60));
            assertTrue(!w.isAlive(), w.getName() + " did not finish proposing");
        }
        List<String> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<String> ids = idsPerThread.get(t);
            List<CompletableFuture<Result>> futures = futuresPerThread.get(t);
            assertEquals(ids.size(), futures.size());
            for (int i = 0; i < ids.size(); i++) {
                Result r = get(futures.get(i));
                String id = ids.get(i);
                assertTrue(r.isOk(), () -> "create " + id + ": " + r);
                assertEquals(id, r.value(Image.class).id(), "each caller gets its own result");
            }
            all.addAll(ids);
        }
        assertEquals(total, all.stream().distinct().count());
        cluster.awaitConverged(BOUND);
        for (RegistryServer s : cluster.running()) {
            int present = 0;
            for (String id : all) if (s.stateMachine().readLocal(TestCommands.record(id)).isOk()) present++;
            assertEquals(total, present, "images present on " + s.nodeId());
        }
        long batches = 0;
        long commands = 0;
        for (Registry r : registries) {
            batches += r.groupCommitStats().batchesSent();
            commands += r.groupCommitStats().commandsSent();
        }
        assertTrue(commands >= total);
        assertTrue(batches < commands, "concurrent proposals were group-committed: " + batches + " batches for "
                + commands + " commands");
    }

    @Test
    @Order(5)
    void aFourthNodeJoinsAsAListenerAndItsLocalReadsConverge() throws Exception {
        String leader = cluster.awaitLeader(BOUND);
        Registry admin = cluster.registry(leader);
        String before = TestCommands.newImageId();
        assertTrue(get(admin.propose(TestCommands.create(before))).isOk());

        RegistryPeer listener = cluster.startNewMember("n4", RegistryPeer.Role.LISTENER);
        admin.addListener(listener);
        assertTrue(admin.members().contains(listener), () -> "members: " + admin.members());

        RegistryServer n4 = cluster.server("n4");
        InProcessCluster.await(BOUND, () -> n4.stateMachine().readLocal(TestCommands.record(before)).isOk(),
                () -> "listener never saw " + before + "; " + cluster.describe());
        assertEquals(RaftPeerRole.LISTENER, n4.role().orElseThrow());

        String after = TestCommands.newImageId();
        assertTrue(get(admin.propose(TestCommands.create(after))).isOk());
        Registry local = cluster.registry("n4");
        InProcessCluster.await(BOUND, () -> local.readLocal(TestCommands.record(after)).isOk(),
                () -> "listener never saw " + after);
        // A linearizable read served by the listener sees the latest write at once.
        String latest = TestCommands.newImageId();
        assertTrue(get(admin.propose(TestCommands.create(latest))).isOk());
        assertTrue(get(local.read(TestCommands.record(latest))).isOk());
        // A write proposed through the listener's client still goes through the voters.
        String viaListener = TestCommands.newImageId();
        assertTrue(get(local.propose(TestCommands.create(viaListener))).isOk());
        assertEquals(4, cluster.running().size());
        cluster.awaitConverged(BOUND);
    }

    @Test
    @Order(6)
    void aListenerIsPromotedToVoterAndThenRemoved() throws Exception {
        Registry admin = cluster.registry(cluster.awaitLeader(BOUND));
        RegistryPeer n4 = cluster.peer("n4");
        admin.addVoter(n4);
        assertTrue(admin.members().contains(RegistryPeer.voter("n4", n4.address())), () -> "members: " + admin.members());
        InProcessCluster.await(BOUND, () -> cluster.server("n4").role().orElseThrow() != RaftPeerRole.LISTENER,
                () -> "n4 still a listener: " + cluster.describe());
        String id = TestCommands.newImageId();
        assertTrue(get(admin.propose(TestCommands.create(id))).isOk());

        admin.remove("n4");
        assertTrue(admin.members().stream().noneMatch(p -> p.id().equals("n4")), () -> "members: " + admin.members());
        cluster.stop("n4");
        assertTrue(get(admin.propose(TestCommands.create(TestCommands.newImageId()))).isOk(), "three voters still commit");
        assertEquals(3, admin.members().size());
        InProcessCluster.await(BOUND, () -> cluster.running().stream().allMatch(s -> s.members().size() == 3
                        && s.members().stream().allMatch(RegistryPeer::isVoter)),
                () -> "members as the servers see them: " + cluster.running().stream().map(RegistryServer::members).toList());
    }

    @Test
    @Order(7)
    void aClientWithoutALocalMemberReadsAtTheLeader() throws Exception {
        Registry remote = cluster.remoteRegistry();
        String id = TestCommands.newImageId();
        assertTrue(get(remote.propose(TestCommands.create(id))).isOk());
        assertTrue(get(remote.read(TestCommands.record(id))).isOk());
        InProcessCluster.await(BOUND, () -> remote.readLocal(TestCommands.record(id)).isOk(), () -> "stale read never saw " + id);
        assertEquals(Result.Code.NOT_FOUND, get(remote.read(TestCommands.record(TestCommands.newImageId()))).code());
    }

    @Test
    @Order(8)
    void anUndecodableProposalIsRefusedBeforeItReachesTheLog() throws Exception {
        String leader = cluster.awaitLeader(BOUND);
        long appliedBefore = cluster.server(leader).stateMachine().appliedIndex();
        RaftProperties p = new RaftProperties();
        RaftConfigKeys.Rpc.setType(p, SupportedRpcType.NETTY);
        try (RaftClient raw = RaftClient.newBuilder().setProperties(p).setRaftGroup(cluster.server(leader).group())
                .setRetryPolicy(RetryPolicies.noRetry()).build()) {
            byte[] garbage = {1, 2, 3, 4};
            boolean refused;
            try {
                RaftClientReply reply = raw.io().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(garbage)));
                refused = !reply.isSuccess();
            } catch (IOException e) {
                refused = true;
            }
            assertTrue(refused, "garbage was accepted");
        }
        Registry r = cluster.registry(leader);
        assertTrue(get(r.propose(TestCommands.create(TestCommands.newImageId()))).isOk(), "the cluster still works");
        cluster.awaitConverged(BOUND);
        for (RegistryServer s : cluster.running()) assertTrue(s.role().isPresent(), s.nodeId() + " stopped");
        assertTrue(cluster.server(leader).stateMachine().appliedIndex() > appliedBefore);
    }

    @Test
    @Order(9)
    void afterTheWorkloadEveryMemberReportsTheSameDigestAtTheSameAppliedIndex() throws Exception {
        Registry r = cluster.registry(cluster.awaitLeader(BOUND));
        assertTrue(get(r.propose(new Command.MarkAudit(TestCommands.NOW_MILLIS, "audit-1", "test"))).isOk());
        Payload.Digest agreed = cluster.awaitConverged(BOUND);
        for (RegistryServer s : cluster.running()) {
            Payload.Digest d = s.stateMachine().digest();
            assertEquals(agreed, d, s.nodeId());
            assertEquals(d.appliedIndex(), s.stateMachine().appliedIndex());
        }
        // The leader's linearizable digest agrees too.
        Payload.Digest viaRead = get(r.read(new Query.Digest())).value(Payload.Digest.class);
        assertEquals(agreed, viaRead);
    }
}
