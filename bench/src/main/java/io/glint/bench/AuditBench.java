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

/**
 * Issue 5's benchmark, one phase per call (bench/run-audit-bench.sh runs them against a node it
 * restarts in between):
 * <ul>
 *   <li>{@code load}: creates and uploads the images (ids saved to a file);</li>
 *   <li>{@code download}: downloads every image {@code --rounds} times, checking every byte, and
 *       prints the throughput and what the background auditor re-hashed meanwhile;</li>
 *   <li>{@code audit}: runs a deep consistency audit and prints the GB/s each node verified.</li>
 * </ul>
 */
public final class AuditBench {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "audit-bench";
    static final Duration DATA_TIMEOUT = Duration.ofMinutes(30);
    static final long MIB = 1L << 20;

    private AuditBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>();
        String phase = args.length > 0 ? args[0] : "";
        for (int i = 1; i + 1 < args.length; i += 2) o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        URI base = URI.create(o.getOrDefault("url", "http://127.0.0.1:9692"));
        Path ids = Path.of(o.getOrDefault("ids", "audit-bench-images.txt"));
        int images = Integer.parseInt(o.getOrDefault("images", "4"));
        long sizeBytes = Long.parseLong(o.getOrDefault("size-mib", "256")) * MIB;
        switch (phase) {
            case "load" -> load(base, ids, images, sizeBytes);
            case "download" -> download(base, ids, sizeBytes, Integer.parseInt(o.getOrDefault("rounds", "3")),
                    o.get("label"));
            case "audit" -> audit(base);
            default -> {
                System.err.println("usage: AuditBench load|download|audit [--url U] [--ids FILE] [--images N] [--size-mib N]"
                        + " [--rounds N] [--label L]");
                System.exit(2);
            }
        }
    }

    private static void load(URI base, Path ids, int images, long sizeBytes) throws Exception {
        List<String> out = new ArrayList<>();
        HttpClient http = HttpClient.newHttpClient();
        long t0 = System.nanoTime();
        for (int i = 0; i < images; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v2/images")).header("X-Auth-Token", TOKEN)
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"audit-bench-" + i
                            + "\",\"disk_format\":\"raw\",\"container_format\":\"bare\"}")).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 201) throw new IllegalStateException("create: " + r.statusCode() + " " + r.body());
            String id = JSON.readTree(r.body()).path("id").asText();
            RawTransfer.Answer up = RawTransfer.upload(base, "/v2/images/" + id + "/file", TOKEN, new ImageBytes(0xA0D17L + i, sizeBytes),
                    DATA_TIMEOUT);
            if (up.status() != 204) throw new IllegalStateException("upload: " + up.status() + " " + up.body());
            out.add(id);
        }
        Files.write(ids, out);
        System.out.printf("loaded %d images of %d MiB in %.1f s%n", images, sizeBytes / MIB, (System.nanoTime() - t0) / 1e9);
    }

    private static void download(URI base, Path idFile, long sizeBytes, int rounds, String label) throws Exception {
        List<String> ids = Files.readAllLines(idFile);
        JsonNode before = auditorCounters(base);
        long wall0 = System.nanoTime();
        long bytes = 0;
        long nanos = 0;
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < ids.size(); i++) {
                RawTransfer.Answer a = RawTransfer.download(base, "/v2/images/" + ids.get(i) + "/file", TOKEN,
                        new ImageBytes(0xA0D17L + i, sizeBytes), DATA_TIMEOUT);
                if (a.status() != 200) throw new IllegalStateException("download: " + a.status() + " " + a.body());
                if (a.firstMismatchOffset() >= 0 || a.bodyBytes() != sizeBytes) {
                    throw new IllegalStateException("image " + ids.get(i) + ": wrong bytes at " + a.firstMismatchOffset()
                            + " or length " + a.bodyBytes());
                }
                bytes += sizeBytes;
                nanos += a.elapsedNanos();
            }
        }
        double mbps = bytes / 1e6 / (nanos / 1e9);
        JsonNode after = auditorCounters(base);
        double wallSeconds = (System.nanoTime() - wall0) / 1e9;
        long hashed = after.path("bytes_verified").asLong() - before.path("bytes_verified").asLong();
        System.out.printf("  meanwhile the background auditor re-hashed %.1f MB (%.1f MB/s; %d deep passes finished)%n",
                hashed / 1e6, hashed / 1e6 / wallSeconds, after.path("deep_passes").asLong() - before.path("deep_passes").asLong());
        System.out.printf("download %-28s %8.1f MB/s (%d x %d MiB, every byte checked)%n", label == null ? "" : label, mbps,
                rounds * ids.size(), sizeBytes / MIB);
        System.out.println("MBPS=" + String.format(java.util.Locale.ROOT, "%.1f", mbps));
    }

    /** The auditor's counters from the node's status page. */
    private static JsonNode auditorCounters(URI base) throws Exception {
        HttpResponse<String> s = HttpClient.newHttpClient().send(HttpRequest.newBuilder(base.resolve("/glint/v1/cluster"))
                .header("X-Auth-Token", TOKEN).timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (s.statusCode() != 200) throw new IllegalStateException("status: " + s.statusCode() + " " + s.body());
        return JSON.readTree(s.body()).path("auditor");
    }

    private static void audit(URI base) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/glint/v1/audits")).header("X-Auth-Token", TOKEN)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString("{\"deep\": true}")).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 202) throw new IllegalStateException("audit: " + r.statusCode() + " " + r.body());
        String id = JSON.readTree(r.body()).path("id").asText();
        long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
        JsonNode report;
        while (true) {
            HttpResponse<String> s = http.send(HttpRequest.newBuilder(base.resolve("/glint/v1/audits/" + id)).header("X-Auth-Token", TOKEN)
                    .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString());
            report = JSON.readTree(s.body());
            if (!"running".equals(report.path("state").asText())) break;
            if (System.nanoTime() > deadline) throw new IllegalStateException("audit " + id + " did not finish in 30 min");
            Thread.sleep(500);
        }
        if (!"done".equals(report.path("state").asText())) throw new IllegalStateException("audit failed: " + report);
        System.out.printf("deep audit %s: %.1f s in all, healthy=%s, registry digests agree=%s%n", id,
                report.path("duration_seconds").asDouble(), report.path("healthy").asBoolean(),
                report.path("registry").path("agree").asBoolean());
        for (JsonNode n : report.path("nodes")) {
            double secs = n.path("scan_seconds").asDouble();
            long verified = n.path("bytes_verified").asLong();
            System.out.printf("  %-10s verified %d chunks, %.2f GB in %.2f s = %.2f GB/s (SHA-256 of every byte)%n",
                    n.path("nodeId").asText(), n.path("chunks_scanned").asLong(), verified / 1e9, secs, verified / 1e9 / secs);
        }
    }
}
