package io.glint.node.consistency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glint.node.audit.ChunkOwners;
import io.glint.node.cluster.ClusterView;
import io.glint.node.cluster.LocalChunkIndex;
import io.glint.node.cluster.PeerClient;
import io.glint.node.cluster.Placement;
import io.glint.node.http.Json;
import io.glint.registry.RegistryClient;
import io.glint.registry.command.Command;
import io.glint.registry.model.AuditMark;
import io.glint.registry.model.ChunkRef;
import io.glint.registry.model.Image;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs the operator's consistency audit (DESIGN §6) from the node that received
 * {@code POST /glint/v1/audits}:
 * <ol>
 *   <li>an {@code AuditMark} goes through the log, so that every registry member digests its state
 *       at that one index;</li>
 *   <li>every node not removed scans its own chunks (deep: re-hashes each; with repair, bad copies
 *       are quarantined at once) through its peer API;</li>
 *   <li>what each node holds is compared with the registry's references and placement
 *       ({@link AuditAnalysis}); groups whose digest matches the expected one are not listed;</li>
 *   <li>the images of under-replicated and unrecoverable chunks are looked up;</li>
 *   <li>with repair, each node short of a chunk is asked to replicate, and the audit waits (bounded)
 *       for the copies to arrive;</li>
 *   <li>the report is saved in the registry (saved first as "running", so a coordinator that dies
 *       leaves a trace).</li>
 * </ol>
 * One audit runs per node at a time; every wait is bounded.
 */
public final class AuditCoordinator {
    private static final Logger LOG = LoggerFactory.getLogger(AuditCoordinator.class);
    static final long REGISTRY_TIMEOUT_MILLIS = 30_000;
    /** How long the node scans may take, deep or light. */
    static final long SCAN_WAIT_MILLIS = 6 * 3600_000L;
    static final long DIGEST_WAIT_MILLIS = 120_000;
    static final long POLL_MILLIS = 500;
    static final int IMAGES_LISTED_MAX = 1_000;
    /** Image records read to find the images of damaged chunks (the registry has no chunk-to-image index). */
    static final int IMAGE_RECORDS_READ_MAX = 1_000_000;

    public record Request(boolean deep, boolean repair, long repairWaitMillis, String requestedBy) {}

    private final RegistryClient registry;
    private final ClusterView view;
    private final PeerClient peers;
    private final ExecutorService runner;
    private final Clock clock;
    private final AtomicLong audits = new AtomicLong();
    private final AtomicLong auditFailures = new AtomicLong();

    public AuditCoordinator(RegistryClient registry, ClusterView view, PeerClient peers, ExecutorService runner, Clock clock) {
        this.registry = registry;
        this.view = view;
        this.peers = peers;
        this.runner = runner;
        this.clock = clock;
    }

    /** A new audit id: time-ordered, so that the registry lists audits newest first by id. */
    static String newId(long nowMillis) {
        return String.format(Locale.ROOT, "a-%013d-%08x", nowMillis, ThreadLocalRandom.current().nextInt());
    }

    /**
     * Marks the audit in the registry and starts it in the background; returns the first report
     * ("running"). Throws {@link IllegalStateException} when an audit is already running here.
     */
    public ObjectNode start(Request req) throws IOException {
        long now = clock.millis();
        String id = newId(now);
        AuditMark mark = await(registry.propose(new Command.MarkAudit(now, id, req.requestedBy())), AuditMark.class);
        ObjectNode report = Json.MAPPER.createObjectNode();
        report.put("id", id);
        report.put("state", "running");
        report.put("deep", req.deep());
        report.put("repair", req.repair());
        report.put("coordinator", view.selfId());
        report.put("requested_by", req.requestedBy());
        report.put("started_at", now);
        report.put("mark_log_index", mark.logIndex());
        save(id, report);
        ObjectNode first = report.deepCopy(); // the background run goes on changing report
        try {
            runner.execute(() -> run(id, mark, req, report));
        } catch (RejectedExecutionException e) {
            report.put("state", "failed");
            report.put("error", "another audit is running on " + view.selfId());
            save(id, report);
            throw new IllegalStateException("An audit is already running on " + view.selfId() + "; try again when it has finished.");
        }
        return first;
    }

