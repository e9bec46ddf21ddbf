package io.glint.registry.machine;

import io.glint.registry.model.ClusterSettings;
import io.glint.registry.model.Formats;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.Policy;
import io.glint.registry.model.Result;
import io.glint.registry.store.KeyValueView;
import io.glint.registry.store.Records;

import java.util.Collection;
import java.util.Map;

/**
 * Preconditions shared by the command handlers. Each returns null when the check passes and the
 * rejection otherwise, so a handler reads as a list of checks followed by its writes.
 */
final class Checks {
    private Checks() {}

    /** Looks an image up as {@code actor} sees it: NOT_FOUND when absent, gone or invisible (spec §5.6). */
    static Image visible(KeyValueView v, Identity actor, String imageId) {
        if (imageId == null) return null;
        Image image = Records.image(v, imageId);
        if (image == null) return null;
        return Policy.canSee(actor, image, Records.membership(v, imageId, actor.projectId())) ? image : null;
    }

    static Result notFound(String imageId) {
        return Result.notFound("No image found with ID " + imageId);
    }

    static Result mayModify(Identity actor, Image image) {
        return Policy.canModify(actor, image) ? null
                : Result.forbidden("You are not permitted to modify image " + image.id());
    }

    static Result name(String name) {
        if (name != null && name.length() > Formats.NAME_MAX_CHARS) {
            return Result.invalid("name is longer than " + Formats.NAME_MAX_CHARS + " characters");
        }
        return null;
    }

    static Result nonNegative(String field, long value) {
        return value < 0 ? Result.invalid(field + " must be >= 0, got " + value) : null;
    }

    static Result diskFormat(String f) {
        return f == null || Formats.DISK_FORMATS.contains(f) ? null
                : Result.invalid("Invalid disk format '" + f + "'; allowed: " + Formats.DISK_FORMATS);
    }

    static Result containerFormat(String f) {
        return f == null || Formats.CONTAINER_FORMATS.contains(f) ? null
                : Result.invalid("Invalid container format '" + f + "'; allowed: " + Formats.CONTAINER_FORMATS);
    }

    static Result tag(String tag) {
        if (tag == null || tag.isEmpty()) return Result.invalid("a tag may not be empty");
        if (tag.length() > Formats.TAG_MAX_CHARS) {
            return Result.invalid("tag is longer than " + Formats.TAG_MAX_CHARS + " characters");
        }
        if (tag.indexOf('/') >= 0 || tag.indexOf('\0') >= 0) return Result.invalid("a tag may not contain '/' or NUL");
        return null;
    }

    static Result tags(Collection<String> tags) {
        for (String t : tags) {
            Result r = tag(t);
            if (r != null) return r;
        }
        return null;
    }

    /** An extra property key as the client sent it: reserved -> 403, core name -> 403, bad length -> 400. */
    static Result extraKey(String key) {
        if (key == null || key.isEmpty() || key.length() > Formats.PROPERTY_KEY_MAX_CHARS) {
            return Result.invalid("property name must have 1 to " + Formats.PROPERTY_KEY_MAX_CHARS + " characters");
        }
        if (Formats.isReserved(key)) return Result.forbidden("Attribute '" + key + "' is reserved.");
        if (Formats.CORE.contains(key)) return Result.forbidden("Attribute '" + key + "' is read-only.");
        return null;
    }

    static Result extraValue(String key, String value) {
        if (value == null) return Result.invalid("property '" + key + "' must be a string");
        if (value.length() > Formats.PROPERTY_VALUE_MAX_CHARS) {
            return Result.invalid("property '" + key + "' is longer than " + Formats.PROPERTY_VALUE_MAX_CHARS);
        }
        return null;
    }

    static Result extras(Map<String, String> extra) {
        for (Map.Entry<String, String> e : extra.entrySet()) {
            Result r = extraKey(e.getKey());
            if (r == null) r = extraValue(e.getKey(), e.getValue());
            if (r != null) return r;
        }
        return null;
    }

    /** Quotas of spec §7.2; a negative quota means unlimited. */
    static Result quotas(ClusterSettings s, Image image) {
        return first(propertyQuota(s, image), tagQuota(s, image));
    }

    /**
     * Quotas on an update, as Glance enforces them: only a change that brings in a property or a
     * tag the image did not have can exceed them. An image left over a quota that was lowered
     * later can therefore still be renamed and trimmed back under it.
     */
    static Result quotasOnGrowth(ClusterSettings s, Image before, Image after) {
        boolean newProperty = !before.extra().keySet().containsAll(after.extra().keySet());
        boolean newTag = !before.tags().containsAll(after.tags());
        return first(newProperty ? propertyQuota(s, after) : null, newTag ? tagQuota(s, after) : null);
    }

    private static Result propertyQuota(ClusterSettings s, Image image) {
        long props = image.extra().keySet().stream().filter(k -> !k.startsWith("os_glance")).count();
        if (s.imagePropertyQuota() >= 0 && props > s.imagePropertyQuota()) {
            return Result.overLimit("Maximum number of properties (" + s.imagePropertyQuota() + ") exceeded");
        }
        return null;
    }

    private static Result tagQuota(ClusterSettings s, Image image) {
        if (s.imageTagQuota() >= 0 && image.tags().size() > s.imageTagQuota()) {
            return Result.overLimit("Maximum number of tags (" + s.imageTagQuota() + ") exceeded");
        }
        return null;
    }

    static Result first(Result... checks) {
        for (Result r : checks) {
            if (r != null) return r;
        }
        return null;
    }
}
