package io.glint.node.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static io.glint.node.cluster.ClusterProcesses.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fault matrix #18: one node's wall clock five minutes behind the others' (libfaketime on its JVM;
 * its monotonic clock stays true). Leases and heartbeats carry that node's timestamps, and nothing
 * may trust them for safety: the leader must not mark the node DOWN, nor take back the lease of a
 * slow upload the node coordinates while it keeps renewing it.
 */
@Tag("long-cluster")
class ClockSkewTest {
    @TempDir
    Path dir;

    /** Debian's libfaketime (package faketime), preloaded into the skewed node's JVM. */
    static final Path LIBFAKETIME = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");

    static boolean faketimeInstalled() {
        return Files.isReadable(LIBFAKETIME);
    }

    @Test
    void aNodeFiveMinutesBehindStaysUpAndItsSlowUploadIsNotTakenBack() throws Exception {
        if (!faketimeInstalled()) {
            if ("true".equals(System.getenv("CI"))) fail("CI must install faketime (see .ci/run)");
            Assumptions.abort("faketime is not installed");
        }
        String yaml = """
                upload:
                  leaseSeconds: 4
                  maxDurationSeconds: 60
                reaper:
                  graceSeconds: 120
                  intervalSeconds: 1
                """;
        try (ClusterProcesses c = new ClusterProcesses(dir, 3, 3, yaml)) {
            c.startAll();
            int leader = c.leaderIndex();
            int skewed = (leader + 1) % 3;
            int other = (leader + 2) % 3;
            c.kill9(skewed);
            // The wall clock shifted only: the JVM's monotonic clock (and Ratis's timers) stay true.
            c.launchWithEnv(skewed, Map.of("LD_PRELOAD", LIBFAKETIME.toString(), "FAKETIME", "-300s",
                    "FAKETIME_DONT_FAKE_MONOTONIC", "1"));
            c.start(skewed);
            c.awaitHealthy(skewed);
            String skewedId = ClusterProcesses.id(skewed);
            // Up and heartbeating again: the silence of the restart itself may still get it marked
            // DOWN until its first heartbeats after the restart are committed.
            await(Duration.ofSeconds(60), () -> stateOf(c, other, skewedId).equals("UP") && membership(c, skewed, "heartbeats") >= 2,
                    skewedId + " UP and heartbeating again after its restart");
            // The skew is real: the skewed node's heartbeats carry times about five minutes old.
            long behindMillis = System.currentTimeMillis() - updatedAtOf(c, other, skewedId);
            assertTrue(behindMillis > 250_000 && behindMillis < 350_000,
                    skewedId + "'s last heartbeat is stamped " + behindMillis + " ms before now, not about 300 s");

            // An upload through the skewed node that lasts several lease lengths (12 MiB at ~1.6 MB/s).
            byte[] d = ClusterProcesses.randomBytes(12 * 1024 * 1024 + 9, 18);
            String id = c.createImage(skewed, "skewed-coordinator");
            ClusterFailoverTest.SlowStream body = new ClusterFailoverTest.SlowStream(d, 16 * 1024, 10);
            CompletableFuture<Integer> upload = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.send(HttpRequest.newBuilder(URI.create(c.url(skewed) + "/v2/images/" + id + "/file"))
                            .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/octet-stream")
                            .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> body)).build()).statusCode();
                } catch (IOException e) {
                    return -1;
                }
            });
            // While it streams, and until the skewed node has sent heartbeats for longer than
            // downAfterSeconds (1 s apart), no node marks anyone DOWN.
            long heartbeatsBefore = membership(c, skewed, "heartbeats");
            long[] markedBefore = new long[3]; // the restart itself may have been long enough for a DOWN
            for (int i = 0; i < 3; i++) markedBefore[i] = membership(c, i, "marked_down");
            await(Duration.ofSeconds(120), () -> upload.isDone()
                    && membership(c, skewed, "heartbeats") >= heartbeatsBefore + ClusterProcesses.DOWN_AFTER_SECONDS + 2,
                    "the upload ends and downAfterSeconds of heartbeats pass");
            for (int i = 0; i < 3; i++) {
                assertEquals(markedBefore[i], membership(c, i, "marked_down"), "the node whose clock is behind is never marked DOWN (asked "
                        + ClusterProcesses.id(i) + ")");
            }
            assertEquals("UP", stateOf(c, other, skewedId));
            assertEquals(204, (int) upload.get(), "the slow upload through the skewed node completes");
            assertArrayEquals(d, c.download(other, id));
            for (int i = 0; i < 3; i++) {
                JsonNode s = c.status(i);
                assertEquals(0, s.path("reaper").path("leases_expired").asLong(), "no lease taken back on " + ClusterProcesses.id(i));
            }

            // Timestamps stay sane: an image created through a node with a true clock and then
            // changed through the one five minutes behind is not updated before it was created.
            String fresh = c.createImage(other, "created-on-time");
            HttpResponse<String> tagged = c.send(HttpRequest.newBuilder(URI.create(c.url(skewed) + "/v2/images/" + fresh + "/tags/late"))
                    .timeout(Duration.ofSeconds(30)).PUT(HttpRequest.BodyPublishers.noBody()).build());
            assertEquals(204, tagged.statusCode(), tagged::body);
            JsonNode image = ClusterProcesses.JSON.readTree(c.get(other, "/v2/images/" + fresh).body());
            Instant created = Instant.parse(image.path("created_at").asText());
            Instant updated = Instant.parse(image.path("updated_at").asText());
            assertFalse(updated.isBefore(created), () -> "updated_at " + updated + " before created_at " + created + ": " + image);
        }
    }

    static long membership(ClusterProcesses c, int node, String counter) {
        try {
            return c.status(node).path("membership").path(counter).asLong();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Node {@code nodeId}'s record in node {@code asking}'s status page, or null when it is not listed. */
    static JsonNode recordOf(ClusterProcesses c, int asking, String nodeId) throws IOException {
        for (JsonNode n : c.status(asking).path("nodes")) if (n.path("id").asText().equals(nodeId)) return n;
        return null;
    }

    static long updatedAtOf(ClusterProcesses c, int asking, String nodeId) throws IOException {
        JsonNode n = recordOf(c, asking, nodeId);
        if (n == null) throw new AssertionError(nodeId + " is not in the node table");
        return n.path("updated_at_ms").asLong();
    }

    static String stateOf(ClusterProcesses c, int asking, String nodeId) {
        try {
            JsonNode n = recordOf(c, asking, nodeId);
            return n == null ? "absent" : n.path("state").asText();
        } catch (IOException e) {
            return "no answer";
        }
    }
}
