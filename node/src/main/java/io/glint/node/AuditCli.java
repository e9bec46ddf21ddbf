package io.glint.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.http.HttpResponse;

/**
 * {@code glint audit run|show|list}: starts a consistency audit on a node and waits for its report,
 * or prints a kept one, as a table or (with {@code --json}) as the API returns it. Exit codes: 0 the
 * audit finished and the cluster is healthy, 3 it finished and found problems, 1 the server refused
 * or the audit failed, 2 usage or connection error.
 */
final class AuditCli {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final long POLL_MILLIS = 1_000;

    private AuditCli() {}

    static int run(String url, boolean deep, boolean repair, boolean json, long waitSeconds)
            throws java.io.IOException, InterruptedException {
        String body = "{\"deep\": " + deep + ", \"repair\": " + repair + "}";
        HttpResponse<String> r = AdminCli.send(url, "POST", "/glint/v1/audits", body);
        if (r.statusCode() != 202) {
            System.err.println("glint: " + r.statusCode() + " " + r.body().trim());
            return 1;
        }
        String id = JSON.readTree(r.body()).path("id").asText();
        if (!json) System.err.printf("audit %s started (%s%s); waiting for its report%n", id, deep ? "deep" : "light",
                repair ? ", with repair" : "");
        long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
        while (true) {
            HttpResponse<String> s = AdminCli.send(url, "GET", "/glint/v1/audits/" + id);
            if (s.statusCode() == 200) {
                JsonNode report = JSON.readTree(s.body());
                if (!"running".equals(report.path("state").asText())) return print(report, s.body(), json);
            }
            if (System.nanoTime() > deadline) {
                System.err.println("glint: audit " + id + " still running after " + waitSeconds + " s; see `glint audit show " + id + "`");
                return 1;
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    static int show(String url, String id, boolean json) throws java.io.IOException, InterruptedException {
        HttpResponse<String> s = AdminCli.send(url, "GET", "/glint/v1/audits/" + id);
        if (s.statusCode() != 200) {
            System.err.println("glint: " + s.statusCode() + " " + s.body().trim());
            return 1;
        }
        return print(JSON.readTree(s.body()), s.body(), json);
    }

    static int list(String url, boolean json) throws java.io.IOException, InterruptedException {
        HttpResponse<String> s = AdminCli.send(url, "GET", "/glint/v1/audits");
        if (s.statusCode() != 200) {
            System.err.println("glint: " + s.statusCode() + " " + s.body().trim());
            return 1;
        }
        if (json) {
            System.out.println(s.body());
            return 0;
        }
        System.out.printf("%-26s %-9s %-6s %-7s %-8s %s%n", "AUDIT", "STATE", "DEEP", "REPAIR", "HEALTHY", "STARTED");
        for (JsonNode a : JSON.readTree(s.body()).path("audits")) {
            System.out.printf("%-26s %-9s %-6s %-7s %-8s %s%n", a.path("id").asText(), a.path("state").asText("?"),
                    a.path("deep").asText("?"), a.path("repair").asText("?"), a.path("healthy").asText("?"),
                    java.time.Instant.ofEpochMilli(a.path("started_at").asLong()));
        }
        return 0;
    }

    private static int print(JsonNode r, String raw, boolean json) {
        String state = r.path("state").asText();
        boolean healthy = r.path("healthy").asBoolean(false);
        if (json) {
            System.out.println(raw);
        } else {
            System.out.printf("audit %s: %s, %s%s, coordinator %s, %.1f s%n", r.path("id").asText(), state,
                    r.path("deep").asBoolean() ? "deep" : "light", r.path("repair").asBoolean() ? " with repair" : "",
                    r.path("coordinator").asText(), r.path("duration_seconds").asDouble());
            if ("failed".equals(state)) System.out.println("error: " + r.path("error").asText());
            JsonNode reg = r.path("registry");
            System.out.printf("registry: digests at log index %d %s%n", reg.path("mark_log_index").asLong(),
                    reg.path("agree").asBoolean() ? "agree on every member" : "DO NOT AGREE");
            for (JsonNode m : reg.path("members")) {
                System.out.printf("  %-12s %-10s %s%n", m.path("node").asText(), m.path("state").asText(), m.path("digest").asText(""));
            }
            System.out.printf("%nchunks referenced: %d%n", r.path("chunks_referenced").asLong());
            System.out.printf("%-12s %-6s %10s %10s %8s %8s %8s %10s %12s %9s%n", "NODE", "UP", "EXPECTED", "PRESENT", "MISSING",
                    "CORRUPT", "EXTRA", "MISPLACED", "VERIFIED", "GB/S");
            for (JsonNode n : r.path("nodes")) {
                double secs = n.path("scan_seconds").asDouble();
                long bytes = n.path("bytes_verified").asLong();
                System.out.printf("%-12s %-6s %10d %10d %8d %8d %8d %10d %12s %9s%n", n.path("nodeId").asText(),
                        n.path("reachable").asBoolean() ? "yes" : "NO", n.path("expected").asLong(), n.path("present").asLong(),
                        n.path("missing").asLong(), n.path("corrupt").asLong(), n.path("extra").asLong(), n.path("misplaced").asLong(),
                        AdminCli.human(bytes), secs > 0 && bytes > 0 ? String.format("%.2f", bytes / 1e9 / secs) : "-");
                for (JsonNode g : n.path("groups")) {
                    System.out.printf("    group %-5d missing %d, corrupt %d, extra %d  %s%n", g.path("pg").asInt(),
                            g.path("missingCount").asInt(), g.path("corruptCount").asInt(), g.path("extraCount").asInt(),
                            String.join(" ", ids(g.path("missing"), g.path("corrupt"))));
                }
                if (!n.path("reachable").asBoolean()) System.out.println("    " + n.path("error").asText());
            }
            printImages("under-replicated images", r.path("under_replicated_images"));
            printImages("UNRECOVERABLE images", r.path("unrecoverable_images"));
            JsonNode rep = r.path("repairs");
            System.out.printf("%nrepairs: %d needed, %d scheduled, %d done, %d pending%n", rep.path("needed").asLong(),
                    rep.path("scheduled").asLong(), rep.path("done").asLong(), rep.path("pending").asLong());
            System.out.println(healthy ? "\nHEALTHY: every chunk has all its intact copies and the registry members agree"
                    : "\nNOT HEALTHY: see above");
        }
        if (!"done".equals(state)) return 1;
        return healthy ? 0 : 3;
    }

    private static java.util.List<String> ids(JsonNode... lists) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (JsonNode l : lists) for (JsonNode id : l) if (out.size() < 4) out.add(id.asText().substring(0, 12) + "…");
        return out;
    }

    private static void printImages(String title, JsonNode images) {
        System.out.printf("%n%s: %d%n", title, images.size());
        for (JsonNode i : images) {
            System.out.printf("  %s  %-30s %-14s %d chunk(s)%n", i.path("id").asText(), i.path("name").asText(""),
                    i.path("status").asText(), i.path("chunks").size());
        }
    }
}
