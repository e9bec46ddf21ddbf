package io.glint.node.image;

import io.glint.node.chunk.StoreFullException;
import io.glint.registry.RegistryClient;
import io.glint.registry.command.Command;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.Identity;
import io.glint.registry.model.Image;
import io.glint.registry.model.Result;
import io.glint.registry.model.UploadKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The coordinator of an upload on this node (DESIGN §5, spec §4.6 and §4.8): take the image's
 * upload lease ({@code BeginUpload}), stream the body into chunks while a scheduled task renews
 * the lease, then commit the manifest ({@code CommitUpload}).
 *
 * <p>Every failure after the lease was taken proposes {@code AbortUpload}, so the image returns to
 * {@code queued} with no size (Glance's behaviour), and surfaces as a {@link DataPathException}
 * with the status of spec §4.6. Chunks written before the failure stay on disk unreferenced: the
 * reaper removes them. A renewal that finds the image deleted or the lease taken stops the body
 * stream at its next read, so a deleted image does not keep receiving data.
 */
public final class UploadService {
    private static final Logger log = LoggerFactory.getLogger(UploadService.class);

    /**
     * @param leaseDurationMillis   how long a lease lasts after it is taken or renewed
     * @param renewIntervalMillis   how often the lease is renewed while the body streams
     * @param uploadDurationMaxMillis the longest one upload may hold its lease (then 408)
     * @param registryTimeoutMillis how long to wait for one registry command
     */
    public record Config(long leaseDurationMillis, long renewIntervalMillis, long uploadDurationMaxMillis,
                         long registryTimeoutMillis) {
        public Config {
            if (renewIntervalMillis <= 0 || renewIntervalMillis >= leaseDurationMillis) {
                throw new IllegalArgumentException("renewIntervalMillis must be in (0, leaseDurationMillis)");
            }
            if (uploadDurationMaxMillis <= 0) throw new IllegalArgumentException("uploadDurationMaxMillis must be > 0");
            if (registryTimeoutMillis <= 0) throw new IllegalArgumentException("registryTimeoutMillis must be > 0");
        }

        public static Config defaults() {
            return of(60_000, TimeUnit.HOURS.toMillis(6));
        }

        /** A lease of {@code leaseDurationMillis} renewed every third of it; uploads end after {@code uploadDurationMaxMillis}. */
        public static Config of(long leaseDurationMillis, long uploadDurationMaxMillis) {
            return new Config(leaseDurationMillis, Math.max(1, leaseDurationMillis / 3), uploadDurationMaxMillis, 30_000);
        }
    }

    private final RegistryClient registry;
    private final ImageWriter writer;
    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private final String nodeId;
    private final Config config;

    private final LongAdder uploadsCommitted = new LongAdder();
    private final LongAdder bytesCommitted = new LongAdder();
    private final LongAdder uploadsFailed = new LongAdder();

    public UploadService(RegistryClient registry, ImageWriter writer, ScheduledExecutorService scheduler, Clock clock,
                         String nodeId, Config config) {
        this.registry = registry;
        this.writer = writer;
        this.scheduler = scheduler;
        this.clock = clock;
        this.nodeId = nodeId;
        this.config = config;
    }

    /**
     * Stores {@code body} as the data of image {@code imageId} ({@code UPLOAD}: the image becomes
     * active; {@code STAGE}: it stays uploading with its size set; {@code IMPORT}: active).
     *
     * @param expectedSizeBytes the {@code x-openstack-image-size} header, or null
     * @return the image as committed
     */
    public Image upload(Identity actor, String imageId, UploadKind kind, InputStream body, Long expectedSizeBytes)
            throws DataPathException {
        long capBytes = writer.config().imageSizeCapBytes();
        if (expectedSizeBytes != null && expectedSizeBytes < 0) {
            throw new DataPathException(400, "x-openstack-image-size must not be negative: " + expectedSizeBytes);
        }
        if (expectedSizeBytes != null && expectedSizeBytes > capBytes) {
            throw new DataPathException(413, "Image size " + expectedSizeBytes + " exceeds the limit of "
                    + capBytes + " bytes");
        }
        Lease lease = new Lease(imageId, UUID.randomUUID().toString(), clock.millis());
        begin(actor, kind, lease);
        ScheduledFuture<?> renewal = scheduler.scheduleAtFixedRate(() -> renew(lease),
                config.renewIntervalMillis(), config.renewIntervalMillis(), TimeUnit.MILLISECONDS);
        try {
            ChunkManifest manifest = stream(lease, body, expectedSizeBytes, capBytes);
            // Past the maximum duration the orphan reaper may already be deleting this upload's
            // chunks (its grace only covers uploads that end in time): never commit them.
            requireWithinDuration(lease);
            Result committed = propose(new Command.CommitUpload(clock.millis(), imageId, lease.leaseId, manifest,
                    null, expectedSizeBytes), "commit the upload of image " + imageId);
            if (!committed.isOk()) throw DataPathException.fromResult(committed);
            uploadsCommitted.increment();
            bytesCommitted.add(manifest.sizeBytes());
            return committed.value(Image.class);
        } catch (DataPathException | RuntimeException | Error e) {
            uploadsFailed.increment();
            abortQuietly(lease, e.getMessage());
            throw e;
        } finally {
            lease.finished.set(true);
            renewal.cancel(false);
        }
    }

    /** Uploads and stagings ({@code PUT .../file}, {@code PUT .../stage}) committed to the registry. */
    public long uploadsCommitted() {
        return uploadsCommitted.sum();
    }

    /** The image bytes those uploads stored. */
    public long bytesCommitted() {
        return bytesCommitted.sum();
    }

    /** Uploads that began and then failed (bad body, client gone, full disk, too few replicas ...): the image went back. */
    public long uploadsFailed() {
        return uploadsFailed.sum();
    }

    /**
     * Writes data for an upload whose lease the caller already holds (an import task): chunks and
     * hashes only, no registry command. The size cap applies; errors carry their HTTP status.
     */
    public ChunkManifest writeData(String imageId, String leaseId, InputStream body) throws DataPathException {
        Lease lease = new Lease(imageId, leaseId, clock.millis());
        // The lease is renewed while the data streams, as for an upload: an import that outlives
        // the lease it began with is not taken for a dead one.
        ScheduledFuture<?> renewal = scheduler.scheduleAtFixedRate(() -> renew(lease),
                config.renewIntervalMillis(), config.renewIntervalMillis(), TimeUnit.MILLISECONDS);
        try {
            ChunkManifest manifest = stream(lease, body, null, writer.config().imageSizeCapBytes());
            requireWithinDuration(lease);
            return manifest;
        } finally {
            lease.finished.set(true);
            renewal.cancel(false);
        }
    }

    private DataPathException tooLong(Lease lease) {
        return new DataPathException(408, "Upload of image " + lease.imageId + " ran longer than the maximum upload"
                + " duration of " + config.uploadDurationMaxMillis() / 1000 + " s (upload.maxDurationSeconds); retry it");
    }

    private void requireWithinDuration(Lease lease) throws DataPathException {
        if (clock.millis() - lease.startedAtMillis > config.uploadDurationMaxMillis()) {
            DataPathException e = tooLong(lease);
            lease.lose(e);
            throw e;
        }
    }

    private void begin(Identity actor, UploadKind kind, Lease lease) throws DataPathException {
        long nowMillis = lease.startedAtMillis;
        Command begin = new Command.BeginUpload(actor, nowMillis, lease.imageId, kind, lease.leaseId, nodeId,
                nowMillis + config.leaseDurationMillis());
        Result begun;
        try {
            begun = propose(begin, "begin the upload of image " + lease.imageId);
        } catch (DataPathException e) {
            // The begin may have been applied after all: give the lease back if it was.
            abortQuietly(lease, e.getMessage());
            throw e;
        }
        if (!begun.isOk()) throw DataPathException.fromResult(begun);
    }

    /** Runs the body through the chunker and maps every failure to its status. */
    private ChunkManifest stream(Lease lease, InputStream body, Long expectedSizeBytes, long capBytes)
            throws DataPathException {
        boolean announced = expectedSizeBytes != null;
        long limitBytes = announced ? Math.min(expectedSizeBytes, capBytes) : capBytes;
        ChunkManifest manifest;
        try {
            manifest = writer.write(lease.imageId, new LeaseGuardedStream(body, lease, this), limitBytes);
        } catch (ImageTooLargeException e) {
            if (announced && expectedSizeBytes < capBytes) {
                throw new DataPathException(400, "Received more than the " + expectedSizeBytes
                        + " bytes announced by x-openstack-image-size", e);
            }
            throw new DataPathException(413, "Image exceeds the storage limit of " + capBytes + " bytes", e);
        } catch (StoreFullException e) {
            throw new DataPathException(413, "Image storage is full: " + e.getMessage(), e);
        } catch (BodyReadException e) {
            DataPathException lost = lease.lost;
            if (lost != null) throw lost;
            throw new DataPathException(400, "Image data could not be read from the request: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new DataPathException(503, "Image storage failed: " + e.getMessage(), e);
        }
        if (announced && manifest.sizeBytes() != expectedSizeBytes) {
            throw new DataPathException(400, "Received " + manifest.sizeBytes()
                    + " bytes, but x-openstack-image-size said " + expectedSizeBytes);
        }
        return manifest;
    }

    /** Scheduled: extend the lease; a lease found gone or taken marks the upload as lost. */
    private void renew(Lease lease) {
        try {
            if (lease.finished.get()) return;
            long nowMillis = clock.millis();
            if (nowMillis - lease.startedAtMillis > config.uploadDurationMaxMillis()) {
                lease.lose(tooLong(lease)); // no more renewals: the body stops at its next read
                return;
            }
            // At most one renewal in flight: a slow registry does not pile them up.
            if (!lease.renewing.compareAndSet(false, true)) return;
            registry.propose(new Command.RenewLease(nowMillis, lease.imageId, lease.leaseId,
                            nowMillis + config.leaseDurationMillis()))
                    .orTimeout(config.registryTimeoutMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((result, error) -> {
                        lease.renewing.set(false);
                        if (error != null) {
                            log.warn("renewing the upload lease of image {} failed: {}", lease.imageId, error.toString());
                        } else if (result.code() == Result.Code.GONE || result.code() == Result.Code.CONFLICT) {
                            lease.lose(DataPathException.fromResult(result));
                        } else if (!result.isOk()) {
                            log.warn("renewing the upload lease of image {} was refused: {}", lease.imageId, result);
                        }
                    });
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again; keep renewing.
            lease.renewing.set(false);
            log.warn("renewing the upload lease of image {} failed: {}", lease.imageId, e.toString());
        }
    }

    private void abortQuietly(Lease lease, String reason) {
        try {
            Result r = propose(new Command.AbortUpload(clock.millis(), lease.imageId, lease.leaseId,
                    reason == null ? "upload failed" : reason), "abort the upload of image " + lease.imageId);
            if (!r.isOk() && r.code() != Result.Code.GONE && r.code() != Result.Code.CONFLICT) {
                log.warn("aborting the upload of image {} was refused: {}", lease.imageId, r);
            }
        } catch (DataPathException e) {
            // The lease expires on its own and the reaper returns the image to queued.
            log.warn("aborting the upload of image {} failed: {}", lease.imageId, e.getMessage());
        }
    }

    private Result propose(Command command, String what) throws DataPathException {
        try {
            return registry.propose(command).get(config.registryTimeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataPathException(503, "Interrupted while waiting to " + what, e);
        } catch (ExecutionException e) {
            throw new DataPathException(503, "The registry could not " + what + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new DataPathException(503, "The registry did not " + what + " within "
                    + config.registryTimeoutMillis() + " ms", e);
        }
    }

    /** One upload's lease and what the renewal task has learned about it. */
    private static final class Lease {
        final String imageId;
        final String leaseId;
        final long startedAtMillis;
        final AtomicBoolean finished = new AtomicBoolean();
        final AtomicBoolean renewing = new AtomicBoolean();
        volatile DataPathException lost;

        Lease(String imageId, String leaseId, long startedAtMillis) {
            this.imageId = imageId;
            this.leaseId = leaseId;
            this.startedAtMillis = startedAtMillis;
        }

        void lose(DataPathException why) {
            if (lost == null) lost = why;
        }
    }

    /**
     * The request body, cut off at the next read once the lease is known to be lost or the upload
     * has run past its maximum duration.
     */
    private static final class LeaseGuardedStream extends FilterInputStream {
        private final Lease lease;
        private final UploadService service;

        LeaseGuardedStream(InputStream in, Lease lease, UploadService service) {
            super(in);
            this.lease = lease;
            this.service = service;
        }

        private void check() throws IOException {
            if (service.clock.millis() - lease.startedAtMillis > service.config.uploadDurationMaxMillis()) {
                lease.lose(service.tooLong(lease));
            }
            DataPathException lost = lease.lost;
            if (lost != null) throw new IOException("upload stopped: " + lost.getMessage());
        }

        @Override
        public int read() throws IOException {
            check();
            return super.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            check();
            return super.read(b, off, len);
        }
    }
}
