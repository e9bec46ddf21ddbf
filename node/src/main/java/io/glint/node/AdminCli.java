package io.glint.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * The operator's commands against a running node's admin API (parsed by picocli):
 * {@code glint cluster status}, {@code glint node drain|undrain|remove ID},
 * {@code glint audit run [--deep] [--repair] [--wait S]}, {@code glint audit show ID},
 * {@code glint audit list}; each takes {@code --url URL} (default: {@code $GLINT_URL}, else
 * http://127.0.0.1:9292) and, where it prints a report, {@code --json}.
 * Exit codes: 0 done, 1 the server refused or failed, 2 usage or connection error, 3 an audit
 * finished and found problems.
 */
@Command(name = "glint", mixinStandardHelpOptions = true, version = "glint 0.1.0", description = "Operate a Glint cluster through any node's admin API.",
        subcommands = {AdminCli.ClusterCommands.class, AdminCli.NodeCommands.class, AdminCli.AuditCommands.class,
                CommandLine.HelpCommand.class})
public final class AdminCli {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where to send the request (every command has it). */
    static final class Target {
        @Option(names = "--url", paramLabel = "URL", defaultValue = "${env:GLINT_URL:-http://127.0.0.1:9292}",
                description = "a node's HTTP address (default: $GLINT_URL, else ${DEFAULT-VALUE})")
        String url;

        String base() {
            return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        }
    }

    /** --json: print the API's answer as it is. */
    static final class Output {
        @Option(names = "--json", description = "print the raw JSON answer")
        boolean json;
    }

    @Command(name = "cluster", mixinStandardHelpOptions = true, description = "The cluster as a whole.")
    static final class ClusterCommands {
        @Command(name = "status", mixinStandardHelpOptions = true, description = "Nodes, Raft roles, leader, states, placement health, service counters.")
        int status(@Mixin Target target, @Mixin Output output) throws Exception {
            return AdminCli.status(target.base(), output.json);
        }
    }

    @Command(name = "node", mixinStandardHelpOptions = true, description = "One node's part in the cluster.")
    static final class NodeCommands {
        @Command(name = "drain", mixinStandardHelpOptions = true,
                description = "The node takes no new data; its groups move to the others.")
        int drain(@Mixin Target target, @Parameters(paramLabel = "ID", description = "the node's id") String id) throws Exception {
            return call(target.base(), "POST", "/glint/v1/nodes/" + id + "/drain", "node " + id + " is draining");
        }

        @Command(name = "undrain", mixinStandardHelpOptions = true, description = "A draining node takes data again.")
        int undrain(@Mixin Target target, @Parameters(paramLabel = "ID", description = "the node's id") String id) throws Exception {
            return call(target.base(), "POST", "/glint/v1/nodes/" + id + "/undrain", "node " + id + " takes data again");
        }

        @Command(name = "remove", mixinStandardHelpOptions = true,
                description = "The node leaves the node table and the Raft group.")
        int remove(@Mixin Target target, @Parameters(paramLabel = "ID", description = "the node's id") String id) throws Exception {
            return call(target.base(), "DELETE", "/glint/v1/nodes/" + id, "node " + id + " was removed");
        }
    }

    @Command(name = "audit", mixinStandardHelpOptions = true, description = "The cluster-wide consistency audit (DESIGN §6).",
            subcommands = AuditCommands.Run.class)
    static final class AuditCommands {
        @Command(name = "run", mixinStandardHelpOptions = true, description = "Start an audit, wait for it, print its report (exit 0 healthy, 3 not).")
        static final class Run implements Callable<Integer> {
            @Mixin Target target;
            @Mixin Output output;
            @Option(names = "--deep", description = "every node re-hashes every chunk (otherwise: existence and length)")
            boolean deep;
            @Option(names = "--repair", description = "quarantine bad copies and wait for good ones from intact replicas")
            boolean repair;
            @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "21600",
                    description = "how long to wait for the report (default ${DEFAULT-VALUE})")
            long waitSeconds;

            @Override
            public Integer call() throws Exception {
                return AuditCli.run(target.base(), deep, repair, output.json, waitSeconds);
            }
        }

        @Command(name = "show", mixinStandardHelpOptions = true, description = "Print a kept audit report.")
        int show(@Mixin Target target, @Mixin Output output, @Parameters(paramLabel = "ID", description = "the audit's id") String id)
                throws Exception {
            return AuditCli.show(target.base(), id, output.json);
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "Every audit kept in the registry, newest first.")
        int list(@Mixin Target target, @Mixin Output output) throws Exception {
            return AuditCli.list(target.base(), output.json);
        }
    }

    private AdminCli() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs one command; returns its exit code (nothing here calls System.exit). */
    public static int run(String[] args) {
        CommandLine cl = new CommandLine(AdminCli.class);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof java.io.IOException) {
                cmd.getErr().println("glint: could not reach the node: " + e);
                return 2;
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                return 2;
            }
            throw e;
        });
        return cl.execute(args);
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

    static int call(String url, String method, String path, String done) throws java.io.IOException, InterruptedException {
        HttpResponse<String> r = send(url, method, path);
        if (r.statusCode() / 100 != 2) {
            System.err.println("glint: " + r.statusCode() + " " + r.body().trim());
            return 1;
        }
        System.out.println(done);
        return 0;
    }

    static int status(String url, boolean json) throws java.io.IOException, InterruptedException {
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
}
