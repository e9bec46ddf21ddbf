package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.command.PatchOp;
import io.glint.registry.command.PatchValue;
import io.glint.registry.model.Formats;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Member;
import io.glint.registry.model.Result;
import io.glint.registry.model.Visibility;
import io.glint.registry.query.Indexes;
import io.glint.registry.store.Records;
import io.glint.registry.store.Txn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Handlers of the commands that change image records: create, patch, tags, (de)activate, delete. */
final class ImageCommands {
    private ImageCommands() {}

    /**
     * Writes a changed image, keeps the secondary indexes in step, and returns what was stored.
     * Every status change passes through here, so this is where the transition table of spec §3.2
     * is asserted: a change outside it is a bug in a handler and stops the state machine rather
     * than corrupt the registry. Every change's {@code updated_at} passes through {@link Times}.
     */
    static Image save(Txn txn, Image before, Image after) {
        if (before != null) {
            long at = Times.updatedAt(after.updatedAtMillis(), before.createdAtMillis(), before.updatedAtMillis());
            if (at != after.updatedAtMillis()) after = after.withUpdatedAt(at);
        }
        ImageStatus from = before == null ? null : before.status();
        boolean allowed = from == null ? after.status() == ImageStatus.QUEUED
                : from == after.status() || from.canMoveTo(after.status());
        if (!allowed) {
            throw new IllegalStateException("image " + after.id() + ": status change " + from + " -> "
                    + after.status() + " is not in the transition table");
        }
        Records.putImage(txn, after);
        Indexes.update(txn, before, after);
        return after;
    }

    static Result create(Txn txn, Command.CreateImage c) {
        Identity actor = c.actor();
        Map<String, String> extra = c.extra() == null ? Map.of() : c.extra();
        List<String> tags = c.tags() == null ? List.of() : c.tags();
        if (!Formats.isUuid(c.imageId())) return Result.invalid("id must be a UUID: " + c.imageId());
        Result bad = Checks.first(
                Checks.extras(extra),
                Checks.name(c.name()),
                Checks.nonNegative("min_disk", c.minDisk()),
                Checks.nonNegative("min_ram", c.minRam()),
                Checks.diskFormat(c.diskFormat()),
                Checks.containerFormat(c.containerFormat()),
                Checks.tags(tags));
        if (bad != null) return bad;
        if (c.visibility() == null) return Result.invalid("visibility is required");
        if (c.owner() != null && !Formats.isKeySafe(c.owner())) return Result.invalid("invalid owner");
        if (actor.projectId() == null && !actor.isAdmin()) {
            // spec §5.1: a caller without a project (anonymous) is read-only
            return Result.forbidden("Read-only access: a caller without a project may not create images.");
        }
        boolean ownOwner = c.owner() == null ? actor.projectId() == null : c.owner().equals(actor.projectId());
        if (!ownOwner && !actor.isAdmin()) {
            return Result.forbidden("You are not permitted to create images owned by '" + c.owner() + "'.");
        }
        if (c.visibility() == Visibility.PUBLIC && !actor.isAdmin()) {
            return Result.forbidden("You are not authorized to complete publicize_image action.");
        }
        if (Records.image(txn, c.imageId()) != null) {
            return Result.conflict("Image with identifier " + c.imageId() + " already exists!");
        }
        Image image = new Image(c.imageId(), c.name(), ImageStatus.QUEUED, c.visibility(), c.isProtected(),
                c.osHidden(), c.owner(), c.minDisk(), c.minRam(), c.containerFormat(), c.diskFormat(), null, null,
                null, null, null, c.nowMillis(), c.nowMillis(), tags, new TreeMap<>(extra));
        Result quota = Checks.quotas(Records.settings(txn), image);
        if (quota != null) return quota;
        save(txn, null, image);
        return Result.ok(image);
    }

    static Result patch(Txn txn, Command.PatchImage c) {
        Image before = Checks.visible(txn, c.actor(), c.imageId());
        if (before == null) return Checks.notFound(c.imageId());
        Result denied = Checks.mayModify(c.actor(), before);
        if (denied != null) return denied;
        ImagePatch patch = new ImagePatch(before, c.actor());
        for (PatchOp op : c.ops()) {
            Result r = patch.apply(op);
            if (r != null) return r;
        }
        Image after = patch.result(c.nowMillis());
        if (after.equals(before)) return Result.ok(before);
        Result quota = Checks.quotasOnGrowth(Records.settings(txn), before, after);
        if (quota != null) return quota;
        return Result.ok(save(txn, before, after));
    }

    static Result addTag(Txn txn, Command.AddTag c) {
        Image before = Checks.visible(txn, c.actor(), c.imageId());
        if (before == null) return Checks.notFound(c.imageId());
        Result bad = Checks.first(Checks.mayModify(c.actor(), before), Checks.tag(c.tag()));
        if (bad != null) return bad;
        if (before.hasTag(c.tag())) return Result.ok(before);
        List<String> tags = new ArrayList<>(before.tags());
        tags.add(c.tag());
        Image after = before.withTags(tags, c.nowMillis());
        Result quota = Checks.quotasOnGrowth(Records.settings(txn), before, after);
        if (quota != null) return quota;
        return Result.ok(save(txn, before, after));
    }

