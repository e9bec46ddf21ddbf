package io.glint.node.cache;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glint.node.http.ApiException;
import io.glint.node.http.Json;
import io.glint.node.http.Request;
import io.glint.node.http.Response;
import io.glint.node.http.Route.BodyMode;
import io.glint.node.http.Router;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Glance's cache API (spec §4.19) over this node's {@link ImageCache}; admin only. The cache is
 * per node, not tracked centrally, so {@code GET /v2/cache/nodes/{id}} answers 409 as Glance does
 * without a central cache.
 */
public final class CacheApi {
    private final ImageCache cache;

    public CacheApi(ImageCache cache) {
        this.cache = cache;
    }

    public void register(Router r) {
        r.add(HttpMethod.GET, "/v2/cache", BodyMode.NONE, this::list);
        r.add(HttpMethod.DELETE, "/v2/cache", BodyMode.NONE, this::clear);
        r.add(HttpMethod.PUT, "/v2/cache/{image_id}", BodyMode.NONE, this::queue);
        r.add(HttpMethod.DELETE, "/v2/cache/{image_id}", BodyMode.NONE, this::evict);
        r.add(HttpMethod.POST, "/v2/cache/clean", BodyMode.NONE, this::clean);
        r.add(HttpMethod.POST, "/v2/cache/prune", BodyMode.NONE, this::prune);
        r.add(HttpMethod.GET, "/v2/cache/nodes/{image_id}", BodyMode.NONE, this::nodes);
    }

    private static void requireAdmin(Request req) {
        if (req.identity() == null || !req.identity().isAdmin()) {
            throw ApiException.forbidden("You are not authorized to complete cache operations.");
        }
    }

    private static double epochSeconds(long millis) {
        return millis / 1000.0;
    }

    private Response list(Request req) {
        requireAdmin(req);
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode images = out.putArray("cached_images");
        for (ImageCache.Entry e : cache.cachedImages()) {
            ObjectNode o = images.addObject();
            o.put("image_id", e.imageId());
            o.put("hits", e.hits());
            o.put("last_accessed", epochSeconds(e.lastAccessedMillis()));
            o.put("last_modified", epochSeconds(e.lastModifiedMillis()));
            o.put("size", e.sizeBytes());
        }
        ArrayNode queued = out.putArray("queued_images");
        cache.queuedImages().forEach(queued::add);
        return Response.json(HttpResponseStatus.OK, out);
    }

    private Response queue(Request req) {
        requireAdmin(req);
        String id = req.pathParam("image_id");
        return switch (cache.queue(id)) {
            case QUEUED -> Response.empty(HttpResponseStatus.ACCEPTED);
            case NOT_FOUND -> throw ApiException.notFound("Image " + id + " not found.");
            case NOT_ACTIVE -> throw ApiException.badRequest("Only images with status active can be targeted for queueing");
            case QUEUE_FULL -> throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "The cache queue is full (" + ImageCache.QUEUE_MAX + " images); try again later.");
        };
    }

    private Response evict(Request req) {
        requireAdmin(req);
        String id = req.pathParam("image_id");
        // Glance: 404 only when the image is unknown to both the registry and the cache.
        if (!cache.evict(id) && !cache.imageExists(id)) throw ApiException.notFound("Image " + id + " not found.");
        return Response.empty(HttpResponseStatus.NO_CONTENT);
    }

    private Response clear(Request req) {
        requireAdmin(req);
        String target = req.header("x-image-cache-clear-target");
        target = target == null ? "" : target.trim();
        switch (target) {
            case "" -> cache.clear(true, true);
            case "cache" -> cache.clear(true, false);
            case "queue" -> cache.clear(false, true);
            default -> throw ApiException.badRequest("If provided 'x-image-cache-clear-target' must be 'cache', 'queue'"
                    + " or empty string.");
        }
        return Response.empty(HttpResponseStatus.NO_CONTENT);
    }

    private Response clean(Request req) {
        requireAdmin(req);
        cache.clean();
        return Response.empty(HttpResponseStatus.OK);
    }

    private Response prune(Request req) {
        requireAdmin(req);
        ImageCache.PruneResult p = cache.prune();
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("total_files_pruned", p.filesPruned());
        out.put("total_bytes_pruned", p.bytesPruned());
        return Response.json(HttpResponseStatus.OK, out);
    }

    private Response nodes(Request req) {
        requireAdmin(req);
        String id = req.pathParam("image_id");
        if (!cache.imageExists(id)) throw ApiException.notFound("Image " + id + " not found.");
        throw ApiException.conflict("Glint caches images per node; no central record says which nodes cache an image.");
    }
}
