package io.glint.registry.ratis;

import io.glint.registry.command.Codec;
import io.glint.registry.command.Command;
import io.glint.registry.machine.RandomCommands;
import io.glint.registry.machine.RegistryMachine;
import io.glint.registry.model.AuditDigest;
import io.glint.registry.model.AuditMark;
import io.glint.registry.model.AuditReport;
import io.glint.registry.model.Image;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;
import io.glint.registry.rocks.RocksRegistryStore;
import io.glint.registry.store.InMemoryStore;
import io.glint.registry.store.Records;
import io.glint.registry.store.StateDigest;
import io.glint.registry.store.Table;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.server.raftlog.RaftLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry side of the consistency audit (DESIGN §6) on three real members: an audit mark
 * makes every member digest its state at the mark's log index, off the apply thread. The digests
 * agree, they are of exactly that index (checked against a replay of the Raft log up to it), and
 * a member whose RocksDB was altered behind the log's back stands out.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RegistryAuditTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

    private static Result get(CompletableFuture<Result> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    private static void awaitAll(List<CompletableFuture<Result>> futures) throws Exception {
        for (CompletableFuture<Result> f : futures) get(f);
    }

    private static String auditId(int n) {
        return String.format("a-%013d-%08x", TestCommands.NOW_MILLIS + n, n);
    }

    /** Waits until every running member has finished its digest of the mark; returns them by member. */
    private static Map<String, AuditDigest> awaitDigests(InProcessCluster cluster, String auditId) {
        Map<String, AuditDigest> out = new HashMap<>();
        InProcessCluster.await(BOUND, () -> {
            out.clear();
            for (RegistryServer s : cluster.running()) {
                AuditDigest d = s.auditDigest(auditId).orElse(null);
                if (d == null || !d.isFinished()) return false;
                out.put(s.nodeId(), d);
            }
            return true;
        }, () -> auditId + " digests: " + digestsOf(cluster, auditId));
        return Map.copyOf(out);
    }

    private static String digestsOf(InProcessCluster cluster, String auditId) {
        StringBuilder sb = new StringBuilder();
        for (RegistryServer s : cluster.running()) sb.append(s.nodeId()).append('=').append(s.auditDigest(auditId)).append(' ');
        return sb.toString();
    }

    /** Every member done, at the mark's index, each naming itself, all with one digest; returns it. */
    private static String assertAgreed(Map<String, AuditDigest> digests, AuditMark mark) {
        assertEquals(3, digests.size());
        digests.forEach((member, d) -> {
            assertEquals(AuditDigest.DONE, d.state(), () -> member + ": " + d);
            assertEquals(mark.logIndex(), d.logIndex(), member);
            assertEquals(member, d.memberId());
            assertEquals(mark.auditId(), d.auditId());
        });
        assertEquals(1, digests.values().stream().map(AuditDigest::sha256Hex).distinct().count(), digests::toString);
        return digests.values().iterator().next().sha256Hex();
    }

    /**
     * The state digest at {@code index} computed independently of the member's store: the member's
     * Raft log replayed from the start into an in-memory store (which digests the same as RocksDB
     * for the same log, see DeterminismTest).
     */
    private static String replayedDigest(InProcessCluster cluster, String member, long index) throws Exception {
        RaftLog log = cluster.division(member).getRaftLog();
        assertTrue(log.getStartIndex() <= 1, "the log was purged; raise the snapshot threshold: " + log.getStartIndex());
        InMemoryStore replay = new InMemoryStore();
        for (long i = Math.max(0, log.getStartIndex()); i <= index; i++) {
            LogEntryProto entry = log.get(i);
            if (entry == null || !entry.hasStateMachineLogEntry()) continue;
            List<Command> commands = Codec.decodeBatch(entry.getStateMachineLogEntry().getLogData().toByteArray());
            RegistryMachine.Applied applied = RegistryMachine.applyEntry(replay, i, commands);
            replay.commit(applied.mutations(), entry.getTerm(), i);
        }
        assertEquals(index, replay.applied().index(), "the mark's entry is a state machine entry");
        return StateDigest.hex(replay);
    }

    @Test
    void everyMemberDigestsTheSameStateAtExactlyTheMarksIndex(@TempDir Path root) throws Exception {
        try (InProcessCluster cluster = InProcessCluster.builder(root).clusterName("audit-test").voters(3).start()) {
            String leader = cluster.awaitLeader(BOUND);
            Registry r = cluster.registry(leader);
            // a randomized workload, group-committed: many commands are refused, which still moves the log
            List<CompletableFuture<Result>> workload = new ArrayList<>();
            for (List<Command> entry : new RandomCommands(11).log(300, 4)) {
                for (Command c : entry) workload.add(r.propose(c));
            }
            awaitAll(workload);

            // The mark is proposed amid other writes: some share its (group-committed) entry, and a
            // second client keeps writing entries of its own until well after the mark is applied,
            // so a digest taken at any later index than the mark's would differ from the replay.
            Registry other = cluster.registry(cluster.aFollower());
            AtomicBoolean stop = new AtomicBoolean();
            CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> {
                int n = 0;
                while (!stop.get() && n < 2_000) {
                    other.propose(TestCommands.create(TestCommands.newImageId())).join();
                    n++;
                }
                return n;
            });
            List<CompletableFuture<Result>> around = new ArrayList<>();
            for (int i = 0; i < 30; i++) around.add(r.propose(TestCommands.create(TestCommands.newImageId())));
            CompletableFuture<Result> marking = r.propose(new Command.MarkAudit(TestCommands.NOW_MILLIS, auditId(1), "op"));
            for (int i = 0; i < 30; i++) around.add(r.propose(TestCommands.create(TestCommands.newImageId())));
            AuditMark first = get(marking).value(AuditMark.class);
            awaitAll(around);
            RegistryStateMachine leaderSm = cluster.server(leader).stateMachine();
            InProcessCluster.await(BOUND, () -> leaderSm.appliedIndex() > first.logIndex() + 10,
                    () -> "no writes after the mark at " + first.logIndex() + ": " + leaderSm.appliedIndex());
            stop.set(true);
            assertTrue(writer.get(60, TimeUnit.SECONDS) > 0);

            String firstDigest = assertAgreed(awaitDigests(cluster, first.auditId()), first);
            assertEquals(replayedDigest(cluster, leader, first.logIndex()), firstDigest);
            for (RegistryServer s : cluster.running()) {
                assertEquals(firstDigest, replayedDigest(cluster, s.nodeId(), first.logIndex()), s.nodeId());
            }
            assertNotEquals(firstDigest, cluster.awaitConverged(BOUND).sha256Hex());

            // a second mark of the same id is refused and changes nothing on any member
            Result again = get(r.propose(new Command.MarkAudit(TestCommands.NOW_MILLIS, auditId(1), "op")));
            assertEquals(Result.Code.CONFLICT, again.code());
            assertEquals(firstDigest, assertAgreed(awaitDigests(cluster, first.auditId()), first));

            List<CompletableFuture<Result>> more = new ArrayList<>();
            for (List<Command> entry : new RandomCommands(12).log(100, 4)) {
                for (Command c : entry) more.add(r.propose(c));
            }
            awaitAll(more);
            AuditMark second = get(r.propose(new Command.MarkAudit(TestCommands.NOW_MILLIS, auditId(2), "op")))
                    .value(AuditMark.class);
            assertTrue(second.logIndex() > first.logIndex());
            String secondDigest = assertAgreed(awaitDigests(cluster, second.auditId()), second);
            assertNotEquals(firstDigest, secondDigest);
            assertEquals(replayedDigest(cluster, cluster.aFollower(), second.logIndex()), secondDigest);
            // nothing was written after the second mark: each member's current state is the marked one
            Payload.Digest now = cluster.awaitConverged(BOUND);
            assertEquals(new Payload.Digest(second.logIndex(), secondDigest), now);
            assertEquals(firstDigest, cluster.server(leader).auditDigest(first.auditId()).orElseThrow().sha256Hex());
            assertTrue(cluster.server(leader).auditDigest(auditId(3)).isEmpty(), "a mark never applied");

            // reports: the coordinator saves "running", then a "done" report as large as allowed
            assertEquals(Result.Code.NOT_FOUND, get(r.propose(new Command.SaveAuditReport(1, auditId(3), "{}"))).code());
            assertTrue(get(r.propose(new Command.SaveAuditReport(1, first.auditId(), "{\"state\":\"running\"}"))).isOk());
            String big = "{\"state\":\"done\",\"pad\":\""
                    + "x".repeat(Command.SaveAuditReport.REPORT_MAX_UTF8_BYTES - 30) + "\"}";
            AuditReport saved = get(r.propose(new Command.SaveAuditReport(2, first.auditId(), big))).value(AuditReport.class);
            assertEquals(new AuditReport(first.auditId(), first.logIndex(), 2, big), saved);
            Registry remote = cluster.remoteRegistry();
            assertEquals(saved, get(remote.read(new Query.GetAuditReport(first.auditId()))).value(AuditReport.class));
            cluster.awaitConverged(BOUND);
            for (RegistryServer s : cluster.running()) {
                assertEquals(saved, s.stateMachine().readLocal(new Query.GetAuditReport(first.auditId())).value(AuditReport.class));
            }
            AuditMark.Marks marks = get(remote.read(new Query.ListAudits(null, 10))).value(AuditMark.Marks.class);
            assertEquals(List.of(second.auditId(), first.auditId()),
                    marks.audits().stream().map(AuditMark::auditId).filter(id -> id.startsWith("a-")).toList());
        }
    }

    @Test
    void aMemberWhoseStoreWasAlteredOutsideTheLogStandsOut(@TempDir Path root) throws Exception {
        try (InProcessCluster cluster = InProcessCluster.builder(root).clusterName("tamper-test").voters(3).start()) {
            String leader = cluster.awaitLeader(BOUND);
            Registry r = cluster.registry(leader);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = TestCommands.newImageId();
                assertTrue(get(r.propose(TestCommands.create(id))).isOk());
                ids.add(id);
            }
            cluster.awaitConverged(BOUND);
            String victim = cluster.aFollower();
            String target = ids.get(7);
            cluster.stop(victim);

            Path db = cluster.storageDir(victim).resolve(RegistryServer.groupId("tamper-test").getUuid().toString())
                    .resolve("sm").resolve(CheckpointSnapshots.DB_DIR);
            try (RocksRegistryStore store = RocksRegistryStore.open(db)) {
                Image image = Records.image(store, target);
                Image altered = image.withTags(List.of("tampered"), image.updatedAtMillis());
                store.rawPut(Table.IMAGES, Records.utf8(target), Codec.encodeRecord(altered));
            }

            RegistryServer restarted = cluster.start(victim);
            long leaderIndex = cluster.server(leader).stateMachine().appliedIndex();
            InProcessCluster.await(BOUND, () -> restarted.stateMachine().appliedIndex() >= leaderIndex,
                    () -> victim + " at " + restarted.stateMachine().appliedIndex() + ", leader at " + leaderIndex);
            // the restart replayed nothing over it and installed no snapshot: the alteration is still there
            Image seen = restarted.stateMachine().readLocal(TestCommands.record(target)).value(Image.class);
            assertEquals(List.of("tampered"), seen.tags(), "the tamper survived the restart");

            AuditMark mark = get(r.propose(new Command.MarkAudit(TestCommands.NOW_MILLIS, auditId(1), "op")))
                    .value(AuditMark.class);
            Map<String, AuditDigest> digests = awaitDigests(cluster, mark.auditId());
            assertEquals(3, digests.size());
            digests.forEach((member, d) -> {
                assertEquals(AuditDigest.DONE, d.state(), member);
                assertEquals(mark.logIndex(), d.logIndex(), member);
            });
            List<String> healthy = cluster.running().stream().map(RegistryServer::nodeId).filter(id -> !id.equals(victim)).toList();
            assertEquals(2, healthy.size());
            String good = digests.get(healthy.get(0)).sha256Hex();
            assertEquals(good, digests.get(healthy.get(1)).sha256Hex(), "the untouched members agree");
            assertNotEquals(good, digests.get(victim).sha256Hex(), "the altered member stands out");
            assertEquals(replayedDigest(cluster, leader, mark.logIndex()), good);
            assertEquals(List.of("tampered"), restarted.stateMachine().readLocal(TestCommands.record(target))
                    .value(Image.class).tags(), "still altered when the mark was applied");
        }
    }
}