    static Result removeTag(Txn txn, Command.RemoveTag c) {
        Image before = Checks.visible(txn, c.actor(), c.imageId());
        if (before == null) return Checks.notFound(c.imageId());
        Result denied = Checks.mayModify(c.actor(), before);
        if (denied != null) return denied;
        if (c.tag() == null || !before.hasTag(c.tag())) return Result.notFound("Tag " + c.tag() + " not found");
        List<String> tags = new ArrayList<>(before.tags());
        tags.remove(c.tag());
        Image after = before.withTags(tags, c.nowMillis());
        return Result.ok(save(txn, before, after));
    }

    /** Spec §4.10: active <-> deactivated; the target status itself is a no-op; anything else 403. */
    static Result setActive(Txn txn, Identity actor, long nowMillis, String imageId, boolean activate) {
        Image before = Checks.visible(txn, actor, imageId);
        if (before == null) return Checks.notFound(imageId);
        Result denied = Checks.mayModify(actor, before);
        if (denied != null) return denied;
        ImageStatus target = activate ? ImageStatus.ACTIVE : ImageStatus.DEACTIVATED;
        ImageStatus source = activate ? ImageStatus.DEACTIVATED : ImageStatus.ACTIVE;
        if (before.status() == target) return Result.ok(before);
        if (before.status() != source) {
            return Result.forbidden("Not allowed to " + (activate ? "reactivate" : "deactivate")
                    + " an image in status '" + before.status().wire() + "'");
        }
        Image after = before.withStatus(target, nowMillis);
        return Result.ok(save(txn, before, after));
    }

    static Result delete(Txn txn, Command.DeleteImage c) {
        Image before = Checks.visible(txn, c.actor(), c.imageId());
        if (before == null) return Checks.notFound(c.imageId());
        Result denied = Checks.mayModify(c.actor(), before);
        if (denied != null) return denied;
        if (before.isProtected()) {
            return Result.forbidden("Image " + c.imageId() + " is protected and cannot be deleted.");
        }
        for (Member m : Records.members(txn, c.imageId())) Records.deleteMember(txn, m.imageId(), m.memberId());
        Records.deleteUpload(txn, c.imageId());
        // A delayed delete keeps the data (and its chunk references) until the reaper purges it.
        boolean keepData = c.delayed() && before.status().canMoveTo(ImageStatus.PENDING_DELETE);
        if (keepData) {
            save(txn, before, before.withStatus(ImageStatus.PENDING_DELETE, c.nowMillis()));
        } else {
            Manifests.replace(txn, c.imageId(), null);
            save(txn, before, before.withStatus(ImageStatus.DELETED, c.nowMillis()));
        }
        return Result.ok();
    }

    static Result purge(Txn txn, Command.PurgeImage c) {
        Image before = Records.image(txn, c.imageId());
        if (before == null) return Checks.notFound(c.imageId());
        if (before.status() != ImageStatus.PENDING_DELETE) {
            return Result.conflict("Image " + c.imageId() + " is " + before.status().wire() + ", not pending_delete");
        }
        Manifests.replace(txn, c.imageId(), null);
        save(txn, before, before.withStatus(ImageStatus.DELETED, c.nowMillis()));
        return Result.ok();
    }

    /**
     * An image PATCH applied to an in-memory copy, one operation at a time (spec §4.4.3); the first
     * operation that fails decides the result and nothing is written.
     */
    private static final class ImagePatch {
        private final Image before;
        private final Identity actor;
        private String name;
        private Visibility visibility;
        private boolean isProtected;
        private boolean osHidden;
        private String owner;
        private long minDisk;
        private long minRam;
        private String containerFormat;
        private String diskFormat;
        private List<String> tags;
        private final TreeMap<String, String> extra;

        ImagePatch(Image image, Identity actor) {
            this.before = image;
            this.actor = actor;
            name = image.name();
            visibility = image.visibility();
            isProtected = image.isProtected();
            osHidden = image.osHidden();
            owner = image.owner();
            minDisk = image.minDisk();
            minRam = image.minRam();
            containerFormat = image.containerFormat();
            diskFormat = image.diskFormat();
            tags = image.tags();
            extra = new TreeMap<>(image.extra());
        }

