package io.glint.registry.model;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One image record of the registry: every core property of spec §2.1, the extra properties of
 * §2.2 (including the server-managed {@code os_glance_*} keys) and the tags. Immutable; the
 * {@code with*} methods return changed copies. Timestamps are epoch milliseconds; the API renders
 * them at second resolution (spec API-017), and the list filters compare at that resolution too.
 *
 * <p>Tags are kept sorted and distinct and extra properties in key order, so that equal images
 * encode to equal bytes (the determinism of the state digest depends on it).
 */
public record Image(
        String id,
        String name,
        ImageStatus status,
        Visibility visibility,
        boolean isProtected,
        boolean osHidden,
        String owner,
        long minDisk,
        long minRam,
        String containerFormat,
        String diskFormat,
        Long size,
        Long virtualSize,
        String checksum,
        String osHashAlgo,
        String osHashValue,
        long createdAtMillis,
        long updatedAtMillis,
        List<String> tags,
        SortedMap<String, String> extra) implements Payload {

    public Image {
        tags = tags == null ? List.of() : tags.stream().distinct().sorted().toList();
        extra = Collections.unmodifiableSortedMap(extra == null ? new TreeMap<>() : new TreeMap<>(extra));
    }

    /** A page of images; the answer of list queries that need no paging links. */
    public record Images(List<Image> images) implements Payload {}

    public boolean hasTag(String tag) {
        return Collections.binarySearch(tags, tag) >= 0;
    }

    public Image withStatus(ImageStatus s, long nowMillis) {
        return new Image(id, name, s, visibility, isProtected, osHidden, owner, minDisk, minRam, containerFormat,
                diskFormat, size, virtualSize, checksum, osHashAlgo, osHashValue, createdAtMillis, nowMillis, tags, extra);
    }

    /** Data gone: back to {@code queued} with size, virtual size and hashes cleared (spec §3.2). */
    public Image requeued(long nowMillis) {
        return new Image(id, name, ImageStatus.QUEUED, visibility, isProtected, osHidden, owner, minDisk, minRam,
                containerFormat, diskFormat, null, null, null, null, null, createdAtMillis, nowMillis, tags, extra);
    }

    public Image withData(long sizeBytes, Long virtualSizeBytes, String md5, String hashAlgo, String hashValue,
                          ImageStatus s, long nowMillis) {
        return new Image(id, name, s, visibility, isProtected, osHidden, owner, minDisk, minRam, containerFormat,
                diskFormat, sizeBytes, virtualSizeBytes, md5, hashAlgo, hashValue, createdAtMillis, nowMillis, tags, extra);
    }

    /** This image with only its {@code updated_at} changed. */
    public Image withUpdatedAt(long millis) {
        return new Image(id, name, status, visibility, isProtected, osHidden, owner, minDisk, minRam, containerFormat,
                diskFormat, size, virtualSize, checksum, osHashAlgo, osHashValue, createdAtMillis, millis, tags, extra);
    }

    public Image withTags(List<String> newTags, long nowMillis) {
        return new Image(id, name, status, visibility, isProtected, osHidden, owner, minDisk, minRam, containerFormat,
                diskFormat, size, virtualSize, checksum, osHashAlgo, osHashValue, createdAtMillis, nowMillis, newTags, extra);
    }

    public Image withExtra(Map<String, String> newExtra, long nowMillis) {
        return new Image(id, name, status, visibility, isProtected, osHidden, owner, minDisk, minRam, containerFormat,
                diskFormat, size, virtualSize, checksum, osHashAlgo, osHashValue, createdAtMillis, nowMillis, tags,
                new TreeMap<>(newExtra));
    }

    public Image touched(long nowMillis) {
        return withStatus(status, nowMillis);
    }
}
