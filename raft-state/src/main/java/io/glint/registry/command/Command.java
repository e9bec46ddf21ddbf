package io.glint.registry.command;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.ClusterSettings;
import io.glint.registry.model.Identity;
import io.glint.registry.model.MemberStatus;
import io.glint.registry.model.NodeInfo;
import io.glint.registry.model.NodeState;
import io.glint.registry.model.Task;
import io.glint.registry.model.TaskStatus;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.Visibility;

import java.util.List;
import java.util.Map;

/**
 * Every change to the registry. A command carries everything that makes its application
 * deterministic: ids, timestamps ({@code nowMillis}) and the acting identity are filled in by the
 * proposer, and {@code apply} reads nothing else but the registry state (DESIGN §3).
 *
 * <p>The type names below are part of the log format: never rename one; add new ones.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@c")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Command.CreateImage.class, name = "CreateImage"),
        @JsonSubTypes.Type(value = Command.PatchImage.class, name = "PatchImage"),
        @JsonSubTypes.Type(value = Command.BeginUpload.class, name = "BeginUpload"),
        @JsonSubTypes.Type(value = Command.CommitUpload.class, name = "CommitUpload"),
        @JsonSubTypes.Type(value = Command.AbortUpload.class, name = "AbortUpload"),
        @JsonSubTypes.Type(value = Command.RenewLease.class, name = "RenewLease"),
        @JsonSubTypes.Type(value = Command.ExpireLease.class, name = "ExpireLease"),
        @JsonSubTypes.Type(value = Command.Deactivate.class, name = "Deactivate"),
        @JsonSubTypes.Type(value = Command.Reactivate.class, name = "Reactivate"),
        @JsonSubTypes.Type(value = Command.DeleteImage.class, name = "DeleteImage"),
        @JsonSubTypes.Type(value = Command.PurgeImage.class, name = "PurgeImage"),
        @JsonSubTypes.Type(value = Command.AddTag.class, name = "AddTag"),
        @JsonSubTypes.Type(value = Command.RemoveTag.class, name = "RemoveTag"),
        @JsonSubTypes.Type(value = Command.AddMember.class, name = "AddMember"),
        @JsonSubTypes.Type(value = Command.UpdateMember.class, name = "UpdateMember"),
        @JsonSubTypes.Type(value = Command.RemoveMember.class, name = "RemoveMember"),
        @JsonSubTypes.Type(value = Command.CreateTask.class, name = "CreateTask"),
        @JsonSubTypes.Type(value = Command.UpdateTask.class, name = "UpdateTask"),
        @JsonSubTypes.Type(value = Command.JoinNode.class, name = "JoinNode"),
        @JsonSubTypes.Type(value = Command.UpdateNode.class, name = "UpdateNode"),
        @JsonSubTypes.Type(value = Command.RemoveNode.class, name = "RemoveNode"),
        @JsonSubTypes.Type(value = Command.MarkAudit.class, name = "MarkAudit"),
        @JsonSubTypes.Type(value = Command.SetClusterSettings.class, name = "SetClusterSettings"),
        @JsonSubTypes.Type(value = Command.SaveAuditReport.class, name = "SaveAuditReport"),
})
public sealed interface Command {

    /**
     * {@code POST /v2/images} (spec §4.1). The API has resolved defaults (owner = caller's project,
     * visibility {@code shared}, ...) before proposing; apply re-checks every rule that depends on
     * state or identity: id reuse (409), foreign owner or public visibility by a non-admin (403),
     * reserved keys (403), limits (413), bad values (400).
     */
    record CreateImage(Identity actor, long nowMillis, String imageId, String name, Visibility visibility,
                       boolean isProtected, boolean osHidden, String owner, long minDisk, long minRam,
                       String containerFormat, String diskFormat, List<String> tags, Map<String, String> extra)
            implements Command {}

    /** {@code PATCH /v2/images/{id}} (spec §4.4): all operations apply, or none. */
    record PatchImage(Identity actor, long nowMillis, String imageId, List<PatchOp> ops) implements Command {}

    /**
     * Start writing an image's data under a lease (DESIGN §5 step 1): queued -> saving for
     * {@code UPLOAD}, queued -> uploading for {@code STAGE}, queued or uploading -> importing for
     * {@code IMPORT}. A second upload while a lease is held, or from another status: 409.
     */
    record BeginUpload(Identity actor, long nowMillis, String imageId, UploadKind kind, String leaseId,
                       String coordinatorNodeId, long leaseExpiresAtMillis) implements Command {}

    /**
     * Finish an upload (DESIGN §5 step 3). For {@code UPLOAD}/{@code IMPORT} the image becomes
     * active with the manifest's size and hashes and every chunk's reference count goes up by one;
     * for {@code STAGE} the image stays {@code uploading} with {@code size} set to the staged bytes.
     * {@code expectedSizeBytes} (from {@code x-openstack-image-size}), when not null, must equal the
     * manifest size (else 400, image back to queued). An image deleted meanwhile: 410.
     */
    record CommitUpload(long nowMillis, String imageId, String leaseId, ChunkManifest manifest,
                        Long virtualSizeBytes, Long expectedSizeBytes) implements Command {}

    /** Give up an upload: the image returns to queued with size and hashes cleared. */
    record AbortUpload(long nowMillis, String imageId, String leaseId, String reason) implements Command {}

    /** Extend a running upload's lease. */
    record RenewLease(long nowMillis, String imageId, String leaseId, long newExpiresAtMillis) implements Command {}

    /** Reaper: take back a lease whose coordinator stopped renewing it (expiry must be past). */
    record ExpireLease(long nowMillis, String imageId, String leaseId) implements Command {}

    /** {@code POST .../actions/deactivate} (spec §4.10). */
    record Deactivate(Identity actor, long nowMillis, String imageId) implements Command {}

    /** {@code POST .../actions/reactivate} (spec §4.10). */
    record Reactivate(Identity actor, long nowMillis, String imageId) implements Command {}

    /**
     * {@code DELETE /v2/images/{id}} (spec §4.5). With {@code delayed} and an active image the
     * image goes to {@code pending_delete} and keeps its chunk references until purged; otherwise
     * it is deleted at once and its references are dropped. The record stays as a tombstone so
     * that the id can never be reused.
     */
    record DeleteImage(Identity actor, long nowMillis, String imageId, boolean delayed) implements Command {}

    /** Reaper: pending_delete -> deleted, dropping the image's chunk references. */
    record PurgeImage(long nowMillis, String imageId) implements Command {}

    record AddTag(Identity actor, long nowMillis, String imageId, String tag) implements Command {}

    record RemoveTag(Identity actor, long nowMillis, String imageId, String tag) implements Command {}

    record AddMember(Identity actor, long nowMillis, String imageId, String memberId) implements Command {}

    record UpdateMember(Identity actor, long nowMillis, String imageId, String memberId, MemberStatus status)
            implements Command {}

    record RemoveMember(Identity actor, long nowMillis, String imageId, String memberId) implements Command {}

    /** Record a new task; its id must be unused. */
    record CreateTask(long nowMillis, Task task) implements Command {}

    /** Move a task along its lifecycle (pending -> processing -> success/failure). */
    record UpdateTask(long nowMillis, String taskId, TaskStatus status, String message, String resultJson,
                      Long expiresAtMillis) implements Command {}

    /** A node joins (or re-registers with new addresses); its state becomes {@code up}. */
    record JoinNode(long nowMillis, NodeInfo node) implements Command {}

    /** Change a node's state and/or capacity (null = unchanged). A removed node stays removed. */
    record UpdateNode(long nowMillis, String nodeId, NodeState state, Long capacityBytes) implements Command {}

    record RemoveNode(long nowMillis, String nodeId) implements Command {}

    /** Every member digests its state at the index this command is applied at (DESIGN §6). */
    record MarkAudit(long nowMillis, String auditId, String requestedBy) implements Command {}

    /**
     * Store (or replace) the report of an audit whose mark exists (else NOT_FOUND); the
     * coordinator saves "running", then "done". {@code reportJson} is opaque here but must be
     * non-empty and at most {@link #REPORT_MAX_UTF8_BYTES} bytes of UTF-8 (else INVALID).
     */
    record SaveAuditReport(long nowMillis, String auditId, String reportJson) implements Command {
        public static final int REPORT_MAX_UTF8_BYTES = 4 << 20;
    }

    /** Cluster-wide settings; the placement-group count can be set only while no chunk is referenced. */
    record SetClusterSettings(ClusterSettings settings) implements Command {}
}
