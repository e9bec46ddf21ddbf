package io.glint.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.glint.registry.ratis.Registry;
import io.glint.registry.ratis.RegistryPeer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A new node joining a running cluster through any of its nodes (DESIGN §7): it reads the Raft
 * members from that node's admin API, starts its own registry member with them, is added as a
 * listener, and is promoted to voter while the group has fewer voters than {@code raft.voters}.
 * Each step is retried (bounded) across leader changes.
 */
final class Join {
    private static final Logger LOG = LoggerFactory.getLogger(Join.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int ATTEMPTS_MAX = 30;

    private Join() {}

    /** The group's members as the seed reports them, plus {@code self} (a listener). */
    static List<RegistryPeer> membersFrom(String seed, String clusterName, RegistryPeer self) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + seed + "/glint/v1/raft"))
                .timeout(Duration.ofSeconds(30)).header("X-Auth-Token", "glint-join").header("Accept", "application/json").GET().build();
        IOException last = null;
        for (int attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
            try {
                HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) throw new IOException("the seed " + seed + " answered " + r.statusCode() + ": " + r.body());
                JsonNode body = JSON.readTree(r.body());
                String theirs = body.path("cluster_name").asText();
                if (!theirs.equals(clusterName)) {
                    throw new IllegalStateException("the seed " + seed + " belongs to cluster '" + theirs
                            + "', this node is configured for '" + clusterName + "'");
                }
                List<RegistryPeer> peers = new ArrayList<>();
                for (JsonNode m : body.path("members")) {
                    if (m.path("id").asText().equals(self.id())) continue;
                    peers.add(new RegistryPeer(m.path("id").asText(), m.path("address").asText(),
                            RegistryPeer.Role.valueOf(m.path("role").asText())));
                }
                if (peers.isEmpty()) throw new IOException("the seed " + seed + " reported no members");
                peers.add(self);
                return peers;
            } catch (IOException e) {
                last = e;
                LOG.info("asking {} for the cluster's members: {} (attempt {})", seed, e.toString(), attempt + 1);
                Thread.sleep(1000);
            }
        }
        throw new IOException("could not join through " + seed, last);
    }

    /** Adds {@code self} as a listener, then promotes it while voters are fewer than {@code votersWanted}. */
    static void complete(Registry registry, RegistryPeer self, List<RegistryPeer> peers, int votersWanted) throws InterruptedException {
        retry("adding " + self.id() + " as a listener", () -> registry.addListener(self));
        long voters = registry.members().stream().filter(RegistryPeer::isVoter).count();
        if (voters < votersWanted) {
            retry("promoting " + self.id() + " to voter", () -> registry.addVoter(self));
            LOG.info("joined the cluster as voter {} of {}", voters + 1, votersWanted);
        } else {
            LOG.info("joined the cluster as a listener ({} voters already)", voters);
        }
    }

    private static void retry(String what, Runnable step) throws InterruptedException {
        RuntimeException last = null;
        for (int attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
            try {
                step.run();
                return;
            } catch (RuntimeException e) {
                last = e;
                LOG.info("{}: {} (attempt {})", what, e.toString(), attempt + 1);
                Thread.sleep(1000);
            }
        }
        throw new IllegalStateException(what + " failed", last);
    }
}
