package io.glint.node.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.glint.node.AdminCliAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static io.glint.node.cluster.ClusterProcesses.await;
import static io.glint.node.cluster.ClusterProcesses.id;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator's cluster API and CLI against three real node processes on 127.0.0.1 (R=3,
 * 512 placement groups): status, admin-only access, drain / undrain with the image readable
 * throughout, and removing a dead node from the node table and the Raft group.
 */
class ClusterAdminTest {
    private static final int GROUPS = 512;
    private static final Set<String> ALL = Set.of("node-1", "node-2", "node-3");

    @TempDir
    Path dir;

    private static HttpResponse<String> call(ClusterProcesses c, int i, String method, String path, String... headers)
            throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(c.url(i) + path)).timeout(Duration.ofSeconds(60))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) b.headers(headers);
        return c.send(b.build());
    }

    private static JsonNode node(JsonNode status, String nodeId) {
        for (JsonNode n : status.path("nodes")) if (n.path("id").asText().equals(nodeId)) return n;
        return null;
    }

    private static Set<String> ids(JsonNode array) {
        Set<String> out = new TreeSet<>();
        for (JsonNode n : array) out.add(n.path("id").asText());
        return out;
    }

    private static JsonNode awaitStatus(ClusterProcesses c, int i, Predicate<JsonNode> condition, String what) {
        JsonNode[] last = {null};
        try {
            await(Duration.ofSeconds(60), () -> {
                try {
                    last[0] = c.status(i);
                    return condition.test(last[0]);
                } catch (IOException e) {
                    return false;
                }
            }, id(i) + " reports " + what);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last status: " + last[0], e);
        }
        return last[0];
    }

    private static boolean healthy(JsonNode s) {
        if (s.path("nodes").size() != 3 || !ids(s.path("nodes")).equals(ALL)) return false;
        for (JsonNode n : s.path("nodes")) if (!n.path("state").asText().equals("UP")) return false;
        return ALL.contains(s.path("leader").asText()) && s.path("group_health").path("full").asInt() == GROUPS;
    }

    private static boolean drained(JsonNode s) {
        JsonNode n3 = node(s, "node-3");
        return n3 != null && n3.path("state").asText().equals("DRAINING") && n3.path("placement_groups").asInt() == 0
                && s.path("group_health").path("degraded").asInt() == GROUPS;
    }

    /** Notes how long after {@code t0} a step was done (printed at the end: where the time went). */
    private static void mark(List<String> timings, long t0, String step) {
        timings.add(String.format("%s %.1f s", step, (System.nanoTime() - t0) / 1e9));
    }

    /** Runs the CLI with System.out and System.err captured: [exit code, out, err]. */
    private static Object[] cli(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            code = AdminCliAccess.run(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Object[]{code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void operatorsSeeTheClusterDrainAndRemoveNodes() throws Exception {
        long t0 = System.nanoTime();
        List<String> timings = new ArrayList<>();
        try (ClusterProcesses c = new ClusterProcesses(dir, 3, 3, "")) {
            c.startAll();
            mark(timings, t0, "started");

            // --- status, as every node reports it ---
            for (int i = 0; i < 3; i++) {
                JsonNode s = awaitStatus(c, i, ClusterAdminTest::healthy, "3 nodes UP, a leader, every group full");
                assertEquals(id(i), s.path("self").asText());
                assertEquals(3, s.path("replication_factor").asInt());
                assertEquals(GROUPS, s.path("placement_groups").asInt());
                assertEquals(0, s.path("group_health").path("degraded").asInt(), s::toString);
                assertEquals(0, s.path("group_health").path("no_replica").asInt(), s::toString);
                assertNotNull(node(s, s.path("leader").asText()), "the leader is one of the nodes: " + s);
                for (JsonNode n : s.path("nodes")) {
                    assertEquals(GROUPS, n.path("placement_groups").asInt(), () -> "R=3 on 3 nodes: every group on " + n);
                    assertTrue(n.path("chunks_held").asLong() >= 0, () -> "every node answers its digests: " + n);
                }
                assertEquals("leader", node(s, s.path("leader").asText()).path("raft_role").asText(), s::toString);
            }

            // --- a hung node (SIGSTOP: its sockets accept, nothing answers) ---
            // Several status calls at once each still count every other node's chunks: the nodes
            // are asked side by side, and the hung one is shown as unknown after a bounded wait.
            String leader = c.status(0).path("leader").asText();
            int hung = id(1).equals(leader) ? 2 : 1; // neither the node asked nor the Raft leader
            c.signal(hung, "STOP");
            ExecutorService callers = Executors.newFixedThreadPool(4);
            try {
                List<Future<JsonNode>> calls = new ArrayList<>();
                for (int k = 0; k < 4; k++) calls.add(callers.submit(() -> c.status(0)));
                for (Future<JsonNode> f : calls) {
                    JsonNode s = f.get(60, TimeUnit.SECONDS);
                    assertEquals(-1, node(s, id(hung)).path("chunks_held").asLong(), () -> "the hung node: " + s);
                    for (int i = 0; i < 3; i++) {
                        int k = i;
                        if (k != hung) assertTrue(node(s, id(k)).path("chunks_held").asLong() >= 0, () -> id(k) + " answers: " + s);
                    }
                }
            } finally {
                callers.shutdownNow();
                c.signal(hung, "CONT");
            }
            awaitStatus(c, 0, ClusterAdminTest::healthy, "the hung node is back");
            mark(timings, t0, "a hung node");

            // --- admin only ---
            String[] member = {"X-Roles", "member", "X-Project-Id", "p1"};
            assertEquals(403, call(c, 0, "GET", "/glint/v1/cluster", member).statusCode());
            assertEquals(403, call(c, 1, "GET", "/glint/v1/raft", member).statusCode());
            assertEquals(403, call(c, 0, "POST", "/glint/v1/nodes/node-3/drain", member).statusCode());
            assertEquals(403, call(c, 0, "POST", "/glint/v1/nodes/node-3/undrain", member).statusCode());
            assertEquals(403, call(c, 0, "DELETE", "/glint/v1/nodes/node-3", member).statusCode());
            assertEquals("UP", node(c.status(0), "node-3").path("state").asText(), "a refused drain changed nothing");

            // --- an image on every node ---
            byte[] image = ClusterProcesses.randomBytes(3 * 1024 * 1024, 4242);
            String imageId = c.createImage(0, "admin-test");
            assertEquals(204, c.upload(0, imageId, image).statusCode());
            mark(timings, t0, "uploaded");
            Set<String> chunks = c.chunksOn(0);
            assertEquals(3, chunks.size(), "3 MiB in 1 MiB chunks");
            await(Duration.ofSeconds(60), () -> c.copies(chunks, List.of(0, 1, 2)).values().stream().allMatch(n -> n == 3),
                    "every chunk on all three nodes");
            mark(timings, t0, "three copies");

            // --- drain node-3 ---
            HttpResponse<String> drain = call(c, 0, "POST", "/glint/v1/nodes/node-3/drain");
            assertEquals(200, drain.statusCode(), drain::body);
            mark(timings, t0, "drain answered");
            assertEquals("DRAINING", ClusterProcesses.JSON.readTree(drain.body()).path("state").asText());
            JsonNode s = c.status(0);
            assertTrue(drained(s), () -> "right after the drain: " + s);
            assertEquals(0, s.path("group_health").path("full").asInt(), s::toString);
            assertEquals(0, s.path("group_health").path("no_replica").asInt(), s::toString);
            for (String up : List.of("node-1", "node-2")) {
                assertEquals("UP", node(s, up).path("state").asText());
                assertEquals(GROUPS, node(s, up).path("placement_groups").asInt(), () -> up + " holds every group: " + s);
            }
            for (int i = 1; i < 3; i++) awaitStatus(c, i, ClusterAdminTest::drained, "node-3 DRAINING");
            mark(timings, t0, "all see DRAINING");
            for (int i = 0; i < 3; i++) assertArrayEquals(image, c.download(i, imageId), "while draining, from " + id(i));
            mark(timings, t0, "downloaded x3");
            // Nodes 1 and 2 hold every chunk already, so node-3 hands its copies off (deletes them) ...
            await(Duration.ofSeconds(60), () -> {
                try {
                    return c.chunksOn(2).isEmpty();
                } catch (IOException e) {
                    return false;
                }
            }, "node-3 handed off its chunks");
            mark(timings, t0, "handed off");
            awaitStatus(c, 0, x -> node(x, "node-3").path("chunks_held").asLong() == 0, "node-3 holds no chunks");
            assertEquals(3, c.copies(chunks, List.of(0, 1)).values().stream().filter(n -> n == 2).count(),
                    "nodes 1 and 2 kept every chunk");
            // ... and still serves the image, from its peers.
            assertArrayEquals(image, c.download(2, imageId), "from the drained node-3");
            mark(timings, t0, "drained");

            // --- errors of drain and undrain ---
            assertEquals(409, call(c, 0, "POST", "/glint/v1/nodes/node-1/undrain").statusCode(), "undrain of an UP node");
            assertEquals(404, call(c, 0, "POST", "/glint/v1/nodes/node-9/drain").statusCode(), "drain of an unknown node");
            assertEquals(404, call(c, 0, "POST", "/glint/v1/nodes/node-9/undrain").statusCode(), "undrain of an unknown node");

            // --- undrain node-3 (through another node) ---
            HttpResponse<String> undrain = call(c, 1, "POST", "/glint/v1/nodes/node-3/undrain");
            assertEquals(200, undrain.statusCode(), undrain::body);
            assertEquals("UP", ClusterProcesses.JSON.readTree(undrain.body()).path("state").asText());
            for (int i = 0; i < 3; i++) awaitStatus(c, i, ClusterAdminTest::healthy, "node-3 UP again, every group full");
            assertEquals(409, call(c, 0, "POST", "/glint/v1/nodes/node-3/undrain").statusCode(), "undrain of a node now UP");
            await(Duration.ofSeconds(60), () -> {
                try {
                    return c.chunksOn(2).containsAll(chunks);
                } catch (IOException e) {
                    return false;
                }
            }, "node-3 fetched its chunks back");
            mark(timings, t0, "undrained");

            // --- the CLI ---
            Object[] table = cli("cluster", "status", "--url", c.url(0));
            assertEquals(0, table[0], () -> "cluster status: " + table[2]);
            String text = (String) table[1];
            for (String n : ALL) assertTrue(text.contains(n), () -> n + " in the table:\n" + text);
            assertTrue(text.contains("NODE") && text.contains("STATE") && text.contains("UP"), text);
            assertTrue(text.contains("groups: " + GROUPS + " with all replicas up"), text);
            Object[] json = cli("cluster", "status", "--json", "--url", c.url(1) + "/");
            assertEquals(0, json[0], () -> "cluster status --json: " + json[2]);
            JsonNode parsed = ClusterProcesses.JSON.readTree((String) json[1]);
            assertEquals(ALL, ids(parsed.path("nodes")));
            assertEquals("node-2", parsed.path("self").asText());
            Object[] missing = cli("node", "drain");
            assertEquals(2, missing[0], "node drain without an id");
            assertTrue(((String) missing[2]).toLowerCase(java.util.Locale.ROOT).contains("usage"), () -> (String) missing[2]);
            assertEquals(2, cli("cluster", "status", "--url")[0], "--url without a value");
            Object[] refused = cli("node", "undrain", "node-1", "--url", c.url(0));
            assertEquals(1, refused[0], "the server refuses to undrain an UP node");
            assertTrue(((String) refused[2]).contains("409"), () -> (String) refused[2]);
            Object[] unreachable = cli("cluster", "status", "--url", "http://127.0.0.1:" + ClusterProcesses.freePort());
            assertEquals(2, unreachable[0], () -> "no server: " + unreachable[2]);

            // --- remove a dead node ---
            timings.add("leader before the kill: " + c.status(0).path("leader").asText());
            c.kill9(2);
            mark(timings, t0, "killed");
            awaitStatus(c, 0, x -> Set.of("node-1", "node-2").contains(x.path("leader").asText()), "a leader among the survivors");
            mark(timings, t0, "a survivor leads");
            HttpResponse<String> removed = call(c, 0, "DELETE", "/glint/v1/nodes/node-3");
            assertEquals(200, removed.statusCode(), removed::body);
            mark(timings, t0, "remove answered");
            assertEquals("REMOVED", ClusterProcesses.JSON.readTree(removed.body()).path("state").asText());
            JsonNode after = c.status(0);
            JsonNode gone = node(after, "node-3");
            assertNotNull(gone, "a removed node stays in the table: " + after);
            assertEquals("REMOVED", gone.path("state").asText());
            assertEquals(0, gone.path("placement_groups").asInt());
            assertEquals(-1, gone.path("chunks_held").asLong(), "a removed node is not asked for its chunks");
            assertEquals(GROUPS, after.path("group_health").path("degraded").asInt(), after::toString);
            for (int i = 0; i < 2; i++) {
                int node = i;
                JsonNode raft = ClusterProcesses.JSON.readTree(call(c, i, "GET", "/glint/v1/raft").body());
                assertEquals(Set.of("node-1", "node-2"), ids(raft.path("members")), () -> id(node) + ": " + raft);
            }
            assertEquals(409, call(c, 0, "DELETE", "/glint/v1/nodes/node-1").statusCode(), "a node does not remove itself");
            assertEquals(404, call(c, 0, "DELETE", "/glint/v1/nodes/node-9").statusCode(), "remove of an unknown node");
            assertEquals(200, call(c, 1, "DELETE", "/glint/v1/nodes/node-3").statusCode(), "remove again: already done");
            assertEquals(409, call(c, 0, "POST", "/glint/v1/nodes/node-3/drain").statusCode(), "drain of a removed node");
            // The two remaining voters still commit, and still serve the image.
            assertFalse(c.createImage(1, "after-remove").isEmpty());
            for (int i = 0; i < 2; i++) assertArrayEquals(image, c.download(i, imageId), "after the remove, from " + id(i));
            mark(timings, t0, "removed");
        } finally {
            System.out.println("ClusterAdminTest: " + String.join(", ", timings));
        }
    }
}