    private void run(String id, AuditMark mark, Request req, ObjectNode report) {
        long t0 = System.nanoTime();
        try {
            audit(id, mark, req, report);
            report.put("state", "done");
            audits.incrementAndGet();
        } catch (Exception e) {
            auditFailures.incrementAndGet();
            LOG.warn("audit {} failed: {}", id, e.toString());
            report.put("state", "failed");
            report.put("error", e.toString());
        }
        report.put("finished_at", clock.millis());
        report.put("duration_seconds", (System.nanoTime() - t0) / 1e9);
        save(id, report);
        LOG.info("audit {} {}: healthy={}", id, report.path("state").asText(), report.path("healthy").asBoolean(false));
    }

    private void audit(String id, AuditMark mark, Request req, ObjectNode report) throws Exception {
        view.refresh();
        Placement p = view.placement();
        List<NodeInfo> nodes = new ArrayList<>();
        for (NodeInfo n : p.nodes()) if (n.state() != NodeState.REMOVED) nodes.add(n);

        // 1. The node scans, all at once.
        ObjectNode scanBody = Json.MAPPER.createObjectNode();
        scanBody.put("deep", req.deep());
        scanBody.put("repair", req.repair());
        Map<String, String> scanErrors = new LinkedHashMap<>();
        for (NodeInfo n : nodes) {
            try {
                PeerClient.JsonAnswer a = peers.exchangeJson(n.peerAddress(), "POST", "/peer/v1/audits/" + id + "/scan", scanBody);
                if (a.status() != 202 && a.status() != 200) scanErrors.put(n.id(), "scan refused: " + a.status() + " " + a.body());
            } catch (IOException e) {
                scanErrors.put(n.id(), "unreachable: " + e.getMessage());
            }
        }
        Map<String, JsonNode> scans = new LinkedHashMap<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SCAN_WAIT_MILLIS);
        for (NodeInfo n : nodes) {
            if (scanErrors.containsKey(n.id())) continue;
            JsonNode result = pollUntilDone(n, "/peer/v1/audits/" + id + "/scan", deadline);
            if (result == null) scanErrors.put(n.id(), "the scan did not finish in time");
            else if (!"done".equals(result.path("state").asText())) scanErrors.put(n.id(), "scan " + result.path("state").asText()
                    + ": " + result.path("error").asText(""));
            else scans.put(n.id(), result);
        }

