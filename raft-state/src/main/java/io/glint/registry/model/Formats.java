package io.glint.registry.model;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Value rules of the image schema that the registry checks itself (spec §2.1, §2.2). */
public final class Formats {
    private Formats() {}

    public static final List<String> DISK_FORMATS =
            List.of("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop");
    public static final List<String> CONTAINER_FORMATS =
            List.of("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed");

    public static final int NAME_MAX_CHARS = 255;
    public static final int TAG_MAX_CHARS = 255;
    public static final int PROPERTY_KEY_MAX_CHARS = 255;
    /** Glance stores extra values in a TEXT column; longer values are refused. */
    public static final int PROPERTY_VALUE_MAX_CHARS = 65535;
    public static final int PROJECT_ID_MAX_CHARS = 255;

    private static final Pattern UUID =
            Pattern.compile("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");

    /** Core properties of the image schema; none of them can be an extra property. */
    public static final Set<String> CORE = Set.of("id", "name", "status", "visibility", "protected", "os_hidden",
            "checksum", "os_hash_algo", "os_hash_value", "owner", "size", "virtual_size", "min_disk", "min_ram",
            "container_format", "disk_format", "created_at", "updated_at", "tags", "self", "file", "schema",
            "locations", "direct_url", "stores");

    /** Core properties a client may never write (spec §4.4.2; {@code stores} by project choice). */
    public static final Set<String> READ_ONLY = Set.of("created_at", "updated_at", "status", "checksum", "size",
            "virtual_size", "direct_url", "self", "file", "schema", "id", "os_hash_algo", "os_hash_value", "stores");

    public static boolean isUuid(String s) {
        return s != null && UUID.matcher(s).matches();
    }

    /** Reserved extra-property names: never set by clients (spec §2.2). */
    public static boolean isReserved(String key) {
        return key.equals("location") || key.equals("deleted") || key.equals("deleted_at")
                || key.startsWith("os_glance");
    }

    /** Ids and project ids become parts of composite keys joined by NUL: they may not hold one. */
    public static boolean isKeySafe(String s) {
        return s != null && !s.isEmpty() && s.length() <= PROJECT_ID_MAX_CHARS && s.indexOf('\0') < 0;
    }
}
