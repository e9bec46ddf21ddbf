package io.glint.node.cluster;

import io.glint.node.chunk.ChunkIds;
import io.glint.node.chunk.ChunkStore;
import io.glint.registry.DirectRegistry;
import io.glint.registry.command.Command;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;
import io.glint.registry.store.InMemoryStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How many copies a write needs, decided against the registry's node table: acks are capped by
 * the cluster's size, never by the nodes that happen to be up, so a cluster that lost two of its
 * three nodes refuses a write instead of keeping one copy; a lone node writes its one copy.
 */
class ReplicatedChunksTest {
    @TempDir
    Path dir;
    final ExecutorService io = Executors.newFixedThreadPool(2);

    @AfterEach
    void stop() {
        io.shutdownNow();
    }

    static NodeInfo node(String id, int peerPort) {
        return new NodeInfo(id, "127.0.0.1:1", "127.0.0.1:" + peerPort, "127.0.0.1:3", "default", 0, NodeState.UP, 0, 0);
    }

    private ReplicatedChunks chunks(DirectRegistry registry, ChunkStore store) {
        ClusterView view = new ClusterView(registry, "n1", 3);
        return new ReplicatedChunks(view, store, new PeerClient("test-secret-123", Duration.ofSeconds(2)), io, replicas -> Math.min(2, replicas),
                5_000);
    }

    private static ChunkInfo chunk(byte[] b) {
        return ChunkIds.describe(b, 0, b.length);
    }

    @Test
    void aLoneNodeKeepsItsOneCopy() throws Exception {
        DirectRegistry registry = new DirectRegistry(new InMemoryStore());
        assertTrue(registry.propose(new Command.JoinNode(1, node("n1", 1))).get().isOk());
        ChunkStore store = new ChunkStore(dir.resolve("v"));
        byte[] b = new byte[5000];
        new Random(1).nextBytes(b);
        assertTrue(chunks(registry, store).put(chunk(b), b, 0));
        assertTrue(store.has(chunk(b).id()));
    }

    @Test
    void withTwoOfThreeNodesDownAWriteFailsInsteadOfKeepingOneCopy() throws Exception {
        DirectRegistry registry = new DirectRegistry(new InMemoryStore());
        for (String id : new String[]{"n1", "n2", "n3"}) {
            assertTrue(registry.propose(new Command.JoinNode(1, node(id, 1))).get().isOk());
        }
        for (String id : new String[]{"n2", "n3"}) {
            assertTrue(registry.propose(new Command.UpdateNode(2, id, NodeState.DOWN, null)).get().isOk());
        }
        ChunkStore store = new ChunkStore(dir.resolve("v"));
        byte[] b = new byte[5000];
        new Random(2).nextBytes(b);
        IOException e = assertThrows(IOException.class, () -> chunks(registry, store).put(chunk(b), b, 0));
        assertTrue(e.getMessage().contains("2 needed"), e.getMessage());
        assertFalse(store.has(chunk(b).id()), "nothing is written when the write can not be acknowledged");

        // A removed node no longer counts: with n3 removed and n2 down, one copy of two is still too few...
        assertTrue(registry.propose(new Command.RemoveNode(3, "n3")).get().isOk());
        assertThrows(IOException.class, () -> chunks(registry, store).put(chunk(b), b, 0));
        // ...and with n2 removed too the cluster is one node, which keeps its one copy.
        assertTrue(registry.propose(new Command.RemoveNode(4, "n2")).get().isOk());
        assertTrue(chunks(registry, store).put(chunk(b), b, 0));
        assertEquals(1, store.chunksWritten());
    }
}
