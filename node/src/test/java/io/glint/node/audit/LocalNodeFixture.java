package io.glint.node.audit;

import io.glint.node.chunk.ChunkIds;
import io.glint.node.chunk.ChunkStore;
import io.glint.node.cluster.ClusterView;
import io.glint.node.cluster.LocalChunkIndex;
import io.glint.node.cluster.Placement;
import io.glint.node.cluster.Replicator;
import io.glint.registry.DirectRegistry;
import io.glint.registry.command.Command;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.Identity;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;
import io.glint.registry.model.Result;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.Visibility;
import io.glint.registry.store.InMemoryStore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One node's real parts for the auditor and reaper tests: a chunk store in a temp volume, its
 * per-group index, the in-process registry ({@link DirectRegistry} over the in-memory store) with
 * this node alone in the node table (so every group is placed here), and helpers that write chunks
 * and commit images that reference them.
 */
public final class LocalNodeFixture {
    public static final String SELF = "n1";
    public final DirectRegistry registry = new DirectRegistry(new InMemoryStore());
    public final ChunkStore store;
    public final LocalChunkIndex index;
    public final ClusterView view;

    public LocalNodeFixture(Path volume) throws IOException {
        NodeInfo me = new NodeInfo(SELF, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "default", 0, NodeState.UP, 0, 0);
        assertTrue(registry.propose(new Command.JoinNode(1, me)).join().isOk());
        view = new ClusterView(registry, SELF, 3);
        view.refresh();
        store = new ChunkStore(volume, ChunkStore.WriteMode.BUFFERED);
        index = LocalChunkIndex.build(store, view.placement().pgCount());
    }

    public static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes a chunk of {@code n} random bytes to the store. */
    public ChunkInfo putChunk(int n, long seed) throws IOException {
        byte[] b = bytes(n, seed);
        ChunkInfo info = ChunkIds.describe(b, 0, b.length);
        store.put(info, b, 0);
        return info;
    }

    public int pg(String chunkId) {
        return Placement.groupOf(chunkId, index.pgCount());
    }

    /** A new active image whose manifest lists {@code chunks}; returns its id. */
    public String commitImage(List<ChunkInfo> chunks) {
        String id = UUID.randomUUID().toString();
        long now = System.currentTimeMillis();
        ok(new Command.CreateImage(Identity.SYSTEM, now, id, "img", Visibility.PRIVATE, false, false, "p", 0, 0,
                "bare", "raw", List.of(), Map.of()));
        String lease = "lease-" + id;
        ok(new Command.BeginUpload(Identity.SYSTEM, now, id, UploadKind.UPLOAD, lease, SELF, now + 60_000));
        long size = chunks.stream().mapToLong(ChunkInfo::lengthBytes).sum();
        ok(new Command.CommitUpload(now, id, lease, new ChunkManifest(id, chunks, size, "0".repeat(32), "sha512",
                "0".repeat(128)), null, null));
        return id;
    }

    public Result ok(Command c) {
        Result r = registry.propose(c).join();
        assertTrue(r.isOk(), () -> c.getClass().getSimpleName() + ": " + r);
        return r;
    }

    /** Polls {@code condition} every 50 ms for up to 30 s. */
    public static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        io.glint.node.Poll.until(java.time.Duration.ofSeconds(30), java.time.Duration.ofMillis(50), condition, () -> what);
    }

    /** A throttle on a fake clock: waiting advances the clock instead of sleeping, and is summed. */
    public static final class FakeTime {
        public long nanos;
        public long sleptNanos;

        public Replicator.Throttle throttle(long perSecond) {
            return new Replicator.Throttle(perSecond, () -> nanos, n -> {
                nanos += n;
                sleptNanos += n;
            });
        }
    }
}
