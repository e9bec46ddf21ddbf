package io.glint.node.consistency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glint.node.api.Outcomes;
import io.glint.node.http.ApiException;
import io.glint.node.http.Json;
import io.glint.node.http.Request;
import io.glint.node.http.Response;
import io.glint.node.http.Route.BodyMode;
import io.glint.node.http.Router;
import io.glint.registry.RegistryClient;
import io.glint.registry.model.AuditMark;
import io.glint.registry.model.AuditReport;
import io.glint.registry.query.Query;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.io.IOException;

/**
 * The operator's consistency audit (DESIGN §6), admin only:
 * {@code POST /glint/v1/audits {"deep": bool, "repair": bool, "repair_wait_seconds": n}} starts one
 * on this node (202 with the first report); {@code GET /glint/v1/audits/{id}} is its report as kept
 * in the registry (any node answers); {@code GET /glint/v1/audits[?before=ID&limit=N]} lists audits,
 * newest first.
 */
public final class AuditApi {
    static final long REPAIR_WAIT_DEFAULT_SECONDS = 300;
    static final long REPAIR_WAIT_MAX_SECONDS = 3600;

    private final AuditCoordinator coordinator;
    private final RegistryClient registry;

    public AuditApi(AuditCoordinator coordinator, RegistryClient registry) {
        this.coordinator = coordinator;
        this.registry = registry;
    }

    public void register(Router r) {
        r.add(HttpMethod.POST, "/glint/v1/audits", BodyMode.JSON, this::start);
        r.add(HttpMethod.GET, "/glint/v1/audits", BodyMode.NONE, this::list);
        r.add(HttpMethod.GET, "/glint/v1/audits/{audit_id}", BodyMode.NONE, this::show);
    }

    private static void requireAdmin(Request req) {
        if (req.identity() == null || !req.identity().isAdmin()) throw ApiException.forbidden("Audits are for admins");
    }

    private Response start(Request req) {
        requireAdmin(req);
        JsonNode body = req.body() == null || req.body().length == 0 ? Json.MAPPER.createObjectNode() : Json.parse(req.body());
        if (!body.isObject()) throw ApiException.badRequest("The body must be a JSON object: {\"deep\": bool, \"repair\": bool}");
        for (java.util.Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("deep") && !f.equals("repair") && !f.equals("repair_wait_seconds")) {
                throw ApiException.badRequest("Unknown field '" + f + "': an audit takes deep, repair and repair_wait_seconds");
            }
        }
        boolean deep = flag(body, "deep");
        boolean repair = flag(body, "repair");
        long wait = REPAIR_WAIT_DEFAULT_SECONDS;
        if (body.has("repair_wait_seconds")) {
            JsonNode w = body.get("repair_wait_seconds");
            if (!w.canConvertToLong() || !w.isIntegralNumber() || w.asLong() < 0 || w.asLong() > REPAIR_WAIT_MAX_SECONDS) {
                throw ApiException.badRequest("repair_wait_seconds must be an integer 0.." + REPAIR_WAIT_MAX_SECONDS);
            }
            wait = w.asLong();
        }
        String who = req.identity().userId() == null ? "admin" : req.identity().userId();
        try {
            ObjectNode report = coordinator.start(new AuditCoordinator.Request(deep, repair, wait * 1000, who));
            return Response.json(HttpResponseStatus.ACCEPTED, report).header("Location", "/glint/v1/audits/" + report.path("id").asText());
        } catch (IllegalStateException e) {
            throw ApiException.conflict(e.getMessage());
        } catch (IOException e) {
            throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "The audit could not be started: " + e.getMessage());
        }
    }

    private static boolean flag(JsonNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw ApiException.badRequest("'" + name + "' must be true or false");
        return v.asBoolean();
    }

    private Response show(Request req) {
        requireAdmin(req);
        String id = req.pathParam("audit_id");
        AuditReport r = Outcomes.await(registry.read(new Query.GetAuditReport(id)), AuditReport.class);
        return Response.bytes(HttpResponseStatus.OK, "application/json", r.reportJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private Response list(Request req) {
        requireAdmin(req);
        int limit = 50;
        String limitParam = req.queryParam("limit");
        if (limitParam != null) {
            try {
                limit = Integer.parseInt(limitParam);
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("limit must be an integer");
            }
            if (limit < 1 || limit > 1000) throw ApiException.badRequest("limit must be 1..1000");
        }
        AuditMark.Marks marks = Outcomes.await(registry.read(new Query.ListAudits(req.queryParam("before"), limit)), AuditMark.Marks.class);
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode list = out.putArray("audits");
        for (AuditMark m : marks.audits()) {
            ObjectNode o = list.addObject();
            o.put("id", m.auditId());
            o.put("mark_log_index", m.logIndex());
            o.put("started_at", m.markedAtMillis());
            o.put("requested_by", m.requestedBy());
            var rep = registry.readLocal(new Query.GetAuditReport(m.auditId()));
            if (rep.isOk()) {
                try {
                    JsonNode j = Json.MAPPER.readTree(rep.value(AuditReport.class).reportJson());
                    for (String f : new String[]{"state", "deep", "repair", "healthy", "duration_seconds"}) {
                        if (j.has(f)) o.set(f, j.get(f));
                    }
                } catch (IOException e) {
                    o.put("state", "unreadable report");
                }
            }
        }
        return Response.json(HttpResponseStatus.OK, out);
    }
}
