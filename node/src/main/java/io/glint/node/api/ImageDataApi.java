package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glint.node.http.ApiException;
import io.glint.node.http.Json;
import io.glint.node.http.Request;
import io.glint.node.http.Response;
import io.glint.node.http.Route.BodyMode;
import io.glint.node.http.Router;
import io.glint.node.image.ByteRange;
import io.glint.node.image.DataPathException;
import io.glint.node.image.DownloadService;
import io.glint.node.image.UploadService;
import io.glint.registry.RegistryClient;
import io.glint.registry.command.Command;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Result;
import io.glint.registry.model.Task;
import io.glint.registry.model.TaskStatus;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.UploadLease;
import io.glint.registry.query.Query;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * Image data endpoints (spec §4.6-§4.9): upload, download (with Range), stage, and interoperable
 * import. Imports run as tasks on a bounded executor; the upload lease taken by the import is the
 * import lock, so a second import of the same image is a 409 while the first runs.
 */
public final class ImageDataApi {
    private static final Logger LOG = LoggerFactory.getLogger(ImageDataApi.class);
    static final long TASK_TIME_TO_LIVE_MILLIS = 48L * 3600 * 1000;
    private static final String OCTET_STREAM = "application/octet-stream";

    private final RegistryClient registry;
    private final UploadService uploads;
    private final DownloadService downloads;
    private final ApiSettings settings;
    private final Clock clock;
    private final ExecutorService tasks;
    private final String nodeId;
    private volatile java.util.function.Consumer<String> onDownload = id -> {};
    private final HttpClient web = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    public ImageDataApi(RegistryClient registry, UploadService uploads, DownloadService downloads, ApiSettings settings,
                        Clock clock, ExecutorService tasks, String nodeId) {
        this.registry = registry;
        this.uploads = uploads;
        this.downloads = downloads;
        this.settings = settings;
        this.clock = clock;
        this.tasks = tasks;
        this.nodeId = nodeId;
    }

    /** Called with the image id of every download this node starts (the image cache counts hits). */
    public ImageDataApi onDownload(java.util.function.Consumer<String> listener) {
        this.onDownload = listener;
        return this;
    }

    public void register(Router r) {
        r.add(HttpMethod.PUT, "/v2/images/{image_id}/file", BodyMode.STREAM, req -> store(req, UploadKind.UPLOAD));
        r.add(HttpMethod.GET, "/v2/images/{image_id}/file", BodyMode.NONE, this::download);
        r.add(HttpMethod.PUT, "/v2/images/{image_id}/stage", BodyMode.STREAM, req -> store(req, UploadKind.STAGE));
        r.add(HttpMethod.POST, "/v2/images/{image_id}/import", BodyMode.JSON, this::importImage);
    }

    private static ApiException error(DataPathException e) {
        return new ApiException(HttpResponseStatus.valueOf(e.status()), e.getMessage());
    }

    private Response store(Request req, UploadKind kind) {
        String id = ImagesApi.imageId(req);
        if (kind == UploadKind.STAGE && !settings.importMethods().contains("glance-direct")) {
            throw ApiException.notFound("The glance-direct import method is not enabled.");
        }
        String ct = req.header("Content-Type");
        String media = Request.mediaType(ct);
        if (!media.equals(OCTET_STREAM)) {
            throw new ApiException(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
                    "The request media type " + ct + " is not supported; send application/octet-stream.");
        }
        Long expected = null;
        String sizeHeader = req.header("x-openstack-image-size");
        if (sizeHeader != null) {
            try {
                expected = Long.parseLong(sizeHeader.trim());
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("x-openstack-image-size must be an integer, got '" + sizeHeader + "'.");
            }
        }
        try {
            uploads.upload(req.identity(), id, kind, req.bodyStream(), expected);
        } catch (DataPathException e) {
            throw error(e);
        }
        return Response.empty(HttpResponseStatus.NO_CONTENT);
    }

