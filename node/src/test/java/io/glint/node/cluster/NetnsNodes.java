package io.glint.node.cluster;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Real node processes, one per Linux network namespace made by {@code netns-cluster.sh}: node k
 * (1-based, as the script counts) runs in namespace {@code <prefix>k} and binds its HTTP, Raft
 * and peer ports to {@code <subnet>.k}. The test JVM stays in the host namespace and cannot reach
 * those addresses, so every HTTP request runs as {@code curl} inside a namespace. Needs root.
 */
final class NetnsNodes implements AutoCloseable {
    static final int HTTP_PORT = 9292;
    static final int RAFT_PORT = 9494;
    static final int PEER_PORT = 9595;

    final Path dir;
    final Path script;
    final String prefix;
    final String subnet;
    final int count;
    private final Process[] processes;
    private final Path stateDir;
    private int curls;

    /** A finished curl: the HTTP status (0 when no response came), the headers and the body file. */
    record Curl(int status, String headers, Path body, String stderr) {
        String bodyText() throws IOException {
            return Files.exists(body) ? Files.readString(body, StandardCharsets.UTF_8) : "";
        }

        byte[] bytes() throws IOException {
            return Files.exists(body) ? Files.readAllBytes(body) : new byte[0];
        }

        /** The value of a response header (case-insensitive name), or null. */
        String header(String name) {
            for (String line : headers.split("\r?\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) return line.substring(colon + 1).trim();
            }
            return null;
        }

        @Override
        public String toString() {
            String text;
            try {
                text = bodyText();
            } catch (IOException e) {
                text = "(" + e + ")";
            }
            return status + " " + (text.length() > 300 ? text.substring(0, 300) + "..." : text) + (stderr.isBlank() ? "" : " [curl: " + stderr.trim() + "]");
        }
    }

    NetnsNodes(Path dir, Path script, String prefix, String subnet, int count) throws IOException {
        this.dir = dir;
        this.script = script;
        this.prefix = prefix;
        this.subnet = subnet;
        this.count = count;
        this.processes = new Process[count + 1];
        this.stateDir = dir.resolve("netns-state");
        Files.createDirectories(stateDir);
        Files.createDirectories(dir.resolve("curl"));
        List<String> peers = new ArrayList<>();
        for (int k = 1; k <= count; k++) peers.add(id(k) + "@" + addr(k) + ":" + RAFT_PORT);
        for (int k = 1; k <= count; k++) {
            Files.writeString(config(k), """
                    node:
                      id: %s
                      dataDir: %s
                    http:
                      host: %s
                      port: %d
                    raft:
                      host: %s
                      port: %d
                      peers: [%s]
                      voters: %d
                      clusterName: partition-test
                      electionTimeout: 1s
                    peer:
                      host: %s
                      port: %d
                      secret: %s
                    chunk:
                      size: 1MiB
                    replication:
                      factor: 3
                      writeAcks: 2
                      heartbeatSeconds: 1
                      downAfterSeconds: %d
                      intervalSeconds: 1
                      bytesPerSecond: 200MiB
                    """.formatted(id(k), dir.resolve(id(k)), addr(k), HTTP_PORT, addr(k), RAFT_PORT,
                    String.join(", ", peers), count, addr(k), PEER_PORT, ClusterProcesses.SECRET,
                    // Not shorter: after the cut, a majority node's heartbeats (Raft writes that first try the
                    // old leader across it) reached the new leader only 4+ s after it took office on a
                    // busy 2-core CI run, which marked that node DOWN and failed the majority's upload.
                    ClusterProcesses.DOWN_AFTER_SECONDS));
        }
    }

