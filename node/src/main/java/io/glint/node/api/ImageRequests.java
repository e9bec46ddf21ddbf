package io.glint.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.glint.node.http.ApiException;
import io.glint.registry.command.Command;
import io.glint.registry.command.PatchOp;
import io.glint.registry.command.PatchValue;
import io.glint.registry.model.Formats;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.Visibility;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validation of create and patch bodies against the image schema, in the order Glance checks
 * them (spec §4.1, §4.4.2), producing typed commands. Everything here is the cheap first
 * validation at the edge; apply re-checks what depends on state or identity.
 */
public final class ImageRequests {
    private ImageRequests() {}

    /** Attributes a client may never send at create (spec §4.1 step 2). */
    private static final Set<String> GENERATED = Set.of("direct_url", "self", "file", "schema", "stores");
    /** Read-only core attributes refused at create (spec §4.1 step 6). */
    private static final Set<String> READ_ONLY_AT_CREATE = Set.of("status", "checksum", "size", "virtual_size",
            "created_at", "updated_at", "os_hash_algo", "os_hash_value", "locations");
    private static final Set<String> CREATE_CORE = Set.of("id", "name", "visibility", "protected", "os_hidden",
            "owner", "min_disk", "min_ram", "container_format", "disk_format", "tags");
    private static final String UUID_RE =
            "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$";

