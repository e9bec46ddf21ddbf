package io.glint.node.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static io.glint.node.cluster.ClusterProcesses.JSON;
import static io.glint.node.cluster.ClusterProcesses.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Glance's cache API on a four-node cluster (R=3, so each node holds only part of an image): queuing
 * an image on a node pulls every chunk of it onto that node, the replicator leaves those chunks
 * there while the image is cached, downloads count as hits, and evicting it lets the replicator
 * hand the extra copies off again. The errors are Glance's.
 */
class ImageCacheClusterTest {
    @TempDir
    Path dir;

    static HttpResponse<String> call(ClusterProcesses c, int node, String method, String path, String... headers) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(c.url(node) + path)).timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return c.send(b.build());
    }

    static JsonNode cacheOf(ClusterProcesses c, int node) {
        try {
            HttpResponse<String> r = call(c, node, "GET", "/v2/cache");
            assertEquals(200, r.statusCode(), r.body());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static long replicatorPasses(ClusterProcesses c, int node) {
        try {
            return c.status(node).path("replicator").path("passes").asLong();
        } catch (IOException e) {
            return -1;
        }
    }

    static boolean isCached(ClusterProcesses c, int node, String imageId) {
        for (JsonNode e : cacheOf(c, node).path("cached_images")) if (e.path("image_id").asText().equals(imageId)) return true;
        return false;
    }

    @Test
    void queuingAnImagePullsItWholeOntoTheNodeAndEvictingLetsTheExtraCopiesGo() throws Exception {
        try (ClusterProcesses c = new ClusterProcesses(dir, 4, 3, "")) {
            c.startAll();
            byte[] data = new byte[12 * 1024 * 1024 + 5];
            new Random(7).nextBytes(data);
            String image = c.createImage(0, "cached");
            assertEquals(204, c.upload(0, image, data).statusCode());
            Set<String> all = new HashSet<>();
            for (int i = 0; i < 4; i++) all.addAll(c.chunksOn(i));
            assertEquals(13, all.size());
            // The replicator settles every chunk on exactly its three replicas; pick the node with the fewest.
            await(Duration.ofSeconds(60), () -> c.copies(all, java.util.List.of(0, 1, 2, 3)).values().stream().allMatch(n -> n == 3),
                    "every chunk on 3 of 4 nodes");
            int target = 0;
            for (int i = 1; i < 4; i++) if (c.chunksOn(i).size() < c.chunksOn(target).size()) target = i;
            Set<String> before = c.chunksOn(target);
            assertTrue(before.size() < all.size(), "the target node lacks part of the image");

            assertEquals(202, call(c, target, "PUT", "/v2/cache/" + image).statusCode());
            int t = target;
            await(Duration.ofSeconds(60), () -> isCached(c, t, image), "the image is cached on " + ClusterProcesses.id(t));
            assertTrue(c.chunksOn(target).containsAll(all), "every chunk is on the caching node");
            JsonNode entry = cacheOf(c, target).path("cached_images").get(0);
            assertEquals(data.length, entry.path("size").asLong());
            assertTrue(entry.path("last_modified").asDouble() > 1.6e9, "times are Unix epoch seconds");
            assertEquals(0, cacheOf(c, target).path("queued_images").size());

            // Several replicator passes later (each would hand a chunk that is not pinned off), the
            // pinned chunks are still there.
            long passesBefore = replicatorPasses(c, target);
            await(Duration.ofSeconds(60), () -> replicatorPasses(c, t) >= passesBefore + 3, "three more replicator passes");
            assertTrue(c.chunksOn(target).containsAll(all), "the replicator keeps a cached image's chunks");
            assertArrayEquals(data, c.download(target, image));
            assertEquals(1, cacheOf(c, target).path("cached_images").get(0).path("hits").asLong(), "a download is a hit");

            assertEquals(204, call(c, target, "DELETE", "/v2/cache/" + image).statusCode());
            assertFalse(isCached(c, target, image));
            await(Duration.ofSeconds(60), () -> {
                try {
                    return c.chunksOn(t).equals(before);
                } catch (IOException e) {
                    return false;
                }
            }, "evicted: the node holds its own share again");
            assertArrayEquals(data, c.download(target, image));
        }
    }

    @Test
    void theCacheApiAnswersLikeGlance() throws Exception {
        try (ClusterProcesses c = new ClusterProcesses(dir, 1, 1, "")) {
            c.startAll();
            String queued = c.createImage(0, "no data");
            String unknown = "0b4a3f6e-7a1c-4a9e-9f3e-2d4c5b6a7e8f";
            String member = "X-Roles";
            assertEquals(403, call(c, 0, "GET", "/v2/cache", member, "member,reader").statusCode());
            assertEquals(403, call(c, 0, "PUT", "/v2/cache/" + queued, member, "member").statusCode());
            assertEquals(404, call(c, 0, "PUT", "/v2/cache/" + unknown).statusCode());
            assertEquals(400, call(c, 0, "PUT", "/v2/cache/" + queued).statusCode(), "only active images can be queued");
            assertEquals(404, call(c, 0, "DELETE", "/v2/cache/" + unknown).statusCode());
            assertEquals(204, call(c, 0, "DELETE", "/v2/cache/" + queued).statusCode(), "known image, not cached: 204");
            HttpResponse<String> bad = call(c, 0, "DELETE", "/v2/cache", "x-image-cache-clear-target", "everything");
            assertEquals(400, bad.statusCode());
            assertTrue(bad.body().contains("x-image-cache-clear-target"), bad.body());
            for (String target : new String[]{"cache", "queue", ""}) {
                assertEquals(204, call(c, 0, "DELETE", "/v2/cache", "x-image-cache-clear-target", target).statusCode());
            }
            assertEquals(409, call(c, 0, "GET", "/v2/cache/nodes/" + queued).statusCode());
            assertEquals(404, call(c, 0, "GET", "/v2/cache/nodes/" + unknown).statusCode());
            assertEquals(200, call(c, 0, "POST", "/v2/cache/clean").statusCode());
            HttpResponse<String> prune = call(c, 0, "POST", "/v2/cache/prune");
            assertEquals(200, prune.statusCode());
            assertEquals(0, JSON.readTree(prune.body()).path("total_files_pruned").asLong());

            byte[] data = new byte[3 * 1024 * 1024];
            new Random(3).nextBytes(data);
            String active = c.createImage(0, "active");
            assertEquals(204, c.upload(0, active, data).statusCode());
            assertEquals(202, call(c, 0, "PUT", "/v2/cache/" + active).statusCode());
            await(Duration.ofSeconds(30), () -> isCached(c, 0, active), "cached");
            assertEquals(202, call(c, 0, "PUT", "/v2/cache/" + active).statusCode(), "queuing a cached image again is fine");
            assertEquals(204, call(c, 0, "DELETE", "/v2/cache", "x-image-cache-clear-target", "queue").statusCode());
            assertTrue(isCached(c, 0, active), "clearing the queue leaves the cache");
            assertEquals(204, call(c, 0, "DELETE", "/v2/cache").statusCode());
            assertFalse(isCached(c, 0, active));
        }
    }
}