    /**
     * Downloads read the image linearizably, but image data is immutable once written: when this
     * node cannot reach a quorum within {@link #DOWNLOAD_READ_WAIT_MILLIS} (it is on the minority
     * side of a partition), the record this node has applied is used instead, so the data it holds
     * stays readable. Metadata requests never do this (they answer 503 there).
     */
    static final long DOWNLOAD_READ_WAIT_MILLIS = 5_000;

    private Result readForDownload(Query q, boolean[] stale) {
        java.util.concurrent.CompletableFuture<Result> f = registry.read(q);
        try {
            return f.get(DOWNLOAD_READ_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            f.cancel(false);
            Result local = registry.readLocal(q);
            if (!local.isOk()) {
                throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "The image registry is unreachable from this node and it knows no such image; try another node.");
            }
            stale[0] = true;
            return local;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "Interrupted while waiting for the registry.");
        }
    }

    private Response download(Request req) {
        String id = ImagesApi.imageId(req);
        boolean[] stale = {false};
        // One read for the image and its manifest: one read index to wait for instead of two, and
        // both from the same state.
        Payload.ImageData data = Outcomes.value(readForDownload(new Query.GetImageData(req.identity(), id), stale),
                Payload.ImageData.class);
        Image image = data.image();
        if (image.status() == ImageStatus.DEACTIVATED && !req.identity().isAdmin()) {
            throw ApiException.forbidden("The requested image has been deactivated. Image data download is forbidden.");
        }
        if (!ImageJson.hasData(image)) return Response.empty(HttpResponseStatus.NO_CONTENT);
        long size = image.size() == null ? 0 : image.size();
        ByteRange.Parsed range = ByteRange.parse(req.header("Range"), size);
        switch (range.outcome()) {
            case MULTIPLE:
                throw ApiException.badRequest("Multiple ranges are not supported.");
            case UNSATISFIABLE:
                throw new ApiException(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                        "Requested range " + req.header("Range") + " is not satisfiable for " + size + " bytes.");
            default:
                break;
        }
        DownloadService.Download d;
        try {
            if (data.manifest() == null) throw new DataPathException(404, "Image " + id + " has no data");
            d = downloads.open(id, range.range(), data.manifest());
        } catch (DataPathException e) {
            throw error(e);
        }
        onDownload.accept(id);
        HttpResponseStatus status = d.partial() ? HttpResponseStatus.PARTIAL_CONTENT : HttpResponseStatus.OK;
        Response resp = Response.stream(status, d.lengthBytes(), d.streamer()).header("Content-Type", OCTET_STREAM);
        if (d.manifest().checksum() != null) resp.header("Content-MD5", d.manifest().checksum());
        if (d.partial()) resp.header("Content-Range", d.range().contentRange(d.manifest().sizeBytes()));
        if (stale[0]) resp.header("X-Glint-Registry", "local-read");
        return resp;
    }

    // ------------------------------------------------------------------ import (spec §4.9)

    private Response importImage(Request req) {
        String id = ImagesApi.imageId(req);
        JsonNode body = Json.parse(req.body());
        if (!body.isObject()) throw ApiException.badRequest("The import body must be a JSON object.");
        JsonNode method = body.get("method");
        JsonNode name = method != null && method.isObject() ? method.get("name") : null;
        if (name == null || !name.isTextual()) throw ApiException.badRequest("Import request requires a 'method' with a 'name'.");
        String m = name.asText();
        if (!settings.importMethods().contains(m)) throw ApiException.badRequest("Unknown import method name '" + m + "'.");
        for (String flag : List.of("all_stores", "all_stores_must_succeed")) {
            if (body.has(flag) && !body.get(flag).isBoolean()) throw ApiException.badRequest("'" + flag + "' must be a boolean.");
        }
        boolean allStores = body.has("all_stores") && body.get("all_stores").booleanValue();
        if (body.has("all_stores_must_succeed") && !body.get("all_stores_must_succeed").booleanValue()) {
            throw ApiException.badRequest("all_stores_must_succeed=false needs more than one store.");
        }
        List<String> stores = storesOf(req, body);
        Image image = Outcomes.await(registry.read(new Query.GetImage(req.identity(), id)), Image.class);
        switch (m) {
            case "copy-image":
                return copyImage(req.identity(), image, stores, allStores);
            case "glance-direct":
                if (image.status() != ImageStatus.UPLOADING) {
                    throw ApiException.conflict("Image " + id + " has no staged data (status " + image.status().wire() + ").");
                }
                break;
            case "web-download":
                if (image.status() != ImageStatus.QUEUED) {
                    throw ApiException.conflict("Image " + id + " must be queued for web-download, not " + image.status().wire() + ".");
                }
                break;
            default:
                throw ApiException.badRequest("Unknown import method name '" + m + "'.");
        }
        if (image.diskFormat() == null || image.containerFormat() == null) {
            throw ApiException.conflict("Properties disk_format, container_format must be set prior to importing data.");
        }
        URI uri = m.equals("web-download") ? webDownloadUri(method) : null;
        Identity who = req.identity();
        if (!io.glint.registry.model.Policy.canModify(who, image)) {
            throw ApiException.forbidden("You are not permitted to import data into image " + id + ".");
        }
        requireKnownStores(stores);
        String leaseId = UUID.randomUUID().toString();
        long now = clock.millis();
        UploadLease lease = Outcomes.await(registry.propose(new Command.BeginUpload(who, now, id, UploadKind.IMPORT,
                leaseId, nodeId, now + 3_600_000)), UploadLease.class);
        Task task = newTask(req, image, body);
        Outcomes.await(registry.propose(new Command.CreateTask(now, task)), Task.class);
        try {
            tasks.execute(() -> runImport(who, image, lease, task.id(), uri));
        } catch (RejectedExecutionException e) {
            finishTask(task.id(), id, false, "too many imports in progress");
            registry.propose(new Command.AbortUpload(clock.millis(), id, leaseId, "import queue full"));
            throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "Too many imports in progress; retry later.");
        }
        return Response.empty(HttpResponseStatus.ACCEPTED);
    }

    private static List<String> storesOf(Request req, JsonNode body) {
        if (body.has("stores")) {
            JsonNode s = body.get("stores");
            if (!s.isArray()) throw ApiException.badRequest("'stores' must be an array of store ids.");
            List<String> out = new java.util.ArrayList<>();
            for (JsonNode x : s) {
                if (!x.isTextual()) throw ApiException.badRequest("'stores' must be an array of store ids.");
                out.add(x.asText());
            }
            return out;
        }
        String header = req.header("X-Image-Meta-Store");
        return header == null ? List.of() : List.of(header.trim());
    }

    /** copy-image on a one-store cluster: the data is already in every store there is (spec §4.9.2). */
    private Response copyImage(Identity who, Image image, List<String> stores, boolean allStores) {
        if (!who.isAdmin()) throw ApiException.forbidden("copy-image is allowed to admins only.");
        if (image.status() != ImageStatus.ACTIVE) {
            throw ApiException.conflict("copy-image needs an active image; " + image.id() + " is " + image.status().wire() + ".");
        }
        requireKnownStores(stores);
        if (allStores) return Response.empty(HttpResponseStatus.ACCEPTED);
        throw ApiException.badRequest("Image " + image.id() + " is already present in store '" + ImageJson.STORE_ID + "'.");
    }

    /** Spec §4.9.2: a store id in {@code stores} or X-Image-Meta-Store that this service lacks is a 409, for every method. */
    private static void requireKnownStores(List<String> stores) {
        for (String s : stores) {
            if (!s.equals(ImageJson.STORE_ID)) throw ApiException.conflict("Unknown store '" + s + "'.");
        }
    }

    private URI webDownloadUri(JsonNode method) {
        JsonNode u = method.get("uri");
        if (u == null || !u.isTextual()) throw ApiException.badRequest("web-download needs 'method.uri'.");
        URI uri;
        try {
            uri = URI.create(u.asText());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("'method.uri' is not a valid URI.");
        }
        checkUri(uri);
        return uri;
    }

    /**
     * The URI filter of spec §4.9.2: http/https and an explicit allowlist (empty by default). An
     * entry {@code host} allows that host on ports 80 and 443; {@code host:port} allows that port.
     */
    private void checkUri(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw ApiException.badRequest("URI for web-download does not pass filtering: scheme " + scheme);
        }
        int port = uri.getPort() == -1 ? (scheme.equals("https") ? 443 : 80) : uri.getPort();
        String host = uri.getHost();
        boolean allowed = false;
        for (String entry : settings.webDownloadAllowedHosts()) {
            boolean hostOnly = (port == 80 || port == 443) && entry.equalsIgnoreCase(host);
            if (host != null && (hostOnly || entry.equalsIgnoreCase(host + ":" + port))) allowed = true;
        }
        if (!allowed) {
            throw ApiException.badRequest("URI for web-download does not pass filtering: host " + uri.getHost()
                    + " port " + port + " is not allowed.");
        }
    }

    private Task newTask(Request req, Image image, JsonNode body) {
        ObjectNode input = Json.MAPPER.createObjectNode();
        input.set("import_req", body);
        input.put("image_id", image.id());
        return new Task(UUID.randomUUID().toString(), "api_image_import", TaskStatus.PENDING, image.owner(), image.id(),
                req.requestId(), req.identity().userId(), input.toString(), null, "", 0, 0, null);
    }

    /** Task executor: moves the data in, commits, and records the task's end. */
    private void runImport(Identity who, Image image, UploadLease lease, String taskId, URI uri) {
        registry.propose(new Command.UpdateTask(clock.millis(), taskId, TaskStatus.PROCESSING, null, null, null));
        try {
            ChunkManifest manifest;
            if (uri == null) {
                manifest = Outcomes.await(registry.read(new Query.GetManifest(image.id())), ChunkManifest.class);
            } else {
                manifest = fetch(image.id(), lease.leaseId(), uri);
            }
            Result r = Outcomes.await(registry.propose(new Command.CommitUpload(clock.millis(), image.id(),
                    lease.leaseId(), manifest, null, null)));
            if (!r.isOk()) throw new IllegalStateException(r.code() + ": " + r.message());
            finishTask(taskId, image.id(), true, "");
        } catch (RuntimeException | DataPathException | java.io.IOException e) {
            LOG.warn("import of image {} failed: {}", image.id(), e.toString());
            registry.propose(new Command.AbortUpload(clock.millis(), image.id(), lease.leaseId(), "import failed"));
            finishTask(taskId, image.id(), false, e.getMessage() == null ? e.toString() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            registry.propose(new Command.AbortUpload(clock.millis(), image.id(), lease.leaseId(), "interrupted"));
            finishTask(taskId, image.id(), false, "interrupted");
        }
    }

    private ChunkManifest fetch(String imageId, String leaseId, URI uri) throws java.io.IOException, InterruptedException, DataPathException {
        HttpRequest get = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).GET().build();
        HttpResponse<InputStream> resp = web.send(get, HttpResponse.BodyHandlers.ofInputStream());
        if (resp.statusCode() != 200) {
            resp.body().close();
            throw new java.io.IOException("GET " + uri + " answered " + resp.statusCode());
        }
        try (InputStream in = resp.body()) {
            return uploads.writeData(imageId, leaseId, in);
        }
    }

    private void finishTask(String taskId, String imageId, boolean success, String message) {
        long now = clock.millis();
        String result = success ? "{\"image_id\": " + Json.quote(imageId) + "}" : null;
        registry.propose(new Command.UpdateTask(now, taskId, success ? TaskStatus.SUCCESS : TaskStatus.FAILURE,
                message, result, now + TASK_TIME_TO_LIVE_MILLIS));
    }
}