    /** The absolute path of a tool on PATH or in the sbin directories (root's tools), or null. */
    static String tool(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        for (String d : dirs) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) return Path.of(d, name).toString();
        }
        return null;
    }

    private static String ip() {
        String ip = tool("ip");
        return ip == null ? "ip" : ip;
    }

    static String id(int k) {
        return "node-" + k;
    }

    String ns(int k) {
        return prefix + k;
    }

    String addr(int k) {
        return subnet + "." + k;
    }

    String url(int k, String path) {
        return "http://" + addr(k) + ":" + HTTP_PORT + path;
    }

    Path config(int k) {
        return dir.resolve(id(k) + ".yaml");
    }

    Path log(int k) {
        return dir.resolve(id(k) + ".log");
    }

    /** Runs {@code netns-cluster.sh args..} with this cluster's prefix, subnet and state dir; returns its output. */
    String script(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("NC_PREFIX", prefix);
        env.put("NC_SUBNET", subnet);
        env.put("NC_STATE_DIR", stateDir.toString());
        env.put("PATH", env.getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin");
        Process p = pb.start();
        String out;
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("netns-cluster.sh " + String.join(" ", args) + ": no answer within 60 s");
            }
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException(e);
        }
        if (p.exitValue() != 0) throw new IOException("netns-cluster.sh " + String.join(" ", args) + " exited " + p.exitValue() + ": " + out.trim());
        System.out.println("netns-cluster.sh " + String.join(" ", args) + ": " + out.trim());
        return out;
    }

    /** Starts node k's JVM inside its namespace. */
    void start(int k) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(ip(), "netns", "exec", ns(k), java, "-Xmx256m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "io.glint.node.Main",
                "--config", config(k).toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log(k).toFile()));
        processes[k] = pb.start();
    }

    boolean alive(int k) {
        return processes[k] != null && processes[k].isAlive();
    }

    /**
     * {@code curl} inside node {@code from}'s namespace; never throws for HTTP errors or
     * connection failures (status 0 then).
     */
    Curl curl(int from, int maxSeconds, String... args) throws IOException {
        int n;
        synchronized (this) {
            n = ++curls;
        }
        Path body = dir.resolve("curl").resolve(n + ".body");
        Path headers = dir.resolve("curl").resolve(n + ".headers");
        List<String> cmd = new ArrayList<>(List.of(ip(), "netns", "exec", ns(from), tool("curl") == null ? "curl" : tool("curl"), "-s", "-S",
                "-o", body.toString(), "-D", headers.toString(), "-w", "%{http_code}",
                "--connect-timeout", "5", "--max-time", String.valueOf(maxSeconds), "-H", "Expect:"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
        try {
            if (!p.waitFor(maxSeconds + 30L, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("curl " + String.join(" ", args) + " still running after " + (maxSeconds + 30) + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException(e);
        }
        String code = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        int status;
        try {
            status = Integer.parseInt(code);
        } catch (NumberFormatException e) {
            status = 0;
        }
        String head = Files.exists(headers) ? Files.readString(headers, StandardCharsets.ISO_8859_1) : "";
        return new Curl(status, head, body, err);
    }

    /** GET {@code path} on node k's HTTP API, from inside its namespace. */
    Curl get(int k, String path, int maxSeconds) throws IOException {
        return curl(k, maxSeconds, url(k, path));
    }

    /** POST /v2/images on node k. */
    Curl createImage(int k, String name, int maxSeconds) throws IOException {
        return curl(k, maxSeconds, "-X", "POST", "-H", "Content-Type: application/json",
                "-d", "{\"name\":\"" + name + "\",\"disk_format\":\"raw\",\"container_format\":\"bare\"}", url(k, "/v2/images"));
    }

    Curl upload(int k, String imageId, Path file) throws IOException {
        return curl(k, 120, "-X", "PUT", "-H", "Content-Type: application/octet-stream", "-T", file.toString(),
                url(k, "/v2/images/" + imageId + "/file"));
    }

    Curl download(int k, String imageId) throws IOException {
        return curl(k, 60, url(k, "/v2/images/" + imageId + "/file"));
    }

    /**
     * Node k's admin view of the cluster, or null when it does not answer 200. Right after a
     * partition this call is slow (it re-reads the node table, up to 2 x 10 s, and asks every node
     * for its chunk digests, up to the 30 s peer timeout for one that stopped answering), hence 60 s.
     */
    JsonNode status(int k) throws IOException {
        Curl c = get(k, "/glint/v1/cluster", 60);
        return c.status() == 200 ? ClusterProcesses.JSON.readTree(c.bodyText()) : null;
    }

    /** The Raft leader node k knows of (1-based), or 0. */
    int leader(int k) throws IOException {
        JsonNode s = status(k);
        if (s == null) return 0;
        String leader = s.path("leader").asText("");
        for (int j = 1; j <= count; j++) if (id(j).equals(leader)) return j;
        return 0;
    }

    /** Whether node k's chunk store holds the chunk (peer API, from inside its namespace). */
    boolean holdsChunk(int k, String chunkId) throws IOException {
        Curl c = curl(k, 15, "-H", PeerApi.SECRET_HEADER + ": " + ClusterProcesses.SECRET,
                "http://" + addr(k) + ":" + PEER_PORT + "/peer/v1/chunks/" + chunkId + "/exists");
        return c.status() == 200;
    }

    String tail(int k, int lines) {
        try {
            List<String> all = Files.readAllLines(log(k));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Copies the node logs to {@code target} (kept after the temp dir is gone, for a look after a failure). */
    void keepLogs(Path target) {
        try {
            Files.createDirectories(target);
            for (int k = 1; k <= count; k++) {
                if (Files.exists(log(k))) Files.copy(log(k), target.resolve(id(k) + ".log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.out.println("could not keep the node logs: " + e);
        }
    }

    /** Kills every node process, then removes the namespaces. */
    @Override
    public void close() {
        for (int k = 1; k <= count; k++) if (processes[k] != null) processes[k].destroyForcibly();
        for (int k = 1; k <= count; k++) {
            if (processes[k] == null) continue;
            try {
                processes[k].waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            script("down");
        } catch (IOException e) {
            System.out.println("netns-cluster.sh down failed: " + e.getMessage());
        }
    }
}