    public static Command.CreateImage create(JsonNode body, Identity actor, String generatedId, long nowMillis) {
        if (body == null || !body.isObject()) throw ApiException.badRequest("Request body must be a JSON object.");
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (GENERATED.contains(k)) throw ApiException.forbidden("Attribute '" + k + "' is read-only.");
        }
        Map<String, PatchValue> core = new LinkedHashMap<>();
        Map<String, String> extra = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            if (READ_ONLY_AT_CREATE.contains(k)) continue;
            if (k.equals("id")) {
                if (!e.getValue().isTextual() || !e.getValue().asText().matches(UUID_RE)) {
                    throw ApiException.badRequest("Invalid value for 'id': must be a UUID.");
                }
                continue;
            }
            if (CREATE_CORE.contains(k)) {
                core.put(k, coreValue(k, e.getValue()));
            } else {
                String v = extraValue(k, e.getValue());
                if (v != null) extra.put(k, v);
            }
        }
        for (String k : extra.keySet()) {
            if (k.length() > Formats.PROPERTY_KEY_MAX_CHARS) {
                throw ApiException.badRequest("Property name '" + k.substring(0, 32) + "...' is longer than 255 characters.");
            }
        }
        for (String k : extra.keySet()) {
            if (Formats.isReserved(k)) throw ApiException.forbidden("Attribute '" + k + "' is reserved.");
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (READ_ONLY_AT_CREATE.contains(k)) throw ApiException.forbidden("Attribute '" + k + "' is read-only.");
        }
        String id = body.hasNonNull("id") ? body.get("id").asText().toLowerCase(java.util.Locale.ROOT) : generatedId;
        String owner = core.containsKey("owner") ? str(core.get("owner")) : actor.projectId();
        Visibility vis = core.containsKey("visibility") ? Visibility.fromWire(str(core.get("visibility"))) : Visibility.SHARED;
        if (owner != null && !owner.equals(actor.projectId()) && !actor.isAdmin()) {
            throw ApiException.forbidden("You are not permitted to create images owned by '" + owner + "'.");
        }
        if (vis == Visibility.PUBLIC && !actor.isAdmin()) {
            throw ApiException.forbidden("You are not authorized to complete publicize_image action.");
        }
        List<String> tags = core.containsKey("tags") ? ((PatchValue.StrList) core.get("tags")).value() : List.of();
        return new Command.CreateImage(actor, nowMillis, id, str(core.get("name")), vis,
                bool(core.get("protected")), bool(core.get("os_hidden")), owner, num(core.get("min_disk")),
                num(core.get("min_ram")), str(core.get("container_format")), str(core.get("disk_format")), tags, extra);
    }

    private static String str(PatchValue v) {
        return v instanceof PatchValue.Str s ? s.value() : null;
    }

    private static boolean bool(PatchValue v) {
        return v instanceof PatchValue.Bool b && b.value();
    }

    private static long num(PatchValue v) {
        return v instanceof PatchValue.Num n ? n.value() : 0;
    }

    /** A core attribute's value checked against the image schema (spec §4.15.1). */
    static PatchValue coreValue(String field, JsonNode v) {
        switch (field) {
            case "name":
            case "owner": {
                if (v.isNull()) return new PatchValue.Null();
                if (!v.isTextual()) throw invalidType(field, "string or null");
                if (v.asText().length() > 255) throw ApiException.badRequest("'" + field + "' is longer than 255 characters.");
                return new PatchValue.Str(v.asText());
            }
            case "visibility": {
                if (!v.isTextual() || Visibility.fromWire(v.asText()) == null) {
                    throw ApiException.badRequest("Invalid visibility value: " + v);
                }
                return new PatchValue.Str(v.asText());
            }
            case "protected":
            case "os_hidden": {
                if (!v.isBoolean()) throw invalidType(field, "boolean");
                return new PatchValue.Bool(v.booleanValue());
            }
            case "min_disk":
            case "min_ram": {
                if (!v.isIntegralNumber() || !v.canConvertToLong()) throw invalidType(field, "integer");
                if (v.longValue() < 0) throw ApiException.badRequest("'" + field + "' must be >= 0.");
                return new PatchValue.Num(v.longValue());
            }
            case "container_format":
            case "disk_format": {
                if (v.isNull()) return new PatchValue.Null();
                List<String> allowed = field.equals("disk_format") ? Formats.DISK_FORMATS : Formats.CONTAINER_FORMATS;
                if (!v.isTextual() || !allowed.contains(v.asText())) {
                    throw ApiException.badRequest("Invalid value " + v + " for '" + field + "'; allowed: " + allowed);
                }
                return new PatchValue.Str(v.asText());
            }
            case "tags": {
                if (!v.isArray()) throw invalidType(field, "array of strings");
                List<String> tags = new ArrayList<>();
                for (JsonNode t : v) {
                    if (!t.isTextual()) throw invalidType("tags", "array of strings");
                    if (t.asText().length() > Formats.TAG_MAX_CHARS) {
                        throw ApiException.badRequest("A tag is longer than 255 characters.");
                    }
                    tags.add(t.asText());
                }
                return new PatchValue.StrList(tags);
            }
            default:
                throw ApiException.forbidden("Attribute '" + field + "' is read-only.");
        }
    }

    /**
     * An extra property's value: a string, or for the custom properties of the schema their stricter
     * type. Returns null for a null accepted by a nullable custom property (the property stays unset).
     */
    static String extraValue(String key, JsonNode v) {
        switch (key) {
            case "kernel_id":
            case "ramdisk_id":
                if (v.isNull()) return null;
                if (!v.isTextual() || !v.asText().matches(UUID_RE)) {
                    throw ApiException.badRequest("'" + key + "' must be an image id (UUID) or null.");
                }
                return v.asText();
            case "cinder_encryption_key_deletion_policy":
                if (!v.isTextual() || !(v.asText().equals("on_image_deletion") || v.asText().equals("do_not_delete"))) {
                    throw ApiException.badRequest("'" + key + "' must be on_image_deletion or do_not_delete.");
                }
                return v.asText();
            default:
                if (!v.isTextual()) throw invalidType(key, "string");
                if (v.asText().length() > Formats.PROPERTY_VALUE_MAX_CHARS) {
                    throw ApiException.badRequest("Value of '" + key + "' is too long.");
                }
                return v.asText();
        }
    }

    private static ApiException invalidType(String field, String expected) {
        return ApiException.badRequest("Invalid type for '" + field + "': expected " + expected + ".");
    }

    /** Media types of PATCH (spec §4.4.1). */
    public enum Dialect { V2_1, V2_0 }

    /**
     * Parses a JSON-patch document into operations (spec §4.4.2). {@code current} is consulted
     * only by the draft-4 dialect, whose {@code add} on an existing path is a 409.
     */
    public static List<PatchOp> patch(JsonNode body, Dialect dialect, Image current) {
        if (body == null || !body.isArray()) throw ApiException.badRequest("The patch document must be a JSON array.");
        List<PatchOp> ops = new ArrayList<>();
        for (JsonNode el : body) {
            if (!el.isObject()) throw ApiException.badRequest("Each patch operation must be a JSON object.");
            PatchOp.Op op;
            String path;
            if (dialect == Dialect.V2_1) {
                JsonNode o = el.get("op");
                if (o == null || !o.isTextual()) throw ApiException.badRequest("Operation objects must contain 'op'.");
                op = opOf(o.asText());
                JsonNode p = el.get("path");
                if (p == null || !p.isTextual()) throw ApiException.badRequest("Operation objects must contain 'path'.");
                path = p.asText();
            } else {
                op = null;
                path = null;
                for (String name : List.of("add", "remove", "replace")) {
                    if (el.has(name)) {
                        if (op != null) throw ApiException.badRequest("Operation objects must contain exactly one operation.");
                        op = opOf(name);
                        if (!el.get(name).isTextual()) throw ApiException.badRequest("The path must be a string.");
                        path = el.get(name).asText();
                    }
                }
                if (op == null) throw ApiException.badRequest("Operation objects must contain exactly one operation.");
            }
            List<String> segs = pointer(path);
            String field = segs.get(0);
            boolean locations = field.equals("locations");
            int depth = locations && op != PatchOp.Op.REPLACE ? 2 : 1;
            if (segs.size() != depth) throw ApiException.badRequest("Invalid path depth for '" + path + "'.");
            if (op != PatchOp.Op.REMOVE && !el.has("value")) throw ApiException.badRequest("Operation '" + op.name().toLowerCase() + "' needs a 'value'.");
            if (Formats.READ_ONLY.contains(field)) throw ApiException.forbidden("Attribute '" + field + "' is read-only.");
            if (Formats.isReserved(field)) throw ApiException.forbidden("Attribute '" + field + "' is reserved.");
            if (locations) throw ApiException.forbidden("It's not allowed to add or replace locations while they are hidden.");
            if (!Formats.CORE.contains(field) && field.length() > Formats.PROPERTY_KEY_MAX_CHARS) {
                throw ApiException.badRequest("Property name is longer than 255 characters.");
            }
            PatchValue value = null;
            if (op != PatchOp.Op.REMOVE) {
                JsonNode v = el.get("value");
                if (Formats.CORE.contains(field)) {
                    value = coreValue(field, v);
                } else {
                    String s = extraValue(field, v);
                    value = s == null ? new PatchValue.Null() : new PatchValue.Str(s);
                }
            }
            if (dialect == Dialect.V2_0 && op == PatchOp.Op.ADD
                    && (Formats.CORE.contains(field) || current.extra().containsKey(field))) {
                throw ApiException.conflict("Property '" + field + "' already exists.");
            }
            ops.add(new PatchOp(op, field, value));
        }
        return ops;
    }

    private static PatchOp.Op opOf(String s) {
        return switch (s) {
            case "add" -> PatchOp.Op.ADD;
            case "remove" -> PatchOp.Op.REMOVE;
            case "replace" -> PatchOp.Op.REPLACE;
            default -> throw ApiException.badRequest("Operation '" + s + "' is not supported; use add, remove or replace.");
        };
    }

    /** A restricted JSON pointer: leading '/', no empty segment, no trailing '/', '~' only as ~0 or ~1. */
    static List<String> pointer(String path) {
        if (path == null || !path.startsWith("/") || path.endsWith("/") || path.contains("//")) {
            throw ApiException.badRequest("Invalid JSON pointer '" + path + "'.");
        }
        List<String> segs = new ArrayList<>();
        for (String raw : path.substring(1).split("/", -1)) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < raw.length(); i++) {
                char c = raw.charAt(i);
                if (c == '~') {
                    char n = i + 1 < raw.length() ? raw.charAt(i + 1) : ' ';
                    if (n == '0') b.append('~');
                    else if (n == '1') b.append('/');
                    else throw ApiException.badRequest("Invalid JSON pointer escape in '" + path + "'.");
                    i++;
                } else {
                    b.append(c);
                }
            }
            segs.add(b.toString());
        }
        return segs;
    }
}
