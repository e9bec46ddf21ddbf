package io.glint.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator's commands against a running node's admin API:
 * {@code glint cluster status [--json]}, {@code glint node drain|undrain|remove ID},
 * {@code glint audit run [--deep] [--repair] [--json]}, {@code glint audit show ID [--json]}, {@code glint audit list};
 * each takes {@code --url URL} (default: {@code $GLINT_URL}, else http://127.0.0.1:9292).
 * Exit codes: 0 done, 1 the server refused or failed, 2 usage or connection error.
 */
public final class AdminCli {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AdminCli() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String[] args) {
        String url = System.getenv().getOrDefault("GLINT_URL", "http://127.0.0.1:9292");
        boolean json = false;
        boolean deep = false;
        boolean repair = false;
        long waitSeconds = 6 * 3600;
        List<String> words = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--url" -> {
                    if (i + 1 >= args.length) return usage("--url needs a value");
                    url = args[++i];
                }
                case "--json" -> json = true;
                case "--deep" -> deep = true;
                case "--repair" -> repair = true;
                case "--wait" -> {
                    if (i + 1 >= args.length) return usage("--wait needs a number of seconds");
                    try {
                        waitSeconds = Long.parseLong(args[++i]);
                    } catch (NumberFormatException e) {
                        return usage("--wait needs a number of seconds");
                    }
                }
                default -> words.add(args[i]);
            }
        }
        url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        try {
            if (words.equals(List.of("cluster", "status"))) return status(url, json);
            if (words.size() == 3 && words.get(0).equals("node") && words.get(1).equals("drain")) {
                return call(url, "POST", "/glint/v1/nodes/" + words.get(2) + "/drain", "node " + words.get(2) + " is draining");
            }
            if (words.size() == 3 && words.get(0).equals("node") && words.get(1).equals("undrain")) {
                return call(url, "POST", "/glint/v1/nodes/" + words.get(2) + "/undrain", "node " + words.get(2) + " takes data again");
            }
            if (words.size() == 3 && words.get(0).equals("node") && words.get(1).equals("remove")) {
                return call(url, "DELETE", "/glint/v1/nodes/" + words.get(2), "node " + words.get(2) + " was removed");
            }
            if (words.equals(List.of("audit", "run"))) return AuditCli.run(url, deep, repair, json, waitSeconds);
            if (words.size() == 3 && words.get(0).equals("audit") && words.get(1).equals("show")) {
                return AuditCli.show(url, words.get(2), json);
            }
            if (words.equals(List.of("audit", "list"))) return AuditCli.list(url, json);
            return usage("unknown command: " + String.join(" ", words));
        } catch (java.io.IOException e) {
            System.err.println("glint: could not reach " + url + ": " + e);
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 2;
        }
    }

    static HttpResponse<String> send(String url, String method, String path) throws java.io.IOException, InterruptedException {
        return send(url, method, path, null);
    }

    static HttpResponse<String> send(String url, String method, String path, String jsonBody)
            throws java.io.IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(60))
                .header("Accept", "application/json").header("X-Auth-Token", "glint-cli")
                .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody));
        if (jsonBody != null) req.header("Content-Type", "application/json");
        return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int call(String url, String method, String path, String done) throws java.io.IOException, InterruptedException {
        HttpResponse<String> r = send(url, method, path);
        if (r.statusCode() / 100 != 2) {
            System.err.println("glint: " + r.statusCode() + " " + r.body().trim());
            return 1;
        }
        System.out.println(done);
        return 0;
    }

    private static int status(String url, boolean json) throws java.io.IOException, InterruptedException {
        HttpResponse<String> r = send(url, "GET", "/glint/v1/cluster");
        if (r.statusCode() != 200) {
            System.err.println("glint: " + r.statusCode() + " " + r.body().trim());
            return 1;
        }
        if (json) {
            System.out.println(r.body());
            return 0;
        }
        JsonNode s = JSON.readTree(r.body());
        System.out.printf("cluster: %d nodes, leader %s, R=%d, %d placement groups (asked %s)%n", s.path("nodes").size(),
                s.path("leader").asText("none"), s.path("replication_factor").asInt(), s.path("placement_groups").asInt(),
                s.path("self").asText());
        JsonNode h = s.path("group_health");
        System.out.printf("groups: %d with all replicas up, %d degraded, %d with none%n%n", h.path("full").asInt(),
                h.path("degraded").asInt(), h.path("no_replica").asInt());
        System.out.printf("%-12s %-9s %-9s %-8s %-22s %8s %8s %10s %12s%n", "NODE", "STATE", "RAFT", "ZONE", "HTTP",
                "GROUPS", "CHUNKS", "HEARTBEAT", "CAPACITY");
        for (JsonNode n : s.path("nodes")) {
            System.out.printf("%-12s %-9s %-9s %-8s %-22s %8d %8s %9ds %12s%n", n.path("id").asText(), n.path("state").asText(),
                    n.path("raft_role").asText(), n.path("zone").asText(), n.path("http_address").asText(),
                    n.path("placement_groups").asInt(), n.path("chunks_held").asLong() < 0 ? "?" : n.path("chunks_held").asText(),
                    n.path("heartbeat_age_seconds").asLong(), human(n.path("capacity_bytes").asLong()));
        }
        JsonNode rep = s.path("replicator");
        System.out.printf("%nreplicator on %s: %d passes, %d under-replicated chunks found last pass, %d fetched (%s),"
                        + " %d handed off, %d fetch failures%n", s.path("self").asText(), rep.path("passes").asLong(),
                rep.path("under_replicated_chunks_last_pass").asLong(), rep.path("chunks_fetched").asLong(),
                human(rep.path("bytes_fetched").asLong()), rep.path("chunks_handed_off").asLong(),
                rep.path("fetch_failures").asLong());
        return 0;
    }

    static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format("%.1f %s", v, units[u]);
    }

    private static int usage(String problem) {
        System.err.println("glint: " + problem + "\nusage: glint cluster status [--json] [--url URL]\n"
                + "       glint node drain ID | undrain ID | remove ID [--url URL]\n"
                + "       glint audit run [--deep] [--repair] [--wait SECONDS] [--json] [--url URL]\n"
                + "       glint audit show ID [--json] [--url URL]\n"
                + "       glint audit list [--json] [--url URL]");
        return 2;
    }
}