        Result apply(PatchOp op) {
            String f = op.field();
            if (f == null || op.op() == null) return Result.invalid("a patch operation needs op and path");
            if (Formats.isReserved(f)) return Result.forbidden("Attribute '" + f + "' is reserved.");
            if (Formats.READ_ONLY.contains(f)) return Result.forbidden("Attribute '" + f + "' is read-only.");
            if (f.equals("locations")) {
                return Result.forbidden("It's not allowed to add or replace locations while they are hidden.");
            }
            if (Formats.CORE.contains(f)) {
                if (op.op() == PatchOp.Op.REMOVE) return Result.forbidden("Cannot remove core property '" + f + "'.");
                if (op.value() == null) return Result.invalid("'" + f + "' needs a value");
                return setCore(f, op.value());
            }
            if (f.isEmpty() || f.length() > Formats.PROPERTY_KEY_MAX_CHARS) {
                return Result.invalid("property name must have 1 to " + Formats.PROPERTY_KEY_MAX_CHARS + " characters");
            }
            switch (op.op()) {
                case REMOVE:
                    if (extra.remove(f) == null) return Result.conflict("Property " + f + " does not exist.");
                    return null;
                case REPLACE:
                    if (!extra.containsKey(f)) return Result.conflict("Property " + f + " does not exist.");
                    return setExtra(f, op.value());
                default:
                    return setExtra(f, op.value());
            }
        }

        private Result setExtra(String key, PatchValue value) {
            if (!(value instanceof PatchValue.Str s)) {
                return Result.invalid("Value of property '" + key + "' must be a string");
            }
            Result bad = Checks.extraValue(key, s.value());
            if (bad != null) return bad;
            extra.put(key, s.value());
            return null;
        }

        private Result setCore(String field, PatchValue v) {
            switch (field) {
                case "name": {
                    if (v instanceof PatchValue.Null) name = null;
                    else if (v instanceof PatchValue.Str s) name = s.value();
                    else return typeError(field, "string or null");
                    return Checks.name(name);
                }
                case "visibility": {
                    Visibility vis = v instanceof PatchValue.Str s ? Visibility.fromWire(s.value()) : null;
                    if (vis == null) return Result.invalid("Invalid visibility value");
                    if (vis == Visibility.PUBLIC && !actor.isAdmin() && before.visibility() != Visibility.PUBLIC) {
                        return Result.forbidden("You are not authorized to complete publicize_image action.");
                    }
                    visibility = vis;
                    return null;
                }
                case "protected": {
                    if (!(v instanceof PatchValue.Bool b)) return typeError(field, "boolean");
                    isProtected = b.value();
                    return null;
                }
                case "os_hidden": {
                    if (!(v instanceof PatchValue.Bool b)) return typeError(field, "boolean");
                    osHidden = b.value();
                    return null;
                }
                case "owner": {
                    String o;
                    if (v instanceof PatchValue.Null) o = null;
                    else if (v instanceof PatchValue.Str s) o = s.value();
                    else return typeError(field, "string or null");
                    if (o != null && !Formats.isKeySafe(o)) return Result.invalid("invalid owner");
                    if (!actor.isAdmin() && !java.util.Objects.equals(o, owner)) {
                        return Result.forbidden("Only admins may change the owner of an image.");
                    }
                    owner = o;
                    return null;
                }
                case "min_disk":
                case "min_ram": {
                    if (!(v instanceof PatchValue.Num n)) return typeError(field, "integer");
                    Result bad = Checks.nonNegative(field, n.value());
                    if (bad != null) return bad;
                    if (field.equals("min_disk")) minDisk = n.value();
                    else minRam = n.value();
                    return null;
                }
                case "container_format":
                case "disk_format": {
                    String fmt;
                    if (v instanceof PatchValue.Null) fmt = null;
                    else if (v instanceof PatchValue.Str s) fmt = s.value();
                    else return typeError(field, "string or null");
                    boolean isDisk = field.equals("disk_format");
                    Result bad = isDisk ? Checks.diskFormat(fmt) : Checks.containerFormat(fmt);
                    if (bad != null) return bad;
                    ImageStatus st = before.status();
                    if (st != ImageStatus.QUEUED && st != ImageStatus.IMPORTING) {
                        return Result.forbidden("Attribute " + field + " can be only replaced for a queued image.");
                    }
                    if (isDisk) diskFormat = fmt;
                    else containerFormat = fmt;
                    return null;
                }
                case "tags": {
                    if (!(v instanceof PatchValue.StrList l)) return typeError(field, "array of strings");
                    Result bad = Checks.tags(l.value());
                    if (bad != null) return bad;
                    tags = l.value();
                    return null;
                }
                default:
                    return Result.forbidden("Attribute '" + field + "' is read-only.");
            }
        }

        private static Result typeError(String field, String expected) {
            return Result.invalid("Invalid type for '" + field + "': expected " + expected);
        }

        Image result(long nowMillis) {
            Image same = new Image(before.id(), name, before.status(), visibility, isProtected, osHidden, owner,
                    minDisk, minRam, containerFormat, diskFormat, before.size(), before.virtualSize(),
                    before.checksum(), before.osHashAlgo(), before.osHashValue(), before.createdAtMillis(),
                    before.updatedAtMillis(), tags, extra);
            return same.equals(before) ? before : same.touched(nowMillis);
        }
    }

}
