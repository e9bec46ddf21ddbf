package io.glint.registry.model;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * Anything a command or a query hands back inside a {@link Result}. The type tag makes results
 * self-describing on the wire between the state machine and the registry client.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@p")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Image.class, name = "image"),
        @JsonSubTypes.Type(value = Member.class, name = "member"),
        @JsonSubTypes.Type(value = Member.Members.class, name = "members"),
        @JsonSubTypes.Type(value = ChunkManifest.class, name = "manifest"),
        @JsonSubTypes.Type(value = ChunkRef.Refs.class, name = "chunkrefs"),
        @JsonSubTypes.Type(value = NodeInfo.class, name = "node"),
        @JsonSubTypes.Type(value = NodeInfo.Nodes.class, name = "nodes"),
        @JsonSubTypes.Type(value = Task.class, name = "task"),
        @JsonSubTypes.Type(value = Task.Tasks.class, name = "tasks"),
        @JsonSubTypes.Type(value = UploadLease.class, name = "lease"),
        @JsonSubTypes.Type(value = AuditMark.class, name = "audit"),
        @JsonSubTypes.Type(value = ClusterSettings.class, name = "settings"),
        @JsonSubTypes.Type(value = ImagePage.class, name = "page"),
        @JsonSubTypes.Type(value = Image.Images.class, name = "images"),
        @JsonSubTypes.Type(value = Payload.Empty.class, name = "empty"),
        @JsonSubTypes.Type(value = Payload.Digest.class, name = "digest"),
        @JsonSubTypes.Type(value = Payload.ImageScan.class, name = "imagescan"),
        @JsonSubTypes.Type(value = Payload.UploadScan.class, name = "uploadscan"),
        @JsonSubTypes.Type(value = Payload.ImageData.class, name = "imagedata"),
        @JsonSubTypes.Type(value = AuditReport.class, name = "auditreport"),
        @JsonSubTypes.Type(value = AuditMark.Marks.class, name = "audits"),
})
public interface Payload {

    /** Success with nothing to return. */
    record Empty() implements Payload {
        public static final Empty INSTANCE = new Empty();
    }

    /** A state digest taken at one applied index. */
    record Digest(long appliedIndex, String sha256Hex) implements Payload {}

    /** One page of an image scan: the matches, and the id to go on after (null: the scan is complete). */
    record ImageScan(java.util.List<Image> images, String nextAfter) implements Payload {}

    /** An image and its chunk manifest from one state; {@code manifest} null: the image has no data. */
    record ImageData(Image image, ChunkManifest manifest) implements Payload {}

    /** One page of the upload leases; {@code nextAfter} null: no more. */
    record UploadScan(java.util.List<UploadLease> uploads, String nextAfter) implements Payload {}
}
