package io.glint.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Issue 4's benchmark on a local 4-node cluster started by {@code bench/run-cluster-bench.sh}
 * (R=3, writeAcks 2, one disk shared by all nodes):
 * <ol>
 *   <li>the raw disk: dd write with fdatasync, and an O_DIRECT read, of the image size;</li>
 *   <li>node 4 is drained, so it holds nothing of what follows;</li>
 *   <li>upload of the image through node 1 (three copies go to nodes 1-3), against raw write / 3,
 *       the physical limit of three copies on one disk (target >= 0.7);</li>
 *   <li>download from node 4, which has no local copy (every chunk comes over the peer transport
 *       and is checked against the manifest's CRC32C), against the raw O_DIRECT read (target >= 0.5); and from
 *       node 1 (local chunks) for context: each the median of 5 after 30 uncounted warm-up downloads;</li>
 *   <li>node 4 is undrained and the groups rebalance; then node 3 is killed with SIGKILL and the
 *       repair is timed: from the kill, and from the moment node 3 is marked DOWN, until every chunk
 *       is on three live nodes again; bytes re-replicated / time = repair throughput.</li>
 * </ol>
 * Every wait is bounded; the run stops by itself.
 */
public final class ClusterBench {
    static final double MB = 1e6;
    static final long MIB = 1L << 20;
    static final String TOKEN = "bench";
    static final Duration DATA_TIMEOUT = Duration.ofMinutes(20);
    static final ObjectMapper JSON = new ObjectMapper();
    static final int WARM_DOWNLOADS = 30;
    static final int TIMED_DOWNLOADS = 5;
    static final int RAW_READS = 3;

    private final List<URI> nodes;
    private final List<Path> chunkDirs;
    private final List<Long> pids;
    private final Path rawDir;
    private final long sizeBytes;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    ClusterBench(List<URI> nodes, List<Path> chunkDirs, List<Long> pids, Path rawDir, long sizeBytes) {
        this.nodes = nodes;
        this.chunkDirs = chunkDirs;
        this.pids = pids;
        this.rawDir = rawDir;
        this.sizeBytes = sizeBytes;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        for (String k : List.of("nodes", "chunk-dirs", "pids", "raw-dir")) {
            if (!o.containsKey(k)) {
                System.err.println("usage: ClusterBench --nodes URL,URL,URL,URL --chunk-dirs D,D,D,D --pids P,P,P,P --raw-dir DIR [--size-mib N]");
                System.exit(2);
            }
        }
        List<URI> nodes = Stream.of(o.get("nodes").split(",")).map(URI::create).toList();
        List<Path> dirs = Stream.of(o.get("chunk-dirs").split(",")).map(Path::of).toList();
        List<Long> pids = Stream.of(o.get("pids").split(",")).map(Long::parseLong).toList();
        long size = Long.parseLong(o.getOrDefault("size-mib", "1024")) * MIB;
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(TimeUnit.MINUTES.toMillis(60));
                System.err.println("cluster-bench: the run exceeded 60 min; exiting");
                System.exit(3);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        new ClusterBench(nodes, dirs, pids, Path.of(o.get("raw-dir")), size).run();
        System.exit(0);
    }

    void run() throws Exception {
        String size = sizeBytes % (1 << 30) == 0 ? (sizeBytes >> 30) + " GiB" : (sizeBytes >> 20) + " MiB";
        System.out.printf("== Glint cluster benchmark: 4 local nodes, R=3, writeAcks 2, one %s image, %d cores, %s%n", size,
                Runtime.getRuntime().availableProcessors(), java.time.LocalDateTime.now().withNano(0));
        double[] raw = rawDisk();
        System.out.printf("   raw disk: write+fdatasync %.1f MB/s (three copies: %.1f MB/s), O_DIRECT read %.1f MB/s (median of %s)%n",
                raw[0], raw[0] / 3, raw[1], java.util.Arrays.toString(java.util.Arrays.copyOfRange(raw, 2, raw.length)));

        admin(0, "POST", "/glint/v1/nodes/node-4/drain");
        awaitState("node-4", "DRAINING");
        System.out.println("   node-4 drained: it takes no placements");
        for (int i = 0; i < 3; i++) {
            ImageBytes warm = new ImageBytes(0x1000 + i, 64 * MIB);
            String id = createImage(0, "warm-" + i);
            check(RawTransfer.upload(nodes.get(0), "/v2/images/" + id + "/file", TOKEN, warm, DATA_TIMEOUT), 204, "warm-up upload");
            check(RawTransfer.download(nodes.get(3), "/v2/images/" + id + "/file", TOKEN, warm, DATA_TIMEOUT), 200, "warm-up download");
        }

        ImageBytes image = new ImageBytes(0xC1A55E7L, sizeBytes);
        String id = createImage(0, "bench-image");
        sync();
        RawTransfer.Answer up = check(RawTransfer.upload(nodes.get(0), "/v2/images/" + id + "/file", TOKEN, image, DATA_TIMEOUT),
                204, "upload");
        double upMBs = sizeBytes / MB / (up.elapsedNanos() / 1e9);
        Map<String, Integer> copies = copies(List.of(0, 1, 2, 3));
        long onNode4 = chunkIds(3).size();
        System.out.printf("   upload through node-1: %.1f MB/s = %.2f x (raw write / 3)   [%d chunks, node-4 holds %d]%n", upMBs,
                upMBs / (raw[0] / 3), copies.size(), onNode4);

        // A node serves its first gigabytes while its JIT still compiles the request and peer paths:
        // C2 took ~13% of both cores during the first remote downloads here, and a source node serves
        // only ~85 chunk requests per GiB, so its request path reaches C2 slowly. Remote downloads of
        // 1 GiB rose from ~0.8 to a plateau of ~1.4-1.5 GB/s over the first 25 or so. The figures are
        // for warm nodes, as a long-running server is: WARM_DOWNLOADS uncounted (all printed), then
        // the median of TIMED_DOWNLOADS.
        double[] remote = downloads(3, id, image, "node-4");
        double[] local = downloads(0, id, image, "node-1");
        double remoteMBs = NodeBench.median(remote);
        double localMBs = NodeBench.median(local);
        System.out.printf("   download from node-4 (no local copy, every chunk over the peer transport): median %.1f MB/s = %.2f x raw"
                + " O_DIRECT read; from node-1 (local chunks): median %.1f MB/s%n", remoteMBs, remoteMBs / raw[1], localMBs);

        admin(0, "POST", "/glint/v1/nodes/node-4/undrain");
        long t0 = System.nanoTime();
        // node-4 wins about R/4 of the places (3/4 of the chunks): wait until it holds most of that share
        // and every chunk is on exactly three nodes (the others have handed theirs off)
        awaitCopies(List.of(0, 1, 2, 3), Duration.ofMinutes(15), 3, (int) (copies.size() * 3 / 4 * 0.7));
        System.out.printf("   node-4 undrained: groups rebalanced (every chunk on exactly 3 of 4 nodes) in %.1f s; node-4 holds %d chunks%n",
                (System.nanoTime() - t0) / 1e9, chunkIds(3).size());

        long lostBytes = bytesOf(chunkDirs.get(2));
        long tKill = System.nanoTime();
        ProcessHandle.of(pids.get(2)).ifPresent(ProcessHandle::destroyForcibly);
        JsonNode down = awaitState("node-3", "DOWN");
        // When the leader marked it DOWN, by the registry (the status page shows it a view refresh or a
        // slow status call later; node-3 may have led Raft, and the election holds reads up too).
        long tDown = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis() - down.path("updated_at_ms").asLong());
        awaitCopies(List.of(0, 1, 3), Duration.ofMinutes(30), 2, 0);
        long tDone = System.nanoTime();
        double fromKill = (tDone - tKill) / 1e9;
        double fromDown = (tDone - tDown) / 1e9;
        System.out.printf("   node-3 killed (SIGKILL) holding %.1f MB: marked DOWN after %.1f s; every chunk on 3 live nodes"
                        + " %.1f s after the kill; repair %.1f MB/s from DOWN (%.1f MB/s from the kill)%n", lostBytes / MB,
                (tDown - tKill) / 1e9, fromKill, lostBytes / MB / fromDown, lostBytes / MB / fromKill);

        for (int n : List.of(0, 1, 3)) {
            check(RawTransfer.download(nodes.get(n), "/v2/images/" + id + "/file", TOKEN, image, DATA_TIMEOUT), 200,
                    "download from node-" + (n + 1) + " after the repair");
        }
        System.out.println("   the image reads back byte-exact from the three live nodes");
        System.out.println();
        System.out.println("== targets of issue 4");
        target(upMBs >= 0.7 * raw[0] / 3, String.format("upload %.1f MB/s >= 0.7 x raw write / 3 = %.1f MB/s", upMBs, 0.7 * raw[0] / 3));
        target(remoteMBs >= 0.5 * raw[1], String.format("download from a node without a local copy %.1f MB/s >= 0.5 x raw read %.1f = %.1f MB/s",
                remoteMBs, raw[1], 0.5 * raw[1]));
        System.out.println("   (all nodes, the client and dd share this machine's cores and its one disk)");
    }

    /**
     * Downloads the image from {@code node} WARM_DOWNLOADS times uncounted, then TIMED_DOWNLOADS
     * times; every one is checked byte for byte. Prints them all; returns the timed MB/s.
     */
    private double[] downloads(int node, String id, ImageBytes image, String name) throws IOException {
        double[] timed = new double[TIMED_DOWNLOADS];
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < WARM_DOWNLOADS + TIMED_DOWNLOADS; i++) {
            RawTransfer.Answer a = check(RawTransfer.download(nodes.get(node), "/v2/images/" + id + "/file", TOKEN, image, DATA_TIMEOUT),
                    200, "download from " + name);
            double mbs = sizeBytes / MB / (a.elapsedNanos() / 1e9);
            if (i == WARM_DOWNLOADS) line.append(" |");
            line.append(String.format(" %.0f", mbs));
            if (i >= WARM_DOWNLOADS) timed[i - WARM_DOWNLOADS] = mbs;
        }
        System.out.printf("   downloads from %s, MB/s, %d warm-up | %d timed:%s%n", name, WARM_DOWNLOADS, TIMED_DOWNLOADS, line);
        return timed;
    }

    private static void target(boolean met, String text) {
        System.out.printf("   %-7s %s%n", met ? "MET" : "MISSED", text);
    }

    private RawTransfer.Answer check(RawTransfer.Answer a, int status, String what) throws IOException {
        if (a.status() != status) throw new IOException(what + " answered " + a.status() + ": " + a.body());
        if (a.firstMismatchOffset() >= 0) throw new IOException(what + ": bytes differ at offset " + a.firstMismatchOffset());
        return a;
    }

    private String createImage(int node, String name) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(nodes.get(node).resolve("/v2/images")).timeout(Duration.ofSeconds(60))
                .header("X-Auth-Token", TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\",\"disk_format\":\"raw\",\"container_format\":\"bare\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) throw new IOException("create answered " + r.statusCode() + ": " + r.body());
        return JSON.readTree(r.body()).path("id").asText();
    }

    private JsonNode admin(int node, String method, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(nodes.get(node).resolve(path)).timeout(Duration.ofSeconds(60))
                .header("X-Auth-Token", TOKEN).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
        return JSON.readTree(r.body());
    }

    /** Polls node-1's cluster status until {@code nodeId} is in {@code state}; returns System.nanoTime() then. */
    /** Waits until node-1's status shows {@code nodeId} in {@code state}; returns that node's status entry. */
    private JsonNode awaitState(String nodeId, String state) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            for (JsonNode n : admin(0, "GET", "/glint/v1/cluster").path("nodes")) {
                if (n.path("id").asText().equals(nodeId) && n.path("state").asText().equals(state)) return n;
            }
            Thread.sleep(100);
        }
        throw new IOException(nodeId + " did not become " + state + " within 5 min");
    }

    /**
     * Waits until every chunk known to any node is on exactly three of {@code live}, and node
     * {@code watched} holds at least {@code watchedMin} chunks.
     */
    private void awaitCopies(List<Integer> live, Duration bound, int watched, int watchedMin) throws Exception {
        long deadline = System.nanoTime() + bound.toNanos();
        while (System.nanoTime() < deadline) {
            Map<String, Integer> c = copies(live);
            if (!c.isEmpty() && c.values().stream().allMatch(n -> n == 3) && chunkIds(watched).size() >= watchedMin) return;
            Thread.sleep(250);
        }
        throw new IOException("chunks not on 3 of nodes " + live + " within " + bound.toMinutes() + " min");
    }

    private Map<String, Integer> copies(List<Integer> live) throws IOException {
        Map<String, Integer> out = new HashMap<>();
        for (int i = 0; i < chunkDirs.size(); i++) for (String id : chunkIds(i)) out.putIfAbsent(id, 0);
        for (int i : live) for (String id : chunkIds(i)) out.merge(id, 1, Integer::sum);
        return out;
    }

    private List<String> chunkIds(int node) throws IOException {
        Path dir = chunkDirs.get(node);
        if (!Files.isDirectory(dir)) return List.of();
        List<String> ids = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(Files::isRegularFile).forEach(p -> ids.add(p.getFileName().toString()));
        } catch (java.io.UncheckedIOException e) {
            // a file was handed off while we walked: count again next poll
        }
        return ids;
    }

    private static long bytesOf(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** {write MB/s with fdatasync, O_DIRECT read MB/s} of the image size on the data file system. */
    private double[] rawDisk() throws Exception {
        Files.createDirectories(rawDir);
        Path src = rawDir.resolve("dd-source.bin");
        Path dst = rawDir.resolve("dd-target.bin");
        try {
            try (var in = new ImageBytes(7, sizeBytes).stream(); var out = Files.newOutputStream(src)) {
                in.transferTo(out);
            }
            sync();
            double write = dd("if=" + src, "of=" + dst, "bs=4M", "conv=fdatasync");
            // The read is the target's yardstick, and one dd read of 1 GiB here ran anywhere from 2.6
            // to 3.7 GB/s: the median of three.
            double[] reads = new double[RAW_READS];
            for (int i = 0; i < RAW_READS; i++) reads[i] = dd("if=" + dst, "of=/dev/null", "bs=4M", "iflag=direct");
            double[] out = new double[2 + RAW_READS];
            out[0] = write;
            out[1] = NodeBench.median(reads);
            System.arraycopy(reads, 0, out, 2, RAW_READS);
            return out;
        } finally {
            Files.deleteIfExists(src);
            Files.deleteIfExists(dst);
        }
    }

    private double dd(String... operands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("dd", "status=none"));
        cmd.addAll(List.of(operands));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("dd timed out");
        }
        if (p.exitValue() != 0) throw new IOException("dd failed: " + new String(p.getInputStream().readAllBytes()));
        return sizeBytes / MB / ((System.nanoTime() - t0) / 1e9);
    }

    private static void sync() throws Exception {
        new ProcessBuilder("sync").start().waitFor(5, TimeUnit.MINUTES);
    }
}
