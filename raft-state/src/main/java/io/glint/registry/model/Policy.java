package io.glint.registry.model;

/**
 * Who may see and who may change an image (spec §5.3-§5.6), as pure functions of the identity,
 * the image and the caller's membership of it. Used by apply and by the queries alike, so that a
 * request is judged the same way whichever node received it. Role enforcement is on (spec §5.2):
 * an owner-less non-public image is visible to admins only.
 */
public final class Policy {
    private Policy() {}

    /** Spec §5.4. {@code membership} is the caller project's member status on the image, or null. */
    public static boolean canSee(Identity who, Image image, MemberStatus membership) {
        if (image.status().isGone()) return false;
        if (who.isAdmin()) return true;
        if (image.visibility() == Visibility.PUBLIC || image.visibility() == Visibility.COMMUNITY) return true;
        if (isOwner(who, image)) return true;
        return image.visibility() == Visibility.SHARED && membership != null;
    }

    /** Owner or admin: may modify, delete, upload, tag, share (spec §5.5). */
    public static boolean canModify(Identity who, Image image) {
        return who.isAdmin() || isOwner(who, image);
    }

    public static boolean isOwner(Identity who, Image image) {
        return who.projectId() != null && who.projectId().equals(image.owner());
    }
}
