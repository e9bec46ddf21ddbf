package io.glint.node.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Real node processes on 127.0.0.1 for cluster tests: each node is its own JVM
 * ({@code io.glint.node.Main} on this test's class path) with its own config, ports, data
 * directory and log, started, killed with SIGKILL, stopped and restarted by the test.
 * Timing settings are short (heartbeat 1 s, down after 8 s, replicator every 1 s) so that
 * failure handling shows within seconds; every wait is a bounded poll.
 */
final class ClusterProcesses implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SECRET = "cluster-test-secret";
    /**
     * A node silent this long is marked DOWN. Short, so that failure handling shows within seconds,
     * but not so short that a live node whose heartbeat waits on a busy 2-core machine (three node
     * JVMs, the test, hashing uploads) is taken for dead.
     */
    static final int DOWN_AFTER_SECONDS = 8;

    final Path dir;
    final int count;
    final int founders;
    final int[] httpPorts;
    final int[] raftPorts;
    final int[] peerPorts;
    private final Process[] processes;
    /** Extra environment of a node's JVM (e.g. libfaketime's), by node index. */
    private final Map<Integer, Map<String, String>> launchEnv = new java.util.HashMap<>();
    private final int voters;
    private final String extraYaml;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    ClusterProcesses(Path dir, int count, int voters, String extraYaml) throws IOException {
        this(dir, count, 0, voters, extraYaml);
    }

    /**
     * @param founders nodes configured with the full peer list (started by {@link #startAll})
     * @param joiners  further nodes configured to join through node 1 ({@code raft.join}); the test starts them
     */
    ClusterProcesses(Path dir, int founders, int joiners, int voters, String extraYaml) throws IOException {
        this(dir, founders, joiners, voters, extraYaml, "2");
    }

    ClusterProcesses(Path dir, int founders, int joiners, int voters, String extraYaml, String writeAcks) throws IOException {
        this(dir, founders, joiners, voters, extraYaml, writeAcks, DOWN_AFTER_SECONDS);
    }

    /**
     * @param writeAcks        replication.writeAcks of every node ("2", "all", ...)
     * @param downAfterSeconds replication.downAfterSeconds of every node
     */
    ClusterProcesses(Path dir, int founders, int joiners, int voters, String extraYaml, String writeAcks,
                     int downAfterSeconds) throws IOException {
        int count = founders + joiners;
        this.dir = dir;
        this.count = count;
        this.founders = founders;
        this.voters = voters;
        this.extraYaml = extraYaml;
        httpPorts = new int[count];
        raftPorts = new int[count];
        peerPorts = new int[count];
        processes = new Process[count];
        for (int i = 0; i < count; i++) {
            httpPorts[i] = freePort();
            raftPorts[i] = freePort();
            peerPorts[i] = freePort();
        }
        List<String> peers = new ArrayList<>();
        for (int i = 0; i < founders; i++) peers.add(id(i) + "@127.0.0.1:" + raftPorts[i]);
        for (int i = 0; i < count; i++) {
            Files.writeString(config(i), """
                    node:
                      id: %s
                      dataDir: %s
                    http:
                      host: 127.0.0.1
                      port: %d
                    raft:
                      host: 127.0.0.1
                      port: %d
                      %s
                      voters: %d
                      clusterName: cluster-test
                      electionTimeout: 1s
                    peer:
                      host: 127.0.0.1
                      port: %d
                      secret: %s
                    chunk:
                      size: 1MiB
                    replication:
                      factor: 3
                      writeAcks: %s
                      heartbeatSeconds: 1
                      downAfterSeconds: %d
                      intervalSeconds: 1
                      bytesPerSecond: 200MiB
                    %s
                    """.formatted(id(i), dir.resolve(id(i)), httpPorts[i], raftPorts[i],
                    i < founders ? "peers: [" + String.join(", ", peers) + "]" : "join: 127.0.0.1:" + httpPorts[0], voters,
                    peerPorts[i], SECRET, writeAcks, downAfterSeconds, extraYaml));
        }
    }

    /** The chunk copies per chunk id over the given nodes (nodes that do not answer count nothing). */
    Map<String, Integer> copies(java.util.Collection<String> chunks, java.util.List<Integer> nodes) {
        Map<String, Integer> n = new java.util.HashMap<>();
        for (String id : chunks) n.put(id, 0);
        for (int i : nodes) {
            try {
                for (String id : chunksOn(i)) n.computeIfPresent(id, (k, v) -> v + 1);
            } catch (IOException e) {
                // an unreachable node holds nothing we can count
            }
        }
        return n;
    }

    static String id(int i) {
        return "node-" + (i + 1);
    }

    Path config(int i) {
        return dir.resolve(id(i) + ".yaml");
    }

    Path log(int i) {
        return dir.resolve(id(i) + ".log");
    }

    String url(int i) {
        return "http://127.0.0.1:" + httpPorts[i];
    }

    /** Node i's {@code java.io.tmpdir}: its own, so that what a node leaves there stays in the test's directory. */
    Path tmp(int i) {
        return dir.resolve(id(i) + "-tmp");
    }

    void start(int i) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.createDirectories(tmp(i));
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + tmp(i),
                "-cp", System.getProperty("java.class.path"), "io.glint.node.Main", "--config", config(i).toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log(i).toFile()));
        pb.environment().putAll(launchEnv.getOrDefault(i, Map.of()));
        processes[i] = pb.start();
    }

    /**
     * From its next start on, node i's JVM runs with these environment variables added (for
     * example libfaketime preloaded into it; preloaded directly rather than through the
     * {@code faketime} wrapper, which would be a second process to kill and leaves its
     * {@code /dev/shm/faketime_*} files behind when killed).
     */
    void launchWithEnv(int i, Map<String, String> env) {
        launchEnv.put(i, Map.copyOf(env));
    }

    /**
     * Starts the founders and returns once each is healthy and its cluster view lists them all.
     * A node serves once its own record is in the node table, and hears of the others' on its next
     * heartbeat tick; a test that acts at once (kills a node, uploads with acks "all") would
     * otherwise meet a view that still lacks a founder (CI saw an upload placed on two of three).
     */
    void startAll() throws IOException {
        for (int i = 0; i < founders; i++) start(i);
        for (int i = 0; i < founders; i++) awaitHealthy(i);
        for (int i = 0; i < founders; i++) awaitViewOf(i, founders);
    }

    /** Polls node i's cluster status (which refreshes its view) until it lists at least n nodes. */
    void awaitViewOf(int i, int n) {
        await(Duration.ofSeconds(60), () -> {
            try {
                return status(i).path("nodes").size() >= n;
            } catch (IOException e) {
                return false;
            }
        }, id(i) + " sees " + n + " nodes");
    }

    void awaitHealthy(int i) {
        await(Duration.ofSeconds(120), () -> {
            if (processes[i] != null && !processes[i].isAlive()) {
                throw new IllegalStateException(id(i) + " exited: " + tail(i));
            }
            try {
                return get(i, "/healthcheck").statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        }, id(i) + " healthy");
    }

    /** SIGKILL: no shutdown hook, no flush, like a power cut of the process. */
    void kill9(int i) throws InterruptedException {
        Process p = processes[i];
        if (p == null) return;
        killTree(p);
        p.waitFor(30, TimeUnit.SECONDS);
        processes[i] = null;
        removeFaketimeFiles(i, p);
    }

    /**
     * libfaketime in a process makes a semaphore and a shared memory segment named after its pid
     * and removes them at a normal exit; these nodes are killed, so the test removes them.
     */
    private void removeFaketimeFiles(int i, Process p) {
        if (!launchEnv.getOrDefault(i, Map.of()).containsKey("FAKETIME")) return;
        for (String name : List.of("faketime_shm_" + p.pid(), "sem.faketime_sem_" + p.pid())) {
            try {
                Files.deleteIfExists(Path.of("/dev/shm", name));
            } catch (IOException e) {
                // not ours to worry about beyond trying
            }
        }
    }

    /**
     * Sends {@code signal} (STOP, CONT) to node i's JVM and any process it started. A stopped node keeps
     * its sockets: the kernel accepts connections and requests for it, and nothing answers them.
     */
    void signal(int i, String signal) throws IOException, InterruptedException {
        Process p = processes[i];
        if (p == null) throw new IllegalStateException(id(i) + " is not running");
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + signal, Long.toString(p.pid())));
        p.descendants().forEach(h -> cmd.add(Long.toString(h.pid())));
        Process k = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!k.waitFor(30, TimeUnit.SECONDS) || k.exitValue() != 0) {
            throw new IOException("kill -" + signal + " of " + id(i) + ": " + new String(k.getInputStream().readAllBytes()));
        }
    }

    /**
     * SIGKILL to the node's JVM and any process it started (none today; a node launched through a
     * wrapper program would be its child, and killing only the wrapper would leave it running).
     */
    private static void killTree(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    boolean alive(int i) {
        return processes[i] != null && processes[i].isAlive();
    }

    HttpResponse<String> get(int i, String path) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(url(i) + path)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    HttpResponse<String> send(HttpRequest r) throws IOException {
        try {
            return http.send(r, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    String createImage(int i, String name) throws IOException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(url(i) + "/v2/images")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\",\"disk_format\":\"raw\",\"container_format\":\"bare\"}"))
                .build());
        if (r.statusCode() != 201) throw new IOException("create on " + id(i) + ": " + r.statusCode() + " " + r.body());
        return JSON.readTree(r.body()).path("id").asText();
    }

    HttpResponse<String> upload(int i, String imageId, byte[] data) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(url(i) + "/v2/images/" + imageId + "/file")).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build());
    }

    /** The image's bytes as node i serves them, or null if it answers other than 200. */
    byte[] download(int i, String imageId) throws IOException {
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url(i) + "/v2/images/" + imageId + "/file"))
                    .timeout(Duration.ofSeconds(120)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            return r.statusCode() == 200 ? r.body() : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    JsonNode status(int i) throws IOException {
        HttpResponse<String> r = get(i, "/glint/v1/cluster");
        if (r.statusCode() != 200) throw new IOException("status of " + id(i) + ": " + r.statusCode());
        return JSON.readTree(r.body());
    }

    /** The chunk ids node i holds, as its peer API lists them. */
    java.util.Set<String> chunksOn(int i) throws IOException {
        java.util.Set<String> out = new java.util.TreeSet<>();
        PeerClient c = new PeerClient(SECRET, Duration.ofSeconds(10));
        for (Integer pg : c.digests("127.0.0.1:" + peerPorts[i]).keySet()) out.addAll(c.listGroup("127.0.0.1:" + peerPorts[i], pg));
        return out;
    }

    String tail(int i) {
        try {
            List<String> lines = Files.readAllLines(log(i));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** The index of the Raft leader, as node 0's status page tells it (waits up to 30 s for one). */
    int leaderIndex() {
        int[] found = {-1};
        await(Duration.ofSeconds(30), () -> {
            try {
                String leader = status(0).path("leader").asText();
                for (int i = 0; i < count; i++) if (id(i).equals(leader)) found[0] = i;
                return found[0] >= 0;
            } catch (IOException e) {
                return false;
            }
        }, "a leader");
        return found[0];
    }

    /** Deterministic random image bytes. */
    static byte[] randomBytes(int bytes, long seed) {
        byte[] b = new byte[bytes];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    static void await(Duration bound, BooleanSupplier condition, String what) {
        io.glint.node.Poll.until(bound, Duration.ofMillis(200), condition, () -> what);
    }

    private static final java.util.concurrent.atomic.AtomicInteger NEXT_PORT =
            new java.util.concurrent.atomic.AtomicInteger(20_000 + new java.util.Random().nextInt(10_000));

    /**
     * A free port below Linux's ephemeral range (32768-60999). A port the kernel hands out for
     * port 0 lies inside that range, and between the probe and the node's bind another process's
     * outgoing connection could take it (a node then died with "Address already in use").
     */
    static int freePort() throws IOException {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = NEXT_PORT.getAndIncrement();
            if (port >= 32_000) NEXT_PORT.set(20_000);
            try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // in use: the next one
            }
        }
        throw new IOException("no free port in 20000-32000");
    }

    /** Keeps the nodes' logs under target/cluster-test-logs/ (the temp dir goes away with the test). */
    private void keepLogs() {
        Path to = Path.of("target", "cluster-test-logs", dir.getFileName().toString());
        try {
            Files.createDirectories(to);
            for (int i = 0; i < count; i++) {
                if (Files.exists(log(i))) Files.copy(log(i), to.resolve(id(i) + ".log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.err.println("could not keep the cluster logs: " + e);
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < count; i++) {
            Process p = processes[i];
            if (p != null) killTree(p);
        }
        for (int i = 0; i < count; i++) {
            Process p = processes[i];
            if (p != null) {
                try {
                    p.waitFor(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                removeFaketimeFiles(i, p);
            }
        }
        keepLogs();
    }
}
