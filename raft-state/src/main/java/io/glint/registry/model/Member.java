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

    public Member withStatus(MemberStatus s, long nowMillis) {
        return new Member(imageId, memberId, s, createdAtMillis, nowMillis);
    }
}
