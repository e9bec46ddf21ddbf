package io.glint.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.glint.node.audit.LocalNodeFixture;
import io.glint.node.config.NodeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code GET /metrics} on a real node (DESIGN §8): Prometheus' text format, every sample a glint_
 * metric, and the counts follow what the node did: an upload, a download, a failed upload and a 404
 * move exactly the counters they should, by exactly the bytes they moved.
 */
class MetricsTest {
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\"(?:,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"]*\")*})?) (\\S+)");
    private static final Pattern TYPE = Pattern.compile("# TYPE (\\S+) (counter|gauge|summary|histogram|untyped)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void metricsCountWhatTheNodeDidInPrometheusTextFormat(@TempDir Path dir) throws Exception {
        int raftPort = freePort();
        NodeConfig config = new NodeConfig(new NodeConfig.Node("n1", dir.resolve("data").toString(), null, null),
                new NodeConfig.Http("127.0.0.1", 0),
                new NodeConfig.Raft("127.0.0.1", raftPort, List.of("n1@127.0.0.1:" + raftPort), 3, "metrics-test", "1s", null),
                null, null, null, null, new NodeConfig.Peer("127.0.0.1", 0, null, null), null, null, null, null, null);
        try (GlintNode node = new GlintNode(config, dir)) {
            String url = "http://127.0.0.1:" + node.httpPort();
            Map<String, Double> before = awaitScrape(url, m -> m.getOrDefault("glint_registry_leader", 0.0) == 1.0,
                    "the lone node is the registry's leader");

            byte[] data = new byte[5 * (1 << 20) + 123]; // two chunks of the default 4 MiB
            new Random(42).nextBytes(data);
            String id = createImage(url);
            assertEquals(204, send(request(url + "/v2/images/" + id + "/file")
                    .header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(data))).statusCode());
            HttpResponse<byte[]> down = http.send(request(url + "/v2/images/" + id + "/file").GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, down.statusCode());
            assertArrayEquals(data, down.body());
            assertEquals(404, send(request(url + "/v2/images/" + UUID.randomUUID()).GET()).statusCode());
            // An upload that says it brings more than it does fails, and its image goes back to queued.
            String short_ = createImage(url);
            assertEquals(400, send(request(url + "/v2/images/" + short_ + "/file")
                    .header("Content-Type", "application/octet-stream")
                    .header("x-openstack-image-size", "2000")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[1000]))).statusCode());

            Map<String, Double> after = scrape(url);
            long size = data.length;
            assertDelta(before, after, "glint_upload_images_total", 1);
            assertDelta(before, after, "glint_upload_bytes_total", size);
            assertDelta(before, after, "glint_upload_failures_total", 1);
            assertDelta(before, after, "glint_chunk_store_chunks_written_total", 3); // two, and the failed upload's one
            assertDelta(before, after, "glint_chunk_store_bytes_written_total", size + 1000); // the failed upload's chunk was written too
            assertDelta(before, after, "glint_download_images_total", 1);
            assertDelta(before, after, "glint_download_bytes_total", size);
            assertDelta(before, after, "glint_download_broken_off_total", 0);
            assertDelta(before, after, "glint_download_chunks_from_peers_total", 0);
            assertTrue(after.get("glint_chunk_store_chunks") >= 3, "chunks on the volume: " + after.get("glint_chunk_store_chunks"));
            // create x2, upload, download and the first scrape are 2xx; the lookup of a missing image is a 404, the short upload a 400
            assertTrue(after.get("glint_http_responses_2xx_total") - before.get("glint_http_responses_2xx_total") >= 5, after.toString());
            assertDelta(before, after, "glint_http_responses_4xx_total", 2);
            assertDelta(before, after, "glint_http_responses_5xx_total", 0);
            assertTrue(after.get("glint_http_request_seconds_count") > before.get("glint_http_request_seconds_count"));
            double median = after.get("glint_http_request_seconds{quantile=\"0.5\"}");
            assertTrue(median > 0 && median < 30, "API request times are in seconds: median " + median);

            // The JVM's levels are there too: the heap, the direct buffers the chunks were read into, threads.
            assertTrue(after.get("glint_jvm_memory_heap_used") > 0, "heap used");
            assertTrue(after.get("glint_jvm_buffers_direct_used") >= 4 << 20, "direct buffers: " + after.get("glint_jvm_buffers_direct_used"));
            assertTrue(after.get("glint_jvm_threads_count") > 10, "threads: " + after.get("glint_jvm_threads_count"));

            // Collections are counters (one per collector), and they count: a collection forced here shows.
            System.gc();
            Map<String, Double> collected = scrape(url);
            assertTrue(gcCollections(collected) > gcCollections(after),
                    "collections counted: " + gcCollections(after) + " then " + gcCollections(collected));

            // The counters are read live: heartbeats go on by themselves.
            awaitScrape(url, m -> m.get("glint_membership_heartbeats_total") > after.get("glint_membership_heartbeats_total"),
                    "heartbeats counted");
        }
    }

    /** The collections of every collector, from the glint_jvm_gc_*_collections_total counters. */
    private static double gcCollections(Map<String, Double> samples) {
        List<String> names = samples.keySet().stream()
                .filter(n -> n.startsWith("glint_jvm_gc_") && n.endsWith("_collections_total")).toList();
        assertFalse(names.isEmpty(), "a collections counter per collector: " + samples.keySet());
        return names.stream().mapToDouble(samples::get).sum();
    }

    /** GET /metrics: checks the content type and every line's syntax; the samples by name (with labels). */
    private Map<String, Double> scrape(String url) throws Exception {
        HttpResponse<String> r = http.send(request(url + "/metrics").GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertEquals(200, r.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
        Map<String, Double> samples = new HashMap<>();
        int typed = 0;
        for (String line : r.body().split("\n")) {
            if (line.startsWith("# HELP ")) continue;
            Matcher t = TYPE.matcher(line);
            if (t.matches()) {
                assertTrue(t.group(1).startsWith("glint_"), line);
                typed++;
                continue;
            }
            Matcher s = SAMPLE.matcher(line);
            if (!s.matches()) fail("not a Prometheus text-format line: '" + line + "'");
            samples.put(s.group(1), Double.parseDouble(s.group(2)));
        }
        assertTrue(typed >= 50, "every metric is typed: " + typed);
        return samples;
    }

    /** Scrapes until {@code ok} holds (LocalNodeFixture's bounded poll); the scrape that passed. */
    private Map<String, Double> awaitScrape(String url, java.util.function.Predicate<Map<String, Double>> ok, String what)
            throws InterruptedException {
        java.util.concurrent.atomic.AtomicReference<Map<String, Double>> last = new java.util.concurrent.atomic.AtomicReference<>();
        LocalNodeFixture.await(what, () -> {
            try {
                last.set(scrape(url));
            } catch (Exception e) {
                throw new AssertionError("scrape failed", e);
            }
            return ok.test(last.get());
        });
        return last.get();
    }

    private static void assertDelta(Map<String, Double> before, Map<String, Double> after, String name, long delta) {
        assertTrue(before.containsKey(name) && after.containsKey(name), name + " is missing from " + after.keySet());
        assertEquals(delta, Math.round(after.get(name) - before.get(name)), name);
    }

    private String createImage(String url) throws Exception {
        HttpResponse<String> r = send(request(url + "/v2/images").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"m\",\"disk_format\":\"raw\",\"container_format\":\"bare\"}")));
        assertEquals(201, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("id").asText();
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder request(String uri) {
        return HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(60)).header("X-Auth-Token", "x");
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
