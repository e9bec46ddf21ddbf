package io.glint.registry.ratis;

import io.glint.registry.model.Payload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Restarts of a single member over damaged or missing local state. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RegistryRecoveryTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

    /**
     * A crash after Ratis received a snapshot but before the database was swapped for it leaves a
     * store older than the newest snapshot (here: no store at all). On start the member installs
     * the snapshot's checkpoint, then replays the log after it, and ends where it was.
     */
    @Test
    void aMemberWhoseStoreIsBehindItsNewestSnapshotInstallsItOnStart(@TempDir Path root) throws Exception {
        List<String> ids = new ArrayList<>();
        Payload.Digest before;
        try (InProcessCluster cluster = InProcessCluster.builder(root).clusterName("recovery-test").voters(1)
                .snapshotThresholdEntries(16).logSegmentSizeBytes(16 << 10).logPurgeGapEntries(4).start()) {
            Registry r = cluster.registry("n1");
            for (int i = 0; i < 40; i++) {
                String id = TestCommands.newImageId();
                assertTrue(r.propose(TestCommands.create(id)).get(60, TimeUnit.SECONDS).isOk());
                ids.add(id);
            }
            before = cluster.server("n1").stateMachine().digest();
            assertNotNull(cluster.server("n1").stateMachine().getLatestSnapshot(), "no automatic snapshot was taken");
            cluster.stop("n1");

            Path sm = cluster.storageDir("n1").resolve(RegistryServer.groupId("recovery-test").getUuid().toString())
                    .resolve("sm");
            Path db = sm.resolve(CheckpointSnapshots.DB_DIR);
            assertTrue(Files.isDirectory(db), "store directory at " + db);
            io.glint.registry.rocks.StoreDirs.deleteTree(db);
            assertFalse(Files.exists(db));

            RegistryServer restarted = cluster.start("n1");
            cluster.awaitLeader(BOUND);
            InProcessCluster.await(BOUND, () -> restarted.stateMachine().appliedIndex() >= before.appliedIndex(),
                    () -> "restarted member at " + restarted.stateMachine().appliedIndex());
            assertEquals(before, restarted.stateMachine().digest());
            for (String id : ids) assertTrue(restarted.stateMachine().readLocal(TestCommands.record(id)).isOk(), id);
            Registry again = cluster.registry("n1");
            assertTrue(again.propose(TestCommands.create(TestCommands.newImageId())).get(60, TimeUnit.SECONDS).isOk());
        }
    }

    /**
     * A node's data made under one cluster name, started under another (an edited {@code
     * raft.clusterName}), is refused with an error that says so, and nothing is written beside it;
     * under its own name it starts again with its data. Before, Ratis formatted a second, empty group
     * beside the old one and then failed with "ILLEGAL TRANSITION ... STARTING -> STARTING", under
     * either name.
     */
    @Test
    void storageOfAnotherClusterNameIsRefusedAndLeftAsItWas(@TempDir Path root) throws Exception {
        String id = TestCommands.newImageId();
        Path storage;
        try (InProcessCluster a = InProcessCluster.builder(root).clusterName("cluster-a").voters(1).start()) {
            assertTrue(a.registry("n1").propose(TestCommands.create(id)).get(60, TimeUnit.SECONDS).isOk());
            storage = a.storageDir("n1");
        }
        List<Path> before;
        try (var entries = Files.list(storage)) {
            before = entries.sorted().toList();
        }

        InProcessCluster.Builder renamed = InProcessCluster.builder(root).clusterName("cluster-b").voters(1);
        RegistryServer.ForeignStorageException e =
                org.junit.jupiter.api.Assertions.assertThrows(RegistryServer.ForeignStorageException.class, renamed::start);
        assertTrue(e.getMessage().contains("'cluster-b'"), e.getMessage());
        assertTrue(e.getMessage().contains(RegistryServer.groupId("cluster-a").getUuid().toString()), e.getMessage());
        assertTrue(e.getMessage().contains(storage.toString()), e.getMessage());
        try (var entries = Files.list(storage)) {
            assertEquals(before, entries.sorted().toList(), "nothing was made beside the old group");
        }

        try (InProcessCluster again = InProcessCluster.builder(root).clusterName("cluster-a").voters(1).start()) {
            RegistryServer s = again.server("n1");
            InProcessCluster.await(BOUND, () -> s.stateMachine().readLocal(TestCommands.record(id)).isOk(),
                    () -> "the image made before is back, applied " + s.stateMachine().appliedIndex());
        }
    }
}