        // 2. The registry digests at the mark.
        ArrayNode members = report.putObject("registry").putArray("members");
        Set<String> digests = new HashSet<>();
        long digestDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DIGEST_WAIT_MILLIS);
        boolean allAnswered = true;
        for (NodeInfo n : nodes) {
            ObjectNode m = members.addObject();
            m.put("node", n.id());
            JsonNode d = pollUntilDone(n, "/peer/v1/audits/" + id + "/registry", digestDeadline);
            if (d == null || !"done".equals(d.path("state").asText())) {
                allAnswered = false;
                m.put("state", d == null ? "no answer" : d.path("state").asText());
                if (d != null && d.hasNonNull("error")) m.put("error", d.path("error").asText());
                continue;
            }
            m.put("state", "done");
            m.put("log_index", d.path("log_index").asLong());
            m.put("digest", d.path("digest").asText());
            digests.add(d.path("digest").asText());
        }
        ObjectNode reg = (ObjectNode) report.get("registry");
        reg.put("mark_log_index", mark.logIndex());
        reg.put("agree", allAnswered && digests.size() == 1);
        reg.put("distinct_digests", digests.size());

        // 3. What each node holds, against the registry and placement.
        int pgCount = p.pgCount();
        Map<Integer, List<ChunkRef>> refs = new HashMap<>();
        for (int pg = 0; pg < pgCount; pg++) {
            refs.put(pg, await(registry.read(new Query.ChunkRefs(pg)), ChunkRef.Refs.class).refs());
        }
        List<AuditAnalysis.NodeHoldings> holdings = new ArrayList<>();
        for (NodeInfo n : nodes) {
            if (!scans.containsKey(n.id())) {
                holdings.add(new AuditAnalysis.NodeHoldings(n.id(), null, Set.of(), scanErrors.get(n.id())));
                continue;
            }
            try {
                holdings.add(holdingsOf(n, p, refs, scans.get(n.id())));
            } catch (IOException e) {
                holdings.add(new AuditAnalysis.NodeHoldings(n.id(), null, Set.of(), "listing failed: " + e.getMessage()));
            }
        }
        int want = Math.min(p.replicationFactor(), Math.max(1, p.eligibleNodes().size()));
        AuditAnalysis.Result result = AuditAnalysis.analyze(pgCount, refs, p::replicasOfGroup, want, holdings);

        // 4. The images at risk.
        Map<String, List<Image>> imagesOf = imagesOf(result.problemChunks());
        report.put("chunks_referenced", result.referenced());
        report.set("under_replicated_images", images(result.underReplicated(), imagesOf));
        report.set("unrecoverable_images", images(result.unrecoverable(), imagesOf));
        report.put("under_replicated_chunks", result.underReplicated().size());
        report.put("unrecoverable_chunks", result.unrecoverable().size());
        ArrayNode nodeOut = report.putArray("nodes");
        long missing = 0, corrupt = 0, extra = 0;
        for (AuditAnalysis.NodeFindings f : result.nodes()) {
            ObjectNode o = Json.MAPPER.valueToTree(f);
            JsonNode scan = scans.get(f.nodeId());
            if (scan != null) {
                o.put("chunks_scanned", scan.path("chunks").asLong());
                o.put("bytes_verified", scan.path("bytes").asLong());
                o.put("scan_seconds", scan.path("seconds").asDouble());
                o.put("quarantined", scan.path("quarantined").asLong());
            }
            nodeOut.add(o);
            missing += f.missing();
            corrupt += f.corrupt();
            extra += f.extra();
        }
        ObjectNode totals = report.putObject("totals");
        totals.put("missing", missing);
        totals.put("corrupt", corrupt);
        totals.put("extra", extra);
        totals.put("nodes_unreachable", result.nodes().stream().filter(f -> !f.reachable()).count());

        // 5. Repairs.
        ObjectNode repairs = report.putObject("repairs");
        long scheduled = result.repairs().values().stream().mapToLong(List::size).sum();
        repairs.put("scheduled", req.repair() ? scheduled : 0);
        repairs.put("needed", scheduled);
        if (req.repair() && scheduled > 0) {
            long done = repair(result.repairs(), p, req.repairWaitMillis());
            repairs.put("done", done);
            repairs.put("pending", scheduled - done);
        } else {
            repairs.put("done", 0);
            repairs.put("pending", req.repair() ? 0 : scheduled);
        }
        boolean healthy = reg.path("agree").asBoolean() && result.unrecoverable().isEmpty() && result.underReplicated().isEmpty()
                && missing == 0 && corrupt == 0 && totals.path("nodes_unreachable").asLong() == 0;
        report.put("healthy", healthy);
    }

    /** Groups whose digest is the expected one are taken as listed by the registry; the others are listed. */
    private AuditAnalysis.NodeHoldings holdingsOf(NodeInfo n, Placement p, Map<Integer, List<ChunkRef>> refs, JsonNode scan)
            throws IOException {
        Map<Integer, LocalChunkIndex.Digest> digests = peers.digests(n.peerAddress());
        Map<Integer, Set<String>> held = new HashMap<>();
        for (Map.Entry<Integer, LocalChunkIndex.Digest> e : digests.entrySet()) {
            int pg = e.getKey();
            if (e.getValue().count() == 0) continue;
            List<String> expected = new ArrayList<>();
            for (ChunkRef r : refs.getOrDefault(pg, List.of())) if (r.refCount() > 0) expected.add(r.chunkId());
            if (p.replicasOfGroup(pg).contains(n.id()) && LocalChunkIndex.Digest.of(expected).equals(e.getValue())) {
                held.put(pg, new HashSet<>(expected));
            } else {
                held.put(pg, new HashSet<>(peers.listGroup(n.peerAddress(), pg)));
            }
        }
        Set<String> bad = new HashSet<>();
        for (JsonNode id : scan.path("corrupt")) bad.add(id.asText());
        for (JsonNode id : scan.path("truncated")) bad.add(id.asText());
        // With repair the scan quarantined its bad copies, so the listing no longer shows them: they
        // count as held-but-bad all the same (corrupt, and missing until the replicator restores them).
        for (String id : bad) held.computeIfAbsent(p.groupOf(id), k -> new HashSet<>()).add(id);
        // What the scan found absent counts as missing even if the replicator has put it back since.
        for (JsonNode id : scan.path("missing")) {
            Set<String> ids = held.get(p.groupOf(id.asText()));
            if (ids != null) ids.remove(id.asText());
        }
        return new AuditAnalysis.NodeHoldings(n.id(), held, bad, null);
    }

    private JsonNode pollUntilDone(NodeInfo n, String path, long deadlineNanos) throws InterruptedException {
        while (System.nanoTime() < deadlineNanos) {
            try {
                PeerClient.JsonAnswer a = peers.exchangeJson(n.peerAddress(), "GET", path, null);
                if (a.status() == 200 && a.body() != null && !"running".equals(a.body().path("state").asText())
                        && !"computing".equals(a.body().path("state").asText())) {
                    return a.body();
                }
            } catch (IOException e) {
                LOG.debug("polling {} on {}: {}", path, n.id(), e.toString());
            }
            Thread.sleep(POLL_MILLIS);
        }
        return null;
    }

    /** Asks every node short of chunks to replicate now, then waits (bounded) until they hold them. */
    private long repair(Map<String, List<String>> byNode, Placement p, long waitMillis) throws InterruptedException {
        for (String nodeId : byNode.keySet()) {
            NodeInfo n = p.node(nodeId);
            try {
                peers.exchangeJson(n.peerAddress(), "POST", "/peer/v1/replicate", null);
            } catch (IOException e) {
                LOG.info("asking {} to replicate: {}", nodeId, e.toString());
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        Map<String, Set<String>> pending = new TreeMap<>();
        byNode.forEach((k, v) -> pending.put(k, new HashSet<>(v)));
        long total = byNode.values().stream().mapToLong(List::size).sum();
        while (true) {
            for (Map.Entry<String, Set<String>> e : pending.entrySet()) {
                NodeInfo n = p.node(e.getKey());
                e.getValue().removeIf(id -> {
                    try {
                        return peers.has(n.peerAddress(), id);
                    } catch (IOException ex) {
                        return false;
                    }
                });
            }
            long left = pending.values().stream().mapToLong(Set::size).sum();
            if (left == 0 || System.nanoTime() > deadline) return total - left;
            Thread.sleep(POLL_MILLIS * 2);
        }
    }

    /** For each chunk, the images whose manifests list it (with their records, for names), bounded. */
    private Map<String, List<Image>> imagesOf(Set<String> chunks) throws IOException {
        Map<String, List<Image>> out = new HashMap<>();
        if (chunks.isEmpty()) return out;
        ChunkOwners.Owners owners = ChunkOwners.find(registry, chunks, IMAGE_RECORDS_READ_MAX);
        Map<String, Image> records = new HashMap<>();
        for (String chunk : chunks) {
            for (String imageId : owners.of(chunk)) {
                Image image = records.get(imageId);
                if (image == null && records.size() < IMAGES_LISTED_MAX) {
                    Result r = awaitResult(registry.read(new Query.GetImageRecord(imageId)));
                    if (r.isOk()) records.put(imageId, image = r.value(Image.class));
                }
                if (image != null) out.computeIfAbsent(chunk, k -> new ArrayList<>()).add(image);
            }
        }
        return out;
    }

    private static ArrayNode images(Set<String> chunkIds, Map<String, List<Image>> imagesOf) {
        Map<String, ObjectNode> byImage = new LinkedHashMap<>();
        for (String chunk : chunkIds) {
            for (Image image : imagesOf.getOrDefault(chunk, List.of())) {
                ObjectNode o = byImage.computeIfAbsent(image.id(), k -> {
                    ObjectNode n = Json.MAPPER.createObjectNode();
                    n.put("id", image.id());
                    n.put("name", image.name());
                    n.put("status", image.status().wire());
                    n.putArray("chunks");
                    return n;
                });
                ArrayNode ids = (ArrayNode) o.get("chunks");
                if (ids.size() < AuditAnalysis.IDS_LISTED_MAX) ids.add(chunk);
            }
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        byImage.values().stream().limit(IMAGES_LISTED_MAX).forEach(out::add);
        return out;
    }

    private void save(String id, ObjectNode report) {
        try {
            Result r = awaitResult(registry.propose(new Command.SaveAuditReport(clock.millis(), id, Json.MAPPER.writeValueAsString(report))));
            if (!r.isOk()) LOG.warn("saving the report of audit {}: {}", id, r.message());
        } catch (IOException e) {
            LOG.warn("saving the report of audit {}: {}", id, e.toString());
        }
    }

    private static Result awaitResult(java.util.concurrent.CompletableFuture<Result> f) throws IOException {
        try {
            return f.get(REGISTRY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting for the registry");
        } catch (Exception e) {
            throw new IOException("the registry did not answer: " + e, e);
        }
    }

    private static <T extends Payload> T await(java.util.concurrent.CompletableFuture<Result> f, Class<T> type) throws IOException {
        Result r = awaitResult(f);
        if (!r.isOk()) throw new IOException(r.code() + ": " + r.message());
        return r.value(type);
    }

    public long audits() {
        return audits.get();
    }

    public long auditFailures() {
        return auditFailures.get();
    }
}
