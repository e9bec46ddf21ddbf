package io.glint.node.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.glint.node.chunk.ChunkIds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.glint.node.cluster.ClusterProcesses.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reaper and the auditor with real node processes on 127.0.0.1 (three nodes, R=3, 1 MiB
 * chunks, short delays): delayed delete purges an image and its unshared chunks but keeps a chunk
 * another image shares; a coordinator killed mid-upload leaves an image that goes back to queued
 * and chunks that are reaped; damaged chunk files on one node are found and restored while
 * downloads stay correct.
 */
@org.junit.jupiter.api.Tag("long-cluster")
class ClusterBackgroundServicesTest {
    static final int MIB = 1024 * 1024;

    @TempDir
    Path dir;

    /** The ids of the 1 MiB chunks of {@code d}, in order. */
    static List<String> chunkIds(byte[] d) {
        List<String> ids = new ArrayList<>();
        for (int off = 0; off < d.length; off += MIB) ids.add(ChunkIds.describe(d, off, Math.min(MIB, d.length - off)).id());
        return ids;
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, off, p.length);
            off += p.length;
        }
        return out;
    }

    static Path chunkFile(ClusterProcesses c, int node, String id) {
        return c.dir.resolve(ClusterProcesses.id(node)).resolve("chunks").resolve("chunks")
                .resolve(id.substring(0, 2)).resolve(id.substring(2, 4)).resolve(id);
    }

    static Set<String> chunksOnQuietly(ClusterProcesses c, int node) {
        try {
            return c.chunksOn(node);
        } catch (IOException e) {
            return null;
        }
    }

    /** A counter of the auditor or reaper section of node i's status page, or -1 when it does not answer. */
    static long counter(ClusterProcesses c, int node, String section, String name) {
        try {
            return c.status(node).path(section).path(name).asLong(-1);
        } catch (IOException e) {
            return -1;
        }
    }

    static String imageStatus(ClusterProcesses c, int node, String imageId) {
        try {
            HttpResponse<String> r = c.get(node, "/v2/images/" + imageId);
            return r.statusCode() == 200 ? ClusterProcesses.JSON.readTree(r.body()).path("status").asText() : "http-" + r.statusCode();
        } catch (IOException e) {
            return "unreachable";
        }
    }

    /**
     * Delayed delete: image A and image B share their first chunk (identical bytes, stored once).
     * DELETE A leaves it pending_delete with its data on disk; after delete.delaySeconds the leader
     * purges it, and once the grace is over every node deletes A's other chunks. B's chunks,
     * the shared one included, stay on every node and B downloads intact everywhere.
     */
    @Test
    void aDelayedDeleteIsPurgedAndOnlyItsUnsharedChunksAreReaped() throws Exception {
        String yaml = """
                api:
                  delayedDelete: true
                delete:
                  delaySeconds: 5
                upload:
                  maxDurationSeconds: 8
                reaper:
                  graceSeconds: 10
                  intervalSeconds: 1
                """;
        try (ClusterProcesses c = new ClusterProcesses(dir, 3, 3, yaml)) {
            c.startAll();
            byte[] shared = ClusterProcesses.randomBytes(MIB, 1);
            byte[] a = concat(shared, ClusterProcesses.randomBytes(MIB + 300_000, 2));
            byte[] b = concat(shared, ClusterProcesses.randomBytes(500_000, 3));
            List<String> chunksA = chunkIds(a);
            List<String> chunksB = chunkIds(b);
            assertEquals(chunksA.get(0), chunksB.get(0), "the images share their first chunk");
            Set<String> onlyA = new LinkedHashSet<>(chunksA);
            chunksB.forEach(onlyA::remove);
            assertEquals(2, onlyA.size());

            String imageA = c.createImage(0, "a");
            String imageB = c.createImage(1, "b");
            assertEquals(204, c.upload(0, imageA, a).statusCode());
            assertEquals(204, c.upload(1, imageB, b).statusCode());
            Set<String> all = new LinkedHashSet<>(chunksA);
            all.addAll(chunksB);
            await(Duration.ofSeconds(60), () -> c.copies(all, List.of(0, 1, 2)).values().stream().allMatch(n -> n == 3),
                    "every chunk of both images on all three nodes");

            HttpResponse<String> del = c.send(HttpRequest.newBuilder(URI.create(c.url(2) + "/v2/images/" + imageA))
                    .timeout(Duration.ofSeconds(30)).DELETE().build());
            assertEquals(204, del.statusCode(), del.body());
            assertEquals("http-404", imageStatus(c, 0, imageA), "a pending_delete image is gone for the API");
            Map<String, Integer> copiesWhilePending = c.copies(onlyA, List.of(0, 1, 2));
            long purgedSoFar = 0;
            for (int i = 0; i < 3; i++) purgedSoFar += counter(c, i, "reaper", "purged");
            assertEquals(0, purgedSoFar, "the image waits for delete.delaySeconds before it is purged");
            assertTrue(copiesWhilePending.values().stream().allMatch(n -> n == 3),
                    "a pending_delete image keeps its data: " + copiesWhilePending);

            await(Duration.ofSeconds(90), () -> c.copies(onlyA, List.of(0, 1, 2)).values().stream().allMatch(n -> n == 0),
                    "A's unshared chunks deleted from every node after the delay and the grace");
            long purged = 0;
            for (int i = 0; i < 3; i++) purged += counter(c, i, "reaper", "purged");
            assertEquals(1, purged, "purged once, by the leader");
            long orphansDeleted = 0;
            for (int i = 0; i < 3; i++) orphansDeleted += counter(c, i, "reaper", "orphans_deleted");
            assertEquals(3 * onlyA.size(), orphansDeleted, "each node reaped its own copies");
            assertTrue(c.copies(chunksB, List.of(0, 1, 2)).values().stream().allMatch(n -> n == 3),
                    "B's chunks, the shared one included, stay on every node");
            for (int i = 0; i < 3; i++) assertArrayEquals(b, c.download(i, imageB), "B from " + ClusterProcesses.id(i));
            assertEquals(404, c.get(1, "/v2/images/" + imageA + "/file").statusCode());
        }
    }

    /**
     * The coordinator of an upload is killed with SIGKILL mid-stream. Its lease is no longer
     * renewed: the leader's reaper takes it back and the image is queued again; the chunks the
     * upload wrote are unreferenced and the survivors delete them once the grace is over (and the
     * killed node deletes its own once it is back); a new upload of the image through another node
     * succeeds.
     */
    @Test
    void aCoordinatorKilledMidUploadLeavesAQueuedImageAndReapedChunks() throws Exception {
        String yaml = """
                upload:
                  leaseSeconds: 4
                  maxDurationSeconds: 8
                reaper:
                  graceSeconds: 10
                  intervalSeconds: 1
                """;
        try (ClusterProcesses c = new ClusterProcesses(dir, 3, 3, yaml)) {
            c.startAll();
            int leader = c.leaderIndex();
            int coordinator = (leader + 1) % 3;
            int other = (leader + 2) % 3;
            List<Integer> survivors = List.of(leader, other);
            byte[] d = ClusterProcesses.randomBytes(24 * MIB, 7);
            Set<String> dataChunks = new LinkedHashSet<>(chunkIds(d));
            String id = c.createImage(coordinator, "killed-mid-upload");
            ClusterFailoverTest.SlowStream body = new ClusterFailoverTest.SlowStream(d, 32 * 1024, 5);
            CompletableFuture<Integer> upload = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.send(HttpRequest.newBuilder(URI.create(c.url(coordinator) + "/v2/images/" + id + "/file"))
                            .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/octet-stream")
                            .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> body)).build()).statusCode();
                } catch (IOException e) {
                    return -1;
                }
            });
            await(Duration.ofSeconds(60), () -> {
                Set<String> on = chunksOnQuietly(c, other);
                return upload.isDone() || (on != null && on.stream().filter(dataChunks::contains).count() >= 2);
            }, "a few chunks of the upload on the other nodes");
            assertFalse(upload.isDone(), "the upload is still streaming when its coordinator dies");
            assertEquals("saving", imageStatus(c, leader, id));
            c.kill9(coordinator);
            int answered = upload.get(120, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(answered != 204, "the upload can not have succeeded: " + answered);

            await(Duration.ofSeconds(60), () -> imageStatus(c, leader, id).equals("queued"),
                    "the image is queued again once its lease has expired");
            assertTrue(counter(c, leader, "reaper", "leases_expired") >= 1, "the leader's reaper took the lease back");
            await(Duration.ofSeconds(90), () -> c.copies(dataChunks, survivors).values().stream().allMatch(n -> n == 0),
                    "the dead upload's chunks reaped on the surviving nodes");

            byte[] again = ClusterProcesses.randomBytes(3 * MIB + 17, 8);
            HttpResponse<String> retry = c.upload(other, id, again);
            assertEquals(204, retry.statusCode(), retry.body());
            for (int i : survivors) assertArrayEquals(again, c.download(i, id));

            c.start(coordinator);
            c.awaitHealthy(coordinator);
            await(Duration.ofSeconds(90), () -> {
                Set<String> on = chunksOnQuietly(c, coordinator);
                return on != null && on.stream().noneMatch(dataChunks::contains) && on.containsAll(chunkIds(again));
            }, "the restarted coordinator reaped its own copies of the dead upload's chunks and holds the new image");
            assertArrayEquals(again, c.download(coordinator, id));
        }
    }

    /**
     * On one node, flip a byte in one chunk file, truncate a second and delete a third, behind the
     * node's back. Its auditor finds all three (deep and light passes a second or two apart),
     * quarantines the bad ones and has the replicator fetch good copies: each file holds its right
     * bytes again. Downloads from the other nodes run the whole time and always get the right
     * bytes, and at the end the damaged node serves the image intact.
     */
    @Test
    void theAuditorFindsAndRestoresDamagedChunkFilesWhileDownloadsStayCorrect() throws Exception {
        String yaml = """
                audit:
                  lightIntervalSeconds: 1
                  deepIntervalSeconds: 2
                """;
        try (ClusterProcesses c = new ClusterProcesses(dir, 3, 3, yaml)) {
            c.startAll();
            byte[] d = ClusterProcesses.randomBytes(5 * MIB + 4321, 9);
            List<String> ids = chunkIds(d);
            String id = c.createImage(0, "audited");
            assertEquals(204, c.upload(0, id, d).statusCode());
            await(Duration.ofSeconds(60), () -> c.copies(ids, List.of(0, 1, 2)).values().stream().allMatch(n -> n == 3),
                    "every chunk on all three nodes");

            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger reads = new AtomicInteger();
            List<String> readErrors = Collections.synchronizedList(new ArrayList<>());
            Thread reader = new Thread(() -> {
                for (int round = 0; round < 10_000 && !stop.get(); round++) {
                    int node = round % 2 == 0 ? 0 : 2;
                    try {
                        if (!Arrays.equals(d, c.download(node, id))) readErrors.add("round " + round + " node " + node);
                    } catch (IOException e) {
                        readErrors.add("round " + round + " node " + node + ": " + e);
                    }
                    reads.incrementAndGet();
                }
            }, "reader");
            int victim = 1;
            String flipped = ids.get(0);
            String truncated = ids.get(1);
            String deleted = ids.get(2);
            reader.start();
            try {
                Path f = chunkFile(c, victim, flipped);
                byte[] bad = Files.readAllBytes(f);
                bad[bad.length / 2] ^= 0x20;
                Files.write(f, bad);
                Path t = chunkFile(c, victim, truncated);
                Files.write(t, Arrays.copyOf(Files.readAllBytes(t), 1000));
                Files.delete(chunkFile(c, victim, deleted));

                await(Duration.ofSeconds(90), () -> {
                    for (String chunk : List.of(flipped, truncated, deleted)) {
                        try {
                            byte[] now = Files.readAllBytes(chunkFile(c, victim, chunk));
                            if (!ChunkIds.describe(now, 0, now.length).id().equals(chunk)) return false;
                        } catch (IOException e) {
                            return false; // not back yet
                        }
                    }
                    return true;
                }, "the three damaged files hold their right bytes again on " + ClusterProcesses.id(victim));
            } finally {
                stop.set(true);
                reader.join(120_000);
            }
            assertEquals(List.of(), readErrors, "downloads during the damage and the repair");
            assertTrue(reads.get() > 0, "the reader ran");
            JsonNode audit = c.status(victim).path("auditor");
            assertTrue(audit.path("corrupt_found").asLong() >= 1, audit.toString());
            assertTrue(audit.path("truncated_found").asLong() >= 1, audit.toString());
            assertTrue(audit.path("missing_found").asLong() >= 1, audit.toString());
            assertTrue(audit.path("bytes_verified").asLong() > 0, "deep passes ran: " + audit);
            try (var q = Files.list(c.dir.resolve(ClusterProcesses.id(victim)).resolve("chunks").resolve("quarantine"))) {
                assertEquals(2, q.count(), "the flipped and the truncated copies are kept in quarantine");
            }
            assertArrayEquals(d, c.download(victim, id), "the damaged node serves the image intact");
            for (int i = 0; i < 3; i++) {
                if (i == victim) continue;
                JsonNode healthy = c.status(i).path("auditor");
                assertEquals(0, healthy.path("corrupt_found").asLong() + healthy.path("truncated_found").asLong(),
                        "no findings on an undamaged node: " + healthy);
            }
        }
    }
}
