package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glint.node.http.ApiException;
import io.glint.node.http.Json;
import io.glint.node.http.Request;
import io.glint.node.http.Response;
import io.glint.node.http.Route.BodyMode;
import io.glint.node.http.Router;
import io.glint.registry.RegistryClient;
import io.glint.registry.command.Command;
import io.glint.registry.command.PatchOp;
import io.glint.registry.model.Formats;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImagePage;
import io.glint.registry.model.Member;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Task;
import io.glint.registry.query.ListImagesRequest;
import io.glint.registry.query.ListParams;
import io.glint.registry.query.Query;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringEncoder;

import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The image metadata endpoints of the Image API v2: create, show, list, patch, delete, tags,
 * deactivate/reactivate, members and the tasks of an image (spec §4.1-§4.5, §4.10-§4.13).
 */
public final class ImagesApi {
    private final RegistryClient registry;
    private final ApiSettings settings;
    private final Clock clock;

    public ImagesApi(RegistryClient registry, ApiSettings settings, Clock clock) {
        this.registry = registry;
        this.settings = settings;
        this.clock = clock;
    }

    public void register(Router r) {
        r.add(HttpMethod.POST, "/v2/images", BodyMode.JSON, this::create);
        r.add(HttpMethod.GET, "/v2/images", BodyMode.NONE, this::list);
        r.add(HttpMethod.GET, "/v2/images/{image_id}", BodyMode.NONE, this::show);
        r.add(HttpMethod.PATCH, "/v2/images/{image_id}", BodyMode.JSON, this::patch);
        r.add(HttpMethod.DELETE, "/v2/images/{image_id}", BodyMode.NONE, this::delete);
        r.add(HttpMethod.PUT, "/v2/images/{image_id}/tags/{tag}", BodyMode.NONE, this::addTag);
        r.add(HttpMethod.DELETE, "/v2/images/{image_id}/tags/{tag}", BodyMode.NONE, this::removeTag);
        r.add(HttpMethod.POST, "/v2/images/{image_id}/actions/deactivate", BodyMode.NONE, req -> action(req, false));
        r.add(HttpMethod.POST, "/v2/images/{image_id}/actions/reactivate", BodyMode.NONE, req -> action(req, true));
        r.add(HttpMethod.GET, "/v2/images/{image_id}/members", BodyMode.NONE, this::listMembers);
        r.add(HttpMethod.POST, "/v2/images/{image_id}/members", BodyMode.JSON, this::addMember);
        r.add(HttpMethod.GET, "/v2/images/{image_id}/members/{member_id}", BodyMode.NONE, this::showMember);
        r.add(HttpMethod.PUT, "/v2/images/{image_id}/members/{member_id}", BodyMode.JSON, this::updateMember);
        r.add(HttpMethod.DELETE, "/v2/images/{image_id}/members/{member_id}", BodyMode.NONE, this::removeMember);
        r.add(HttpMethod.GET, "/v2/images/{image_id}/tasks", BodyMode.NONE, this::tasks);
    }

    private long now() {
        return clock.millis();
    }

    /** The image id of the path; a non-UUID is simply not found (spec §1.4). */
    static String imageId(Request req) {
        String id = req.pathParam("image_id");
        if (!Formats.isUuid(id)) throw ApiException.notFound("No image found with ID " + id);
        return id.toLowerCase(Locale.ROOT);
    }

    private <T extends Payload> T propose(Command c, Class<T> type) {
        return Outcomes.await(registry.propose(c), type);
    }

    private <T extends Payload> T read(Query q, Class<T> type) {
        return Outcomes.await(registry.read(q), type);
    }

    private Response create(Request req) {
        JsonNode body = Json.parse(req.body());
        Command.CreateImage c = ImageRequests.create(body, req.identity(), UUID.randomUUID().toString(), now());
        Image image = propose(c, Image.class);
        Response resp = Response.json(HttpResponseStatus.CREATED, ImageJson.image(image))
                .header("Location", req.baseUrl() + "/v2/images/" + image.id())
                .header("OpenStack-image-store-ids", ImageJson.STORE_ID);
        if (!settings.importMethods().isEmpty()) {
            resp.header("OpenStack-image-import-methods", String.join(",", settings.importMethods()));
        }
        return resp;
    }

    private Response show(Request req) {
        Image image = read(new Query.GetImage(req.identity(), imageId(req)), Image.class);
        return Response.json(HttpResponseStatus.OK, ImageJson.image(image));
    }

    private Response list(Request req) {
        ListParams.Parsed parsed = ListParams.parse(req.identity(), req.query());
        if (parsed.error() != null) throw ApiException.badRequest(parsed.error());
        ListImagesRequest lr = parsed.request();
        ImagePage page = read(new Query.ListImages(lr), ImagePage.class);
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode images = out.putArray("images");
        for (Image i : page.images()) images.add(ImageJson.image(i));
        out.put("first", link(req.query(), null));
        if (page.full()) out.put("next", link(req.query(), page.images().get(page.images().size() - 1).id()));
        out.put("schema", "/v2/schemas/images");
        return Response.json(HttpResponseStatus.OK, out);
    }

