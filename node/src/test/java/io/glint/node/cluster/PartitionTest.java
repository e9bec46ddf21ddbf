package io.glint.node.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.glint.node.chunk.ChunkIds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static io.glint.node.cluster.ClusterProcesses.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 4's partition scenario with three real node processes, each in its own Linux network
 * namespace (made by {@code shared/tools/netns-cluster.sh}), 1 MiB chunks, R=3, writeAcks=2:
 * cut the Raft leader off from the other two. The majority side elects a new leader and keeps
 * serving uploads and downloads; the minority side (the old leader) refuses writes with 503 and
 * still serves the data it holds (both checked while the majority works); after healing, every
 * node serves and lists every image, holds every chunk, and all agree on the leader.
 *
 * <p>The test JVM stays in the host namespace; every request is a {@code curl} run inside a node's
 * namespace (see {@link NetnsNodes}). Node logs are copied to {@code target/partition-test-logs}.
 *
 * <p>Runs only as root with {@code ip}, {@code curl} and the script at hand; otherwise it is
 * skipped with the reason printed. Every wait is a bounded poll.
 */
@org.junit.jupiter.api.Tag("long-cluster")
class PartitionTest {
    static final String PREFIX = "gpt";
    static final String SUBNET = "10.213.91";
    static final int CHUNK = 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES) // every wait inside is bounded; this bounds their sum
    void theMajorityServesTheMinorityRefusesWritesAndAllConvergeAfterHealing() throws Exception {
        Path script = findScript();
        assumeRunnable(script);

        try (NetnsNodes c = new NetnsNodes(dir, script, PREFIX, SUBNET, 3)) {
            try {
                run(c);
            } catch (Throwable t) {
                for (int k = 1; k <= 3; k++) System.out.println("---- " + NetnsNodes.id(k) + " log tail ----\n" + c.tail(k, 60));
                throw t;
            } finally {
                c.keepLogs(Path.of("target", "partition-test-logs"));
            }
        }
    }

    private void run(NetnsNodes c) throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        try {
            run(c, pool);
        } finally {
            pool.shutdownNow();
        }
    }

    private void run(NetnsNodes c, ExecutorService pool) throws Exception {
        long t0 = System.nanoTime();
        c.script("down"); // namespaces left by an earlier run that was killed
        try {
            c.script("up", "3");
        } catch (IOException e) {
            assumeTrue(false, () -> skip("network namespaces cannot be made here: " + e.getMessage()));
        }

        // 2. Three nodes, one per namespace; each answers, and a leader is known.
        for (int k = 1; k <= 3; k++) c.start(k);
        for (int k = 1; k <= 3; k++) {
            int node = k;
            poll(Duration.ofSeconds(120), () -> {
                if (!c.alive(node)) throw new IllegalStateException(NetnsNodes.id(node) + " exited:\n" + c.tail(node, 40));
                return c.get(node, "/healthcheck", 5).status() == 200;
            }, NetnsNodes.id(node) + " answers /healthcheck");
        }
        poll(Duration.ofSeconds(60), () -> c.leader(1) != 0, "a leader is known");
        phase(t0, "cluster up");

        // 3. Image A through node 1, byte-identical from all three.
        byte[] a = data(3 * CHUNK + 17, 41);
        Path fileA = write("a.bin", a);
        String imageA = create(c, 1, "a");
        NetnsNodes.Curl up = c.upload(1, imageA, fileA);
        assertEquals(204, up.status(), () -> "upload of image a: " + up);
        for (int k = 1; k <= 3; k++) {
            NetnsNodes.Curl d = c.download(k, imageA);
            assertEquals(200, d.status(), "image a from " + NetnsNodes.id(k) + ": " + d);
            assertArrayEquals(a, d.bytes(), "image a from " + NetnsNodes.id(k));
        }
        // With R=3 on three nodes every node ends up with every chunk; the minority's read below
        // needs the old leader to hold A's chunks itself, so wait until they are all in place.
        List<String> chunksA = chunkIds(a);
        poll(Duration.ofSeconds(60), () -> holdsAll(c, List.of(1, 2, 3), chunksA), "every node holds every chunk of image a");
        phase(t0, "image a on all nodes");

        // 4. Cut the leader off from the other two.
        int leader = c.leader(1);
        assertNotEquals(0, leader, "a leader");
        int m1 = leader % 3 + 1;
        int m2 = m1 % 3 + 1;
        System.out.printf("leader %s goes to the minority side; majority %s, %s%n", NetnsNodes.id(leader), NetnsNodes.id(m1), NetnsNodes.id(m2));
        c.script("partition", String.valueOf(leader), m1 + "," + m2);

        // 6. (concurrently with 5) The minority refuses writes with 503 and still serves the data it holds.
        CompletableFuture<String> minority = CompletableFuture.supplyAsync(() -> {
            try {
                long w0 = System.nanoTime();
                NetnsNodes.Curl refused = c.createImage(leader, "minority-write", 90);
                if (refused.status() != 503) return "a write on the minority side answered " + refused + ", not 503";
                System.out.printf("minority write answered 503 after %.1f s: %s%n", (System.nanoTime() - w0) / 1e9, refused);
                long r0 = System.nanoTime();
                NetnsNodes.Curl readA = c.curl(leader, 90, c.url(leader, "/v2/images/" + imageA + "/file"));
                if (readA.status() != 200) return "a read of image a on the minority side answered " + readA + ", not 200";
                if (!Arrays.equals(a, readA.bytes())) return "image a from the minority side differs (" + readA.bytes().length + " bytes)";
                System.out.printf("minority read of image a: 200, byte-identical, after %.1f s, X-Glint-Registry: %s%n",
                        (System.nanoTime() - r0) / 1e9, readA.header("X-Glint-Registry"));
                return null;
            } catch (IOException e) {
                return "minority checks: " + e;
            }
        }, pool);

        // 5. The majority elects a new leader and keeps serving uploads and downloads.
        int[] newLeader = {0};
        poll(Duration.ofSeconds(120), () -> {
            // both asked at once: right after the cut each status call can take ~40 s (see NetnsNodes.status)
            CompletableFuture<Integer> l2 = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.leader(m2);
                } catch (IOException e) {
                    return 0;
                }
            }, pool);
            long q0 = System.nanoTime();
            int l1 = c.leader(m1);
            int other = l2.join();
            System.out.printf("  leader as %s / %s sees it: %s / %s (asked for %.1f s)%n", NetnsNodes.id(m1), NetnsNodes.id(m2),
                    l1 == 0 ? "none" : NetnsNodes.id(l1), other == 0 ? "none" : NetnsNodes.id(other), (System.nanoTime() - q0) / 1e9);
            newLeader[0] = l1;
            return (l1 == m1 || l1 == m2) && other == l1;
        }, "a new leader on the majority side");
        phase(t0, "new leader " + NetnsNodes.id(newLeader[0]));
        byte[] b = data(2 * CHUNK + 5, 42);
        Path fileB = write("b.bin", b);
        String imageB = create(c, m1, "b");
        NetnsNodes.Curl upB = c.upload(m1, imageB, fileB);
        assertEquals(204, upB.status(), () -> "upload of image b on the majority side: " + upB);
        for (int k : new int[]{m1, m2}) {
            for (Object[] img : new Object[][]{{imageA, a}, {imageB, b}}) {
                NetnsNodes.Curl d = c.download(k, (String) img[0]);
                assertEquals(200, d.status(), "image " + img[0] + " from majority " + NetnsNodes.id(k) + ": " + d);
                assertArrayEquals((byte[]) img[1], d.bytes(), "image " + img[0] + " from majority " + NetnsNodes.id(k));
            }
        }
        phase(t0, "majority serves uploads and downloads");
        String minorityProblem = minority.get(240, TimeUnit.SECONDS);
        assertEquals(null, minorityProblem, "the minority side");
        phase(t0, "minority refuses writes and serves reads");

        // 7. Heal: the old leader catches up (registry and chunks), and every node lists both images.
        c.script("heal");
        long h0 = System.nanoTime();
        List<String> chunksB = chunkIds(b);
        poll(Duration.ofSeconds(90), () -> {
            NetnsNodes.Curl d = c.download(leader, imageB);
            return d.status() == 200 && Arrays.equals(b, d.bytes());
        }, NetnsNodes.id(leader) + " serves image b after healing");
        poll(Duration.ofSeconds(90), () -> holdsAll(c, List.of(leader), chunksB), NetnsNodes.id(leader) + " holds every chunk of image b");
        for (int k = 1; k <= 3; k++) {
            int node = k;
            poll(Duration.ofSeconds(60), () -> listed(c, node).containsAll(Set.of(imageA, imageB)),
                    NetnsNodes.id(node) + " lists images a and b");
        }
        poll(Duration.ofSeconds(60), () -> {
            int l = c.leader(1);
            return l != 0 && c.leader(2) == l && c.leader(3) == l;
        }, "all three nodes agree on the leader");
        System.out.printf("converged %.1f s after healing%n", (System.nanoTime() - h0) / 1e9);
        for (int k = 1; k <= 3; k++) {
            for (Object[] img : new Object[][]{{imageA, a}, {imageB, b}}) {
                NetnsNodes.Curl d = c.download(k, (String) img[0]);
                assertEquals(200, d.status(), "image " + img[0] + " from " + NetnsNodes.id(k) + " after healing: " + d);
                assertArrayEquals((byte[]) img[1], d.bytes(), "image " + img[0] + " from " + NetnsNodes.id(k) + " after healing");
                assertEquals(null, d.header("X-Glint-Registry"), "a healed node reads through the quorum again");
            }
        }
        poll(Duration.ofSeconds(90), () -> holdsAll(c, List.of(1, 2, 3), chunksA) && holdsAll(c, List.of(1, 2, 3), chunksB),
                "every node holds every chunk of images a and b");
        for (int k = 1; k <= 3; k++) {
            JsonNode s = c.status(k);
            System.out.printf("%s replicator after healing: %s%n", NetnsNodes.id(k), s == null ? "(no answer)" : s.path("replicator"));
        }
        phase(t0, "converged");
    }

    // ---- helpers ---------------------------------------------------------------------------

    /** A bounded poll whose condition may throw IOException (an unanswered request counts as false). */
    interface Check {
        boolean ok() throws IOException;
    }

    static void poll(Duration bound, Check check, String what) {
        BooleanSupplier s = () -> {
            try {
                return check.ok();
            } catch (IOException e) {
                return false;
            }
        };
        await(bound, s, what);
    }

    static void phase(long t0, String what) {
        System.out.printf("[%5.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    private static String create(NetnsNodes c, int k, String name) throws IOException {
        NetnsNodes.Curl r = c.createImage(k, name, 60);
        assertEquals(201, r.status(), () -> "create image " + name + " on " + NetnsNodes.id(k) + ": " + r);
        return ClusterProcesses.JSON.readTree(r.bodyText()).path("id").asText();
    }

    private static Set<String> listed(NetnsNodes c, int k) throws IOException {
        NetnsNodes.Curl r = c.get(k, "/v2/images", 30);
        Set<String> ids = new HashSet<>();
        if (r.status() != 200) return ids;
        for (JsonNode img : ClusterProcesses.JSON.readTree(r.bodyText()).path("images")) ids.add(img.path("id").asText());
        return ids;
    }

    private static boolean holdsAll(NetnsNodes c, List<Integer> nodes, List<String> chunks) throws IOException {
        for (int k : nodes) {
            for (String id : chunks) if (!c.holdsChunk(k, id)) return false;
        }
        return true;
    }

    /** The chunk ids (SHA-256 of each 1 MiB piece) the image's manifest lists. */
    static List<String> chunkIds(byte[] data) {
        List<String> ids = new ArrayList<>();
        for (int off = 0; off < data.length; off += CHUNK) ids.add(ChunkIds.describe(data, off, Math.min(CHUNK, data.length - off)).id());
        return ids;
    }

    static byte[] data(int bytes, long seed) {
        byte[] d = new byte[bytes];
        new Random(seed).nextBytes(d);
        return d;
    }

    private Path write(String name, byte[] data) throws IOException {
        return Files.write(dir.resolve(name), data);
    }

    // ---- when to run -----------------------------------------------------------------------

    private static Path findScript() {
        String env = System.getenv("GLINT_NETNS_CLUSTER");
        if (env != null && !env.isBlank()) return Path.of(env);
        // shared/ sits beside the repository (CI), or at /work/shared on a developer's machine
        for (Path base = Path.of("").toAbsolutePath(); base != null; base = base.getParent()) {
            Path p = base.resolve("shared").resolve("tools").resolve("netns-cluster.sh");
            if (Files.isRegularFile(p)) return p;
        }
        return Path.of("/work/shared/tools/netns-cluster.sh");
    }

    private static void assumeRunnable(Path script) {
        String uid = output("id", "-u");
        assumeTrue("0".equals(uid), () -> skip("not running as root (id -u = " + uid + "); network namespaces need root"));
        assumeTrue(NetnsNodes.tool("ip") != null, () -> skip("'ip' (iproute2) is not installed"));
        assumeTrue(NetnsNodes.tool("curl") != null, () -> skip("'curl' is not installed"));
        assumeTrue(Files.isRegularFile(script), () -> skip("no netns-cluster.sh at " + script));
    }

    private static String skip(String reason) {
        String msg = "PartitionTest skipped: " + reason;
        System.out.println(msg);
        return msg;
    }

    private static String output(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "?";
            }
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "?";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }
}
