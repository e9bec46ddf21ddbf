package io.glint.registry.model;

/**
 * The right of one coordinator to write an image's data (DESIGN §5). While a lease is held, no
 * second upload of the image can begin; a lease that is not renewed before it expires is taken
 * back by the reaper, which returns the image to {@code queued}.
 */
public record UploadLease(String imageId, String leaseId, String coordinatorNodeId, UploadKind kind,
                          long startedAtMillis, long expiresAtMillis) implements Payload {
}