    /** {@code /v2/images?...} with every parameter kept (repeats too) and the marker replaced. */
    static String link(Map<String, List<String>> query, String marker) {
        QueryStringEncoder enc = new QueryStringEncoder("/v2/images");
        for (Map.Entry<String, List<String>> e : query.entrySet()) {
            if (e.getKey().equals("marker")) continue;
            for (String v : e.getValue()) enc.addParam(e.getKey(), v);
        }
        if (marker != null) enc.addParam("marker", marker);
        return enc.toString();
    }

    private Response patch(Request req) {
        String id = imageId(req);
        String ct = req.header("Content-Type");
        String mediaType = Request.mediaType(ct);
        ImageRequests.Dialect dialect;
        if (mediaType.equals("application/openstack-images-v2.1-json-patch")) dialect = ImageRequests.Dialect.V2_1;
        else if (mediaType.equals("application/openstack-images-v2.0-json-patch")) dialect = ImageRequests.Dialect.V2_0;
        else {
            throw new ApiException(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
                    "Content type '" + ct + "' is not supported for PATCH.",
                    Map.of("Accept-Patch", "application/openstack-images-v2.0-json-patch, "
                            + "application/openstack-images-v2.1-json-patch"));
        }
        Image current = read(new Query.GetImage(req.identity(), id), Image.class);
        List<PatchOp> ops = ImageRequests.patch(Json.parse(req.body()), dialect, current);
        Image updated = propose(new Command.PatchImage(req.identity(), now(), id, ops), Image.class);
        return Response.json(HttpResponseStatus.OK, ImageJson.image(updated));
    }

    private Response delete(Request req) {
        propose(new Command.DeleteImage(req.identity(), now(), imageId(req), settings.delayedDelete()), Payload.class);
        return Response.empty(HttpResponseStatus.NO_CONTENT);
    }

    private Response addTag(Request req) {
        String tag = req.pathParam("tag");
        if (tag.length() > Formats.TAG_MAX_CHARS) throw ApiException.badRequest("Tag is longer than 255 characters.");
        propose(new Command.AddTag(req.identity(), now(), imageId(req), tag), Image.class);
        return Response.empty(HttpResponseStatus.NO_CONTENT);
    }

    private Response removeTag(Request req) {
        propose(new Command.RemoveTag(req.identity(), now(), imageId(req), req.pathParam("tag")), Image.class);
        return Response.empty(HttpResponseStatus.NO_CONTENT);
    }

    private Response action(Request req, boolean reactivate) {
        Identity who = req.identity();
        String id = imageId(req);
        Command c = reactivate ? new Command.Reactivate(who, now(), id) : new Command.Deactivate(who, now(), id);
        propose(c, Image.class);
        return Response.empty(HttpResponseStatus.NO_CONTENT);
    }

    private Response listMembers(Request req) {
        Member.Members ms = read(new Query.ListMembers(req.identity(), imageId(req)), Member.Members.class);
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode arr = out.putArray("members");
        ms.members().forEach(m -> arr.add(ImageJson.member(m)));
        out.put("schema", "/v2/schemas/members");
        return Response.json(HttpResponseStatus.OK, out);
    }

    private Response addMember(Request req) {
        String id = imageId(req);
        JsonNode body = Json.parse(req.body());
        JsonNode member = body.isObject() ? body.get("member") : null;
        if (member == null || !member.isTextual() || member.asText().isBlank()) {
            throw ApiException.badRequest("Body must be an object with a non-empty string 'member'.");
        }
        Member m = propose(new Command.AddMember(req.identity(), now(), id, member.asText()), Member.class);
        return Response.json(HttpResponseStatus.OK, ImageJson.member(m));
    }

    private Response showMember(Request req) {
        Member m = read(new Query.GetMember(req.identity(), imageId(req), req.pathParam("member_id")), Member.class);
        return Response.json(HttpResponseStatus.OK, ImageJson.member(m));
    }

    private Response updateMember(Request req) {
        String id = imageId(req);
        JsonNode body = Json.parse(req.body());
        JsonNode status = body.isObject() ? body.get("status") : null;
        MemberStatus s = status != null && status.isTextual() ? MemberStatus.fromWire(status.asText()) : null;
        if (s == null) throw ApiException.badRequest("Body must have 'status': one of pending, accepted, rejected.");
        Member m = propose(new Command.UpdateMember(req.identity(), now(), id, req.pathParam("member_id"), s),
                Member.class);
        return Response.json(HttpResponseStatus.OK, ImageJson.member(m));
    }

    private Response removeMember(Request req) {
        propose(new Command.RemoveMember(req.identity(), now(), imageId(req), req.pathParam("member_id")),
                Payload.class);
        return Response.empty(HttpResponseStatus.NO_CONTENT);
    }

    private Response tasks(Request req) {
        Task.Tasks ts = read(new Query.TasksOfImage(req.identity(), imageId(req)), Task.Tasks.class);
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode arr = out.putArray("tasks");
        ts.tasks().forEach(t -> arr.add(ImageJson.task(t)));
        return Response.json(HttpResponseStatus.OK, out);
    }
}
