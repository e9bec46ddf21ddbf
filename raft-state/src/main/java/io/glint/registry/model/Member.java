package io.glint.registry.model;

import java.util.List;

/** A project an image is shared with (spec §4.12). */
public record Member(String imageId, String memberId, MemberStatus status, long createdAtMillis,
                     long updatedAtMillis) implements Payload {

    public record Members(List<Member> members) implements Payload {
        public Members {
            members = List.copyOf(members);
        }
    }

    /**
     * The member with status {@code s}, changed at {@code nowMillis}: the clock of the node that
     * proposed the change, which may lag the one that added the member (fault matrix #18), so the
     * stored time is never earlier than the member's {@code created_at} or its last change.
     */
    public Member withStatus(MemberStatus s, long nowMillis) {
        return new Member(imageId, memberId, s, createdAtMillis, Math.max(nowMillis, Math.max(createdAtMillis, updatedAtMillis)));
    }
}
