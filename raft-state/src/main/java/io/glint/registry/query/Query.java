package io.glint.registry.query;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.glint.registry.model.Identity;
import io.glint.registry.model.ImageStatus;

/**
 * Every read of the registry. Queries carry the caller's identity where visibility matters and
 * are answered by {@link QueryEngine} over a consistent view, on the leader (linearizable) or
 * locally. The type names are part of the wire format.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@q")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Query.GetImage.class, name = "GetImage"),
        @JsonSubTypes.Type(value = Query.GetImageRecord.class, name = "GetImageRecord"),
        @JsonSubTypes.Type(value = Query.ListImages.class, name = "ListImages"),
        @JsonSubTypes.Type(value = Query.GetManifest.class, name = "GetManifest"),
        @JsonSubTypes.Type(value = Query.GetImageData.class, name = "GetImageData"),
        @JsonSubTypes.Type(value = Query.ListMembers.class, name = "ListMembers"),
        @JsonSubTypes.Type(value = Query.GetMember.class, name = "GetMember"),
        @JsonSubTypes.Type(value = Query.SharedWith.class, name = "SharedWith"),
        @JsonSubTypes.Type(value = Query.ChunkRefs.class, name = "ChunkRefs"),
        @JsonSubTypes.Type(value = Query.ListNodes.class, name = "ListNodes"),
        @JsonSubTypes.Type(value = Query.GetNode.class, name = "GetNode"),
        @JsonSubTypes.Type(value = Query.GetTask.class, name = "GetTask"),
        @JsonSubTypes.Type(value = Query.TasksOfImage.class, name = "TasksOfImage"),
        @JsonSubTypes.Type(value = Query.GetUpload.class, name = "GetUpload"),
        @JsonSubTypes.Type(value = Query.GetAudit.class, name = "GetAudit"),
        @JsonSubTypes.Type(value = Query.GetSettings.class, name = "GetSettings"),
        @JsonSubTypes.Type(value = Query.Digest.class, name = "Digest"),
        @JsonSubTypes.Type(value = Query.ScanImages.class, name = "ScanImages"),
        @JsonSubTypes.Type(value = Query.ScanUploads.class, name = "ScanUploads"),
        @JsonSubTypes.Type(value = Query.GetAuditReport.class, name = "GetAuditReport"),
        @JsonSubTypes.Type(value = Query.ListAudits.class, name = "ListAudits"),
})
public sealed interface Query {

    /** {@code GET /v2/images/{id}}: the image if the caller can see it (spec §4.2), else NOT_FOUND. */
    record GetImage(Identity caller, String imageId) implements Query {}

    /** Internal: the stored record whatever its status (tombstones included), no policy. */
    record GetImageRecord(String imageId) implements Query {}

    /** {@code GET /v2/images} (spec §4.3). */
    record ListImages(ListImagesRequest request) implements Query {}

    /** Internal: the chunk manifest of an image with data. */
    record GetManifest(String imageId) implements Query {}

    /**
     * {@code GET /v2/images/{id}/file}: the image as {@link GetImage} sees it together with its chunk
     * manifest (null while it has no data), both from one state, in one read: a download then
     * waits for one read index instead of two.
     */
    record GetImageData(Identity caller, String imageId) implements Query {}

    /** {@code GET /v2/images/{id}/members} (spec §4.12). */
    record ListMembers(Identity caller, String imageId) implements Query {}

    /** {@code GET /v2/images/{id}/members/{member}} (spec §4.12). */
    record GetMember(Identity caller, String imageId, String memberId) implements Query {}

    /** Membership records of one project: the images shared with it, in image id order. */
    record SharedWith(String projectId) implements Query {}

    /** Chunk reference counts of one placement group, in chunk id order. */
    record ChunkRefs(int placementGroup) implements Query {}

    record ListNodes() implements Query {}

    record GetNode(String nodeId) implements Query {}

    record GetTask(String taskId) implements Query {}

    /** {@code GET /v2/images/{id}/tasks} (spec §4.13). */
    record TasksOfImage(Identity caller, String imageId) implements Query {}

    record GetUpload(String imageId) implements Query {}

    record GetAudit(String auditId) implements Query {}

    /** The saved report of an audit, or NOT_FOUND (no mark, or no report saved yet). */
    record GetAuditReport(String auditId) implements Query {}

    /**
     * Audit marks newest first (audit ids sort in time order), those with ids below
     * {@code beforeAuditId} (null: from the newest); {@code limit} is clamped to 1..{@value #LIMIT_MAX}.
     */
    record ListAudits(String beforeAuditId, int limit) implements Query {
        public static final int LIMIT_MAX = 1000;
    }

    record GetSettings() implements Query {}

    /** The state digest at the view's applied index. */
    record Digest() implements Query {}

    /**
     * Internal (the reaper): image records, tombstones included, in id order after
     * {@code afterImageId} (null: from the start); at most {@code scanLimit} records are read,
     * and those in {@code status} are returned with where to go on.
     */
    record ScanImages(String afterImageId, ImageStatus status, int scanLimit) implements Query {}

    /** Internal (the reaper): upload leases in image id order after {@code afterImageId}, at most {@code limit}. */
    record ScanUploads(String afterImageId, int limit) implements Query {}
}
