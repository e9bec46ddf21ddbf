package io.glint.node.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glint.node.http.Json;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Member;
import io.glint.registry.model.Task;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Set;

/**
 * The wire representations of images, members and tasks (spec §2, §4.12, §4.13): every core field
 * always present ({@code null} when unset), extra properties as top-level strings, timestamps in UTC
 * at second resolution, internal {@code os_glance_*} keys never shown.
 */
public final class ImageJson {
    private ImageJson() {}

    /** The one store of a Glint cluster (spec §4.17: multi-store mode with a single store). */
    public static final String STORE_ID = "cluster";

    private static final Set<String> HIDDEN_EXTRAS = Set.of("os_glance_stage_host", "os_glance_hash_op_host");
    private static final DateTimeFormatter SECONDS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter MICROS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);
    private static final JsonNodeFactory F = Json.MAPPER.getNodeFactory();

    public static String timestamp(long epochMillis) {
        return SECONDS.format(Instant.ofEpochMilli(epochMillis));
    }

    public static ObjectNode image(Image i) {
        ObjectNode o = F.objectNode();
        o.put("id", i.id());
        o.put("name", i.name());
        o.put("status", i.status().wire());
        o.put("visibility", i.visibility().wire());
        o.put("protected", i.isProtected());
        o.put("os_hidden", i.osHidden());
        o.put("checksum", i.checksum());
        o.put("os_hash_algo", i.osHashAlgo());
        o.put("os_hash_value", i.osHashValue());
        o.put("owner", i.owner());
        o.put("size", i.size());
        o.put("virtual_size", i.virtualSize());
        o.put("min_disk", i.minDisk());
        o.put("min_ram", i.minRam());
        o.put("container_format", i.containerFormat());
        o.put("disk_format", i.diskFormat());
        o.put("created_at", timestamp(i.createdAtMillis()));
        o.put("updated_at", timestamp(i.updatedAtMillis()));
        ArrayNode tags = o.putArray("tags");
        i.tags().forEach(tags::add);
        o.put("self", "/v2/images/" + i.id());
        o.put("file", "/v2/images/" + i.id() + "/file");
        o.put("schema", "/v2/schemas/image");
        if (hasData(i)) o.put("stores", STORE_ID);
        for (Map.Entry<String, String> e : i.extra().entrySet()) {
            if (!HIDDEN_EXTRAS.contains(e.getKey())) o.put(e.getKey(), e.getValue());
        }
        return o;
    }

    /** Data is in the store: the image is active or deactivated (spec API-019). */
    public static boolean hasData(Image i) {
        return i.status() == ImageStatus.ACTIVE || i.status() == ImageStatus.DEACTIVATED;
    }

    public static ObjectNode member(Member m) {
        ObjectNode o = F.objectNode();
        o.put("member_id", m.memberId());
        o.put("image_id", m.imageId());
        o.put("status", m.status().wire());
        o.put("created_at", timestamp(m.createdAtMillis()));
        o.put("updated_at", timestamp(m.updatedAtMillis()));
        o.put("schema", "/v2/schemas/member");
        return o;
    }

    /** A task as {@code GET /v2/images/{id}/tasks} shows it (Glance quirk: microsecond times, no Z). */
    public static ObjectNode task(Task t) {
        ObjectNode o = F.objectNode();
        o.put("id", t.id());
        o.put("type", t.type());
        o.put("status", t.status().wire());
        o.put("owner", t.owner());
        o.put("image_id", t.imageId());
        o.put("request_id", t.requestId());
        o.put("user_id", t.userId());
        o.set("input", parseOrNull(t.inputJson()));
        o.set("result", parseOrNull(t.resultJson()));
        o.put("message", t.message() == null ? "" : t.message());
        if (t.expiresAtMillis() != null) o.put("expires_at", MICROS.format(Instant.ofEpochMilli(t.expiresAtMillis())));
        else o.putNull("expires_at");
        o.put("created_at", MICROS.format(Instant.ofEpochMilli(t.createdAtMillis())));
        o.put("updated_at", MICROS.format(Instant.ofEpochMilli(t.updatedAtMillis())));
        o.putNull("deleted_at");
        o.put("deleted", false);
        return o;
    }

    private static com.fasterxml.jackson.databind.JsonNode parseOrNull(String json) {
        if (json == null) return F.nullNode();
        try {
            return Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            return F.textNode(json);
        }
    }
}
