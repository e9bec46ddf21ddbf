package io.glint.registry.machine;

import io.glint.registry.command.Command;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Result;
import io.glint.registry.model.UploadKind;
import io.glint.registry.model.UploadLease;
import io.glint.registry.store.Records;
import io.glint.registry.store.Txn;

/**
 * Upload leases (DESIGN §5): begin moves the image into its in-progress status under a lease held
 * by one coordinator; commit, abort and expiry end the lease. A lease is the compare-and-set that
 * makes two racing uploads of one image end with exactly one winner.
 */
final class UploadCommands {
    private UploadCommands() {}

    static Result begin(Txn txn, Command.BeginUpload c) {
        Image before = Checks.visible(txn, c.actor(), c.imageId());
        if (before == null) return Checks.notFound(c.imageId());
        Result denied = Checks.mayModify(c.actor(), before);
        if (denied != null) return denied;
        if (c.kind() == null || c.leaseId() == null || c.coordinatorNodeId() == null) {
            return Result.invalid("an upload needs a kind, a lease id and a coordinator");
        }
        if (c.leaseExpiresAtMillis() <= c.nowMillis()) return Result.invalid("lease expiry must be in the future");
        if (Records.upload(txn, c.imageId()) != null) {
            return Result.conflict("Image " + c.imageId() + " already has an upload in progress");
        }
        ImageStatus st = before.status();
        boolean fromOk = st == ImageStatus.QUEUED || (c.kind() == UploadKind.IMPORT && st == ImageStatus.UPLOADING);
        if (!fromOk) {
            return Result.conflict("Image status transition from '" + st.wire() + "' to '"
                    + c.kind().statusDuring().wire() + "' is not allowed");
        }
        // spec §3.2: leaving queued towards saving, importing or active needs both formats; staging does not
        boolean needsFormats = c.kind() != UploadKind.STAGE;
        if (needsFormats && (before.diskFormat() == null || before.containerFormat() == null)) {
            String msg = "Properties disk_format, container_format must be set prior to saving data.";
            return c.kind() == UploadKind.IMPORT ? Result.conflict(msg) : Result.invalid(msg);
        }
        UploadLease lease = new UploadLease(c.imageId(), c.leaseId(), c.coordinatorNodeId(), c.kind(),
                c.nowMillis(), c.leaseExpiresAtMillis());
        Records.putUpload(txn, lease);
        ImageCommands.save(txn, before, before.withStatus(c.kind().statusDuring(), c.nowMillis()));
        return Result.ok(lease);
    }

    /** The image and lease an end-of-upload command acts on, or the rejection. */
    private record Held(Image image, UploadLease lease, Result rejection) {}

    private static Held held(Txn txn, String imageId, String leaseId) {
        Image image = Records.image(txn, imageId);
        if (image == null || image.status().isGone()) {
            return new Held(null, null, Result.gone("Image " + imageId + " was deleted during the upload"));
        }
        UploadLease lease = Records.upload(txn, imageId);
        if (lease == null || !lease.leaseId().equals(leaseId)) {
            return new Held(null, null, Result.conflict("Upload lease " + leaseId + " of image " + imageId
                    + " is no longer held"));
        }
        if (image.status() != lease.kind().statusDuring()) {
            throw new IllegalStateException("lease " + leaseId + " held while image is " + image.status());
        }
        return new Held(image, lease, null);
    }

    static Result commit(Txn txn, Command.CommitUpload c) {
        Held h = held(txn, c.imageId(), c.leaseId());
        if (h.rejection() != null) return h.rejection();
        if (c.manifest() == null || !c.imageId().equals(c.manifest().imageId())) {
            return Result.invalid("the manifest must belong to image " + c.imageId());
        }
        long size = c.manifest().sizeBytes();
        if (c.expectedSizeBytes() != null && c.expectedSizeBytes() != size) {
            return Result.invalid("Received " + size + " bytes, but x-openstack-image-size said "
                    + c.expectedSizeBytes());
        }
        Image before = h.image();
        Image after;
        if (h.lease().kind() == UploadKind.STAGE) {
            after = before.withData(size, null, null, null, null, ImageStatus.UPLOADING, c.nowMillis());
        } else {
            // spec §4.6 step 6: for raw, virtual_size = size; other formats need inspection (not done yet)
            Long virtualSize = c.virtualSizeBytes() != null ? c.virtualSizeBytes()
                    : "raw".equals(before.diskFormat()) ? Long.valueOf(size) : null;
            after = before.withData(size, virtualSize, c.manifest().checksum(), c.manifest().osHashAlgo(),
                    c.manifest().osHashValue(), ImageStatus.ACTIVE, c.nowMillis());
        }
        Manifests.replace(txn, c.imageId(), c.manifest());
        Records.deleteUpload(txn, c.imageId());
        return Result.ok(ImageCommands.save(txn, before, after));
    }

    static Result abort(Txn txn, Command.AbortUpload c) {
        Held h = held(txn, c.imageId(), c.leaseId());
        if (h.rejection() != null) return h.rejection();
        return requeue(txn, h.image(), c.nowMillis());
    }

    static Result renew(Txn txn, Command.RenewLease c) {
        Held h = held(txn, c.imageId(), c.leaseId());
        if (h.rejection() != null) return h.rejection();
        if (c.newExpiresAtMillis() <= c.nowMillis()) return Result.invalid("lease expiry must be in the future");
        UploadLease l = h.lease();
        UploadLease renewed = new UploadLease(l.imageId(), l.leaseId(), l.coordinatorNodeId(), l.kind(),
                l.startedAtMillis(), Math.max(l.expiresAtMillis(), c.newExpiresAtMillis()));
        Records.putUpload(txn, renewed);
        return Result.ok(renewed);
    }

    static Result expire(Txn txn, Command.ExpireLease c) {
        Held h = held(txn, c.imageId(), c.leaseId());
        if (h.rejection() != null) return h.rejection();
        if (h.lease().expiresAtMillis() > c.nowMillis()) {
            return Result.conflict("Upload lease " + c.leaseId() + " is valid until " + h.lease().expiresAtMillis());
        }
        return requeue(txn, h.image(), c.nowMillis());
    }

    /** Spec §3.3: a failed upload, stage or import leaves the image queued, without data. */
    private static Result requeue(Txn txn, Image before, long nowMillis) {
        Manifests.replace(txn, before.id(), null);
        Records.deleteUpload(txn, before.id());
        Image after = before.requeued(nowMillis);
        return Result.ok(ImageCommands.save(txn, before, after));
    }
}
