package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.ClusterSettings;
import io.glint.registry.model.Formats;
import io.glint.registry.model.Image;
import io.glint.registry.model.Member;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.Policy;
import io.glint.registry.model.Result;
import io.glint.registry.model.Visibility;
import io.glint.registry.store.Records;
import io.glint.registry.store.Txn;

/** Image sharing (spec §4.12): owners add and remove members; a member sets its own status. */
final class MemberCommands {
    private MemberCommands() {}

    private static Result notShared() {
        return Result.forbidden("Only shared images have members.");
    }

    static Result add(Txn txn, Command.AddMember c) {
        Image image = Checks.visible(txn, c.actor(), c.imageId());
        if (image == null) return Checks.notFound(c.imageId());
        if (!Policy.canModify(c.actor(), image)) return Result.forbidden("Only the image owner may add members.");
        if (image.visibility() != Visibility.SHARED) return notShared();
        if (c.memberId() == null || c.memberId().isBlank() || !Formats.isKeySafe(c.memberId())) {
            return Result.invalid("a member must be a non-empty project id of at most "
                    + Formats.PROJECT_ID_MAX_CHARS + " characters");
        }
        if (Records.member(txn, c.imageId(), c.memberId()) != null) {
            return Result.conflict("Member " + c.memberId() + " already exists on image " + c.imageId());
        }
        ClusterSettings s = Records.settings(txn);
        if (s.imageMemberQuota() >= 0 && Records.members(txn, c.imageId()).size() >= s.imageMemberQuota()) {
            return Result.overLimit("Maximum number of members (" + s.imageMemberQuota() + ") exceeded");
        }
        Member m = new Member(c.imageId(), c.memberId(), MemberStatus.PENDING, c.nowMillis(), c.nowMillis());
        Records.putMember(txn, m);
        return Result.ok(m);
    }

    static Result update(Txn txn, Command.UpdateMember c) {
        Image image = Checks.visible(txn, c.actor(), c.imageId());
        if (image == null) return Checks.notFound(c.imageId());
        if (image.visibility() != Visibility.SHARED) return notShared();
        Member m = c.memberId() == null ? null : Records.member(txn, c.imageId(), c.memberId());
        boolean self = c.memberId() != null && c.memberId().equals(c.actor().projectId());
        if (m == null || !(self || Policy.canModify(c.actor(), image))) {
            return Result.notFound("Member " + c.memberId() + " not found for image " + c.imageId());
        }
        if (!self && !c.actor().isAdmin()) {
            return Result.forbidden("Only the member itself may change its status.");
        }
        if (c.status() == null) return Result.invalid("status is required");
        Member after = m.status() == c.status() ? m
                : m.withStatus(c.status(), Times.updatedAt(c.nowMillis(), m.createdAtMillis(), m.updatedAtMillis()));
        if (after != m) Records.putMember(txn, after);
        return Result.ok(after);
    }

    static Result remove(Txn txn, Command.RemoveMember c) {
        Image image = Checks.visible(txn, c.actor(), c.imageId());
        if (image == null) return Checks.notFound(c.imageId());
        if (image.visibility() != Visibility.SHARED) return notShared();
        if (!Policy.canModify(c.actor(), image)) return Result.forbidden("Only the image owner may remove members.");
        if (c.memberId() == null || Records.member(txn, c.imageId(), c.memberId()) == null) {
            return Result.notFound("Member " + c.memberId() + " not found for image " + c.imageId());
        }
        Records.deleteMember(txn, c.imageId(), c.memberId());
        return Result.ok();
    }
}
