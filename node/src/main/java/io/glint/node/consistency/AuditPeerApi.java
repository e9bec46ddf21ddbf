package io.glint.node.consistency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glint.node.http.ApiException;
import io.glint.node.http.Json;
import io.glint.node.http.Request;
import io.glint.node.http.Response;
import io.glint.node.http.Route;
import io.glint.node.http.Router;
import io.glint.registry.model.AuditDigest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * This node's part in a consistency audit, on the peer port (cluster secret required):
 * <ul>
 *   <li>{@code POST /peer/v1/audits/{id}/scan} {"deep": b, "repair": b}: starts a scan of the local
 *       chunks (202); one at a time;</li>
 *   <li>{@code GET /peer/v1/audits/{id}/scan}: {"state": "running"|"done"|"failed", "chunks", "bytes",
 *       "seconds", "corrupt": [...], "truncated": [...], "missing": [...], "quarantined"};</li>
 *   <li>{@code GET /peer/v1/audits/{id}/registry}: this registry member's digest at the audit's
 *       mark: {"state": "computing"|"done"|"failed", "log_index", "digest"}; 404 before the member
 *       has applied the mark;</li>
 *   <li>{@code POST /peer/v1/replicate}: a replicator pass soon (202).</li>
 * </ul>
 */
public final class AuditPeerApi {
    private static final Logger LOG = LoggerFactory.getLogger(AuditPeerApi.class);
    static final int SCANS_KEPT = 16;

    /** A scan of this node's chunks. */
    public interface LocalScanner {
        Outcome scan(boolean deep, boolean quarantineBad) throws Exception;
    }

    /**
     * @param missing chunks placed here by the registry and placement that the scan found absent
     *                (the replicator may restore them before the coordinator looks, so they are
     *                reported as found)
     */
    public record Outcome(long chunks, long bytes, List<String> corrupt, List<String> truncated, List<String> missing,
                          long quarantined) {}

    private final LocalScanner scanner;
    private final Function<String, Optional<AuditDigest>> digests;
    private final Runnable replicateSoon;
    private final ExecutorService scans;
    private final Map<String, ObjectNode> results = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ObjectNode> eldest) {
            return size() > SCANS_KEPT;
        }
    };

    public AuditPeerApi(LocalScanner scanner, Function<String, Optional<AuditDigest>> digests, Runnable replicateSoon,
                        ExecutorService scans) {
        this.scanner = scanner;
        this.digests = digests;
        this.replicateSoon = replicateSoon;
        this.scans = scans;
    }

    public void register(Router r) {
        r.add(HttpMethod.POST, "/peer/v1/audits/{id}/scan", Route.BodyMode.JSON, this::startScan);
        r.add(HttpMethod.GET, "/peer/v1/audits/{id}/scan", Route.BodyMode.NONE, this::scanState);
        r.add(HttpMethod.GET, "/peer/v1/audits/{id}/registry", Route.BodyMode.NONE, this::registryDigest);
        r.add(HttpMethod.POST, "/peer/v1/replicate", Route.BodyMode.NONE, req -> {
            replicateSoon.run();
            return Response.empty(HttpResponseStatus.ACCEPTED);
        });
    }

    private Response startScan(Request req) {
        String id = req.pathParam("id");
        JsonNode body = Json.parse(req.body());
        boolean deep = body.path("deep").asBoolean(false);
        boolean repair = body.path("repair").asBoolean(false);
        ObjectNode state = Json.MAPPER.createObjectNode();
        state.put("state", "running");
        synchronized (results) {
            if (results.containsKey(id)) return Response.json(HttpResponseStatus.OK, results.get(id).deepCopy());
            results.put(id, state);
        }
        try {
            scans.execute(() -> runScan(id, deep, repair));
        } catch (RejectedExecutionException e) {
            synchronized (results) {
                results.remove(id);
            }
            throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "A scan is already running on this node");
        }
        return Response.json(HttpResponseStatus.ACCEPTED, state);
    }

    private void runScan(String id, boolean deep, boolean repair) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        long t0 = System.nanoTime();
        try {
            Outcome o = scanner.scan(deep, repair);
            out.put("state", "done");
            out.put("chunks", o.chunks());
            out.put("bytes", o.bytes());
            out.set("corrupt", Json.MAPPER.valueToTree(o.corrupt()));
            out.set("truncated", Json.MAPPER.valueToTree(o.truncated()));
            out.set("missing", Json.MAPPER.valueToTree(o.missing()));
            out.put("quarantined", o.quarantined());
        } catch (Exception e) {
            LOG.warn("audit {}: the local scan failed: {}", id, e.toString());
            out.put("state", "failed");
            out.put("error", e.toString());
        }
        out.put("seconds", (System.nanoTime() - t0) / 1e9);
        synchronized (results) {
            results.put(id, out);
        }
    }

    private Response scanState(Request req) {
        synchronized (results) {
            ObjectNode s = results.get(req.pathParam("id"));
            if (s == null) throw ApiException.notFound("No scan for audit " + req.pathParam("id") + " on this node");
            return Response.json(HttpResponseStatus.OK, s.deepCopy());
        }
    }

    private Response registryDigest(Request req) {
        Optional<AuditDigest> d = digests.apply(req.pathParam("id"));
        if (d.isEmpty()) throw ApiException.notFound("This registry member has no digest for audit " + req.pathParam("id"));
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("state", d.get().state());
        out.put("log_index", d.get().logIndex());
        if (d.get().sha256Hex() != null) out.put("digest", d.get().sha256Hex());
        if (d.get().error() != null) out.put("error", d.get().error());
        return Response.json(HttpResponseStatus.OK, out);
    }
}
