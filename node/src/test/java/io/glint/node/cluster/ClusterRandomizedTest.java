package io.glint.node.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A seed-driven mix of uploads, downloads, deletes, node kills (SIGKILL) and restarts on a
 * 3-node cluster (at most one node down at a time, so a quorum always exists). Every answer is
 * checked as it comes; at the end every node is up and every acknowledged image must read back
 * byte-identical from every node, and every deleted one must be gone everywhere. On failure the
 * message carries the seed and the whole history; {@code -Dglint.seed=N} replays a seed.
 */
@org.junit.jupiter.api.Tag("long-cluster")
class ClusterRandomizedTest {
    static final int STEPS = 40;
    static final Duration RUN_BOUND = Duration.ofMinutes(4);

    @TempDir
    Path dir;

    @Test
    void acknowledgedImagesSurviveARandomMixOfWorkAndFailures() throws Exception {
        long seed = Long.getLong("glint.seed", new Random().nextLong());
        Random rnd = new Random(seed);
        List<String> history = new ArrayList<>();
        System.out.println("ClusterRandomizedTest seed " + seed + " (replay with -Dglint.seed=" + seed + ")");
        try (ClusterProcesses c = new ClusterProcesses(dir, 3, 3, "")) {
            c.startAll();
            Map<String, byte[]> acked = new LinkedHashMap<>();
            List<String> deleted = new ArrayList<>();
            int down = -1;
            long deadline = System.nanoTime() + RUN_BOUND.toNanos();
            for (int step = 0; step < STEPS && System.nanoTime() < deadline; step++) {
                int roll = rnd.nextInt(100);
                int node = live(rnd, down);
                if (roll < 35) {
                    byte[] data = new byte[512 * 1024 + rnd.nextInt(2 * 1024 * 1024)];
                    rnd.nextBytes(data);
                    String id;
                    try {
                        id = c.createImage(node, "r" + step);
                    } catch (IOException e) {
                        history.add(step + " create on " + node + " failed: " + e.getMessage());
                        fail(seed, history, "a create failed with a quorum up");
                        return;
                    }
                    HttpResponse<String> r = c.upload(node, id, data);
                    history.add(step + " upload " + id + " (" + data.length + " B) via node " + node + " -> " + r.statusCode());
                    if (r.statusCode() != 204) fail(seed, history, "an upload failed with a quorum up: " + r.body());
                    acked.put(id, data);
                } else if (roll < 70 && !acked.isEmpty()) {
                    String id = pick(rnd, acked);
                    byte[] got = c.download(node, id);
                    history.add(step + " download " + id + " via node " + node + " -> " + (got == null ? "error" : got.length + " B"));
                    if (!Arrays.equals(got, acked.get(id))) fail(seed, history, "download of " + id + " from node " + node + " differs");
                } else if (roll < 80 && !acked.isEmpty()) {
                    String id = pick(rnd, acked);
                    HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create(c.url(node) + "/v2/images/" + id))
                            .timeout(Duration.ofSeconds(60)).DELETE().build());
                    history.add(step + " delete " + id + " via node " + node + " -> " + r.statusCode());
                    if (r.statusCode() != 204) fail(seed, history, "a delete failed: " + r.body());
                    acked.remove(id);
                    deleted.add(id);
                } else if (down < 0) {
                    down = rnd.nextInt(3);
                    c.kill9(down);
                    history.add(step + " kill -9 node " + down);
                } else {
                    c.start(down);
                    c.awaitHealthy(down);
                    history.add(step + " restart node " + down);
                    down = -1;
                }
            }
            if (down >= 0) {
                c.start(down);
                c.awaitHealthy(down);
                history.add("end: restart node " + down);
            }
            for (Map.Entry<String, byte[]> e : acked.entrySet()) {
                for (int i = 0; i < 3; i++) {
                    byte[] got = c.download(i, e.getKey());
                    if (!Arrays.equals(got, e.getValue())) {
                        history.add("final read of " + e.getKey() + " from node " + i + " -> " + (got == null ? "error" : got.length + " B"));
                        fail(seed, history, "an acknowledged image does not read back from node " + i);
                    }
                }
            }
            for (String id : deleted) {
                for (int i = 0; i < 3; i++) {
                    int status = c.get(i, "/v2/images/" + id).statusCode();
                    if (status != 404) fail(seed, history, "deleted image " + id + " answers " + status + " on node " + i);
                }
            }
            System.out.printf("ClusterRandomizedTest seed %d: %d steps, %d images acknowledged and read back from 3 nodes, %d deleted%n",
                    seed, history.size(), acked.size(), deleted.size());
        }
    }

    private static int live(Random rnd, int down) {
        int n = rnd.nextInt(3);
        return n == down ? (n + 1) % 3 : n;
    }

    private static String pick(Random rnd, Map<String, byte[]> images) {
        List<String> ids = new ArrayList<>(images.keySet());
        return ids.get(rnd.nextInt(ids.size()));
    }

    private static void fail(long seed, List<String> history, String what) {
        throw new AssertionError(what + "\nseed " + seed + " (replay with -Dglint.seed=" + seed + ")\nhistory:\n  "
                + String.join("\n  ", history));
    }
}
