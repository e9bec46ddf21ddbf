package io.glint.node.reaper;

import io.glint.node.chunk.ChunkStore;
import io.glint.node.cluster.LocalChunkIndex;
import io.glint.node.cluster.Unchanged;
import io.glint.node.cluster.Replicator.Throttle;
import io.glint.registry.RegistryClient;
import io.glint.registry.command.Command;
import io.glint.registry.model.ChunkRef;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Payload;
import io.glint.registry.model.Result;
import io.glint.registry.model.UploadLease;
import io.glint.registry.query.Query;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Removes what nobody needs any more (DESIGN §6). One pass, every {@code reaper.intervalSeconds}:
 * <ol>
 *   <li>on the Raft leader only: images in {@code pending_delete} whose last change is older than
 *       {@code delete.delaySeconds} are purged ({@code PurgeImage}: deleted, chunk references
 *       dropped), Glance's scrubber;</li>
 *   <li>on the Raft leader only: upload leases past their expiry (their coordinator died or was cut
 *       off) are taken back ({@code ExpireLease}: the image returns to {@code queued});</li>
 *   <li>on every node: a local chunk is deleted when the registry references it nowhere and its file
 *       was untouched for longer than {@code reaper.graceSeconds}. Candidates come from this node's
 *       registry copy; each group with candidates is then read again linearizably, and the delete
 *       is {@link ChunkStore#deleteIfUntouchedSince} with a cutoff of (time before that read) minus
 *       the grace. Why that is safe: a reference created after the read comes from an upload that
 *       began at most {@code upload.maxDurationSeconds} (less than the grace) before it committed,
 *       and that wrote or touched the chunk after it began, so the chunk's time is past the cutoff
 *       (or, if the delete came first, the upload's put wrote the chunk again);</li>
 *   <li>on every node: files in {@code tmp/} older than an hour that no write owns, and quarantined
 *       chunk files older than {@code reaper.quarantineRetentionSeconds}, are removed.</li>
 * </ol>
 * Every delete, purge and expiry takes a token from a throttle at {@code reaper.deletesPerSecond},
 * and each kind of work is bounded per pass ({@link Settings}); what is left waits for the next
 * pass. The scan of image records resumes where the previous pass stopped.
 */
public final class Reaper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Reaper.class);
    static final long REGISTRY_TIMEOUT_MILLIS = 10_000;
    static final int SCAN_PAGE = 1_000;
    /** A file in tmp/ this old belongs to no write (a chunk write takes seconds). */
    public static final long TMP_AGE_MILLIS = 3_600_000;

    /**
     * @param intervalMillis            time between the end of one pass and the start of the next
     * @param graceMillis               an unreferenced chunk untouched this long is deleted
     * @param deleteDelayMillis         a pending_delete image older than this is purged
     * @param quarantineRetentionMillis quarantined files older than this are removed
     * @param leaseMillis               an upload lease's length ({@code upload.leaseSeconds}): the leader
     *                                  takes a lease back only once it has itself seen it unrenewed this long
     * @param imageRecordsPerPassMax    image records read per pass looking for pending_delete ones
     * @param registryChangesPerPassMax purges plus lease expiries proposed per pass
     * @param fileDeletesPerPassMax     chunk deletes per pass, and tmp/ plus quarantine/ removals per pass
     */
    public record Settings(long intervalMillis, long graceMillis, long deleteDelayMillis, long quarantineRetentionMillis,
                           long leaseMillis, int imageRecordsPerPassMax, int registryChangesPerPassMax, int fileDeletesPerPassMax) {
        public Settings {
            if (intervalMillis < 1 || graceMillis < 1 || deleteDelayMillis < 0 || quarantineRetentionMillis < 0 || leaseMillis < 1
                    || imageRecordsPerPassMax < 1 || registryChangesPerPassMax < 1 || fileDeletesPerPassMax < 1) {
                throw new IllegalArgumentException("bad reaper settings: " + this);
            }
        }

        /** The per-pass bounds a node uses. */
        public static Settings of(long intervalMillis, long graceMillis, long deleteDelayMillis, long quarantineRetentionMillis,
                                  long leaseMillis) {
            return new Settings(intervalMillis, graceMillis, deleteDelayMillis, quarantineRetentionMillis, leaseMillis,
                    50_000, 1_000, 10_000);
        }
    }

    private final ChunkStore store;
    private final LocalChunkIndex index;
    private final RegistryClient registry;
    private final BooleanSupplier isLeader;
    private final Clock clock;
    private final LongSupplier monotonicMillis;
    private final Settings settings;
    private final Throttle deletes;
    private final AtomicBoolean running = new AtomicBoolean();
    private ScheduledExecutorService timer;
    private volatile boolean stopped;
    /** Where the next pass goes on scanning image records (null: from the start). */
    private String imageCursor;

    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong purged = new AtomicLong();
    private final AtomicLong leasesExpired = new AtomicLong();
    private final AtomicLong orphansDeleted = new AtomicLong();
    private final AtomicLong orphanBytes = new AtomicLong();
    private final AtomicLong tmpRemoved = new AtomicLong();
    private final AtomicLong quarantineRemoved = new AtomicLong();
    private final AtomicLong registryFailures = new AtomicLong();

    /**
     * @param isLeader true while this node is the Raft leader (ready to serve): only the leader
     *                 purges and expires, so that the nodes do not race each other for it
     * @param clock    the wall clock: file ages, purge delays, and the timestamps of what it proposes
     * @param monotonicMillis  a clock that is never stepped: how long this leader has watched a lease
     *                 go unrenewed, which a wall-clock step (NTP, an operator) must not lengthen
     * @param deletes  the throttle at {@code reaper.deletesPerSecond}
     */
    public Reaper(ChunkStore store, LocalChunkIndex index, RegistryClient registry, BooleanSupplier isLeader, Clock clock,
                  LongSupplier monotonicMillis, Settings settings, Throttle deletes) {
        this.store = store;
        this.index = index;
        this.registry = registry;
        this.isLeader = isLeader;
        this.clock = clock;
        this.monotonicMillis = monotonicMillis;
        this.settings = settings;
        this.deletes = deletes;
    }

    /** Starts passes on a daemon thread, the first one interval from now. */
    public synchronized void start() {
        if (timer != null || stopped) return;
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "reaper");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::runPassQuietly, settings.intervalMillis(), settings.intervalMillis(),
                TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void close() {
        stopped = true;
        if (timer != null) timer.shutdownNow();
    }

    private void runPassQuietly() {
        try {
            runPass();
        } catch (RuntimeException e) {
            LOG.warn("reaper pass failed: {}", e.toString());
        }
    }

    /** Runs one pass unless one is running; returns false if it skipped or was interrupted. */
    public boolean runPass() {
        if (!running.compareAndSet(false, true)) return false;
        try {
            if (isLeader.getAsBoolean()) {
                int changes = purgePendingDeletes(settings.registryChangesPerPassMax());
                expireLeases(settings.registryChangesPerPassMax() - changes);
            } else {
                leasesSeen.clear(); // a leader that takes office again watches every lease afresh
            }
            reapOrphans();
            cleanFiles();
            passes.incrementAndGet();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            running.set(false);
        }
    }

    // --- (a) pending_delete images ----------------------------------------------------------------

    /** Returns how many purges it proposed. */
    private int purgePendingDeletes(int budget) throws InterruptedException {
        int proposed = 0;
        int read = 0;
        while (read < settings.imageRecordsPerPassMax() && proposed < budget && !stopped) {
            int limit = Math.min(SCAN_PAGE, settings.imageRecordsPerPassMax() - read);
            Result r = registry.readLocal(new Query.ScanImages(imageCursor, ImageStatus.PENDING_DELETE, limit));
            if (!r.isOk()) {
                registryFailures.incrementAndGet();
                return proposed;
            }
            Payload.ImageScan page = r.value(Payload.ImageScan.class);
            read += limit;
            long due = clock.millis() - settings.deleteDelayMillis();
            for (Image image : page.images()) {
                if (proposed >= budget) return proposed; // the cursor stays: these are seen again next pass
                if (image.updatedAtMillis() > due) continue;
                deletes.acquire(1);
                proposed++;
                Result purge = propose(new Command.PurgeImage(clock.millis(), image.id()));
                if (purge != null && purge.isOk()) {
                    purged.incrementAndGet();
                    LOG.info("reaper: purged image {} (pending_delete since {})", image.id(), image.updatedAtMillis());
                }
            }
            imageCursor = page.nextAfter();
            if (imageCursor == null) break; // the table is done; the next pass starts over
        }
        return proposed;
    }

    // --- (b) expired upload leases ----------------------------------------------------------------

    /** Each lease's expiry as this leader last read it, and for how long it has not changed (cleared when not leader). */
    private final Unchanged leasesSeen = new Unchanged();

    /**
     * Whether the lease is expired by this leader's clock AND this leader has itself seen it go
     * unrenewed for a whole lease length, measured on its monotonic clock. The expiry inside a
     * lease was computed on its coordinator's clock; a leader whose clock runs ahead, or whose
     * clock is stepped forward, would otherwise take back the lease of a live upload between two
     * renewals (renewals come every third of a lease).
     */
    private boolean deadByOwnObservation(UploadLease lease, long now) {
        long unrenewedMillis = leasesSeen.observe(lease.leaseId(), lease.expiresAtMillis(), monotonicMillis.getAsLong());
        return lease.expiresAtMillis() < now && unrenewedMillis >= settings.leaseMillis();
    }

    private void expireLeases(int budget) throws InterruptedException {
        java.util.Set<String> present = new java.util.HashSet<>();
        if (expireLeases(budget, present)) leasesSeen.retainOnly(present);
    }

    /** Returns true when it went through every lease (so that leases no longer present can be forgotten). */
    private boolean expireLeases(int budget, java.util.Set<String> present) throws InterruptedException {
        String after = null;
        int read = 0;
        int proposed = 0;
        while (read < settings.imageRecordsPerPassMax() && proposed < budget && !stopped) {
            Result r = registry.readLocal(new Query.ScanUploads(after, SCAN_PAGE));
            if (!r.isOk()) {
                registryFailures.incrementAndGet();
                return false;
            }
            Payload.UploadScan page = r.value(Payload.UploadScan.class);
            read += SCAN_PAGE;
            for (UploadLease lease : page.uploads()) {
                long now = clock.millis();
                present.add(lease.leaseId());
                if (!deadByOwnObservation(lease, now) || proposed >= budget) continue;
                deletes.acquire(1);
                proposed++;
                Result expired = propose(new Command.ExpireLease(now, lease.imageId(), lease.leaseId()));
                if (expired != null && expired.isOk()) {
                    leasesExpired.incrementAndGet();
                    LOG.warn("reaper: the upload lease of image {} (coordinator {}) expired at {}: image back to queued",
                            lease.imageId(), lease.coordinatorNodeId(), lease.expiresAtMillis());
                }
            }
            after = page.nextAfter();
            if (after == null) return true;
        }
        return false;
    }

    // --- (c) orphan chunks ------------------------------------------------------------------------

    private void reapOrphans() throws InterruptedException {
        int budget = settings.fileDeletesPerPassMax();
        for (int pg : index.groups()) {
            if (budget <= 0 || stopped) return;
            List<String> held = index.idsOf(pg);
            Set<String> referenced = referenced(registry.readLocal(new Query.ChunkRefs(pg)));
            if (referenced == null) {
                registryFailures.incrementAndGet();
                continue;
            }
            long oldEnough = clock.millis() - settings.graceMillis();
            List<String> candidates = new ArrayList<>();
            for (String id : held) {
                if (referenced.contains(id)) continue;
                long modified = modifiedMillis(id);
                if (modified >= 0 && modified < oldEnough) candidates.add(id);
            }
            if (candidates.isEmpty()) continue;
            // Confirm with a read that sees every reference committed before it began.
            long readStartedAt = clock.millis();
            Set<String> fresh = referenced(readFresh(new Query.ChunkRefs(pg)));
            if (fresh == null) {
                registryFailures.incrementAndGet();
                continue; // never delete on a stale answer
            }
            long cutoff = readStartedAt - settings.graceMillis();
            for (String id : candidates) {
                if (budget <= 0 || stopped) return;
                if (fresh.contains(id)) continue;
                deletes.acquire(1);
                budget--;
                deleteOrphan(id, cutoff, pg);
            }
        }
    }

    private void deleteOrphan(String id, long cutoff, int pg) {
        try {
            long size = store.sizeOf(id);
            if (store.deleteIfUntouchedSince(id, cutoff)) {
                orphansDeleted.incrementAndGet();
                if (size > 0) orphanBytes.addAndGet(size);
                LOG.debug("reaper: deleted unreferenced chunk {} (group {})", id, pg);
            }
        } catch (IOException e) {
            LOG.warn("reaper: deleting chunk {}: {}", id, e.toString());
        }
    }

    private long modifiedMillis(String id) {
        try {
            return store.modifiedMillis(id);
        } catch (IOException e) {
            return -1;
        }
    }

    private static Set<String> referenced(Result r) {
        if (r == null || !r.isOk()) return null;
        Set<String> ids = new HashSet<>();
        for (ChunkRef ref : r.value(ChunkRef.Refs.class).refs()) if (ref.refCount() > 0) ids.add(ref.chunkId());
        return ids;
    }

    // --- (d) tmp/ and quarantine/ -----------------------------------------------------------------

    private void cleanFiles() throws InterruptedException {
        long now = clock.millis();
        int budget = settings.fileDeletesPerPassMax();
        budget -= clean(true, now - TMP_AGE_MILLIS, budget);
        clean(false, now - settings.quarantineRetentionMillis(), budget);
    }

    /**
     * Removes old files from tmp/ or quarantine/ in small batches, each paying its tokens after the
     * fact (so an empty directory costs none; the burst is one batch); returns how many.
     */
    private int clean(boolean tmp, long cutoff, int budget) throws InterruptedException {
        int total = 0;
        while (total < budget && !stopped) {
            int batch = (int) Math.min(Math.min(100, budget - total), deletes.perSecond());
            int n;
            try {
                n = tmp ? store.cleanTmp(cutoff, batch) : store.cleanQuarantine(cutoff, batch);
            } catch (IOException e) {
                LOG.warn("reaper: cleaning {}: {}", tmp ? "tmp/" : "quarantine/", e.toString());
                return total;
            }
            if (n > 0) deletes.acquire(n);
            total += n;
            (tmp ? tmpRemoved : quarantineRemoved).addAndGet(n);
            if (n < batch) break;
        }
        return total;
    }

    // --- registry ---------------------------------------------------------------------------------

    private Result propose(Command c) throws InterruptedException {
        try {
            return registry.propose(c).get(REGISTRY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            registryFailures.incrementAndGet();
            LOG.debug("reaper: {} failed: {}", c.getClass().getSimpleName(), e.toString());
            return null;
        }
    }

    private Result readFresh(Query q) throws InterruptedException {
        try {
            return registry.read(q).get(REGISTRY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.debug("reaper: linearizable read failed: {}", e.toString());
            return null;
        }
    }

    // --- counters ---------------------------------------------------------------------------------

    /** Every counter by name, for the status page. */
    public java.util.Map<String, Object> counters() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("passes", passes());
        m.put("purged", purged());
        m.put("leases_expired", leasesExpired());
        m.put("orphans_deleted", orphansDeleted());
        m.put("orphan_bytes", orphanBytes());
        m.put("tmp_removed", tmpRemoved());
        m.put("quarantine_removed", quarantineRemoved());
        m.put("registry_failures", registryFailures());
        return m;
    }

    public long passes() {
        return passes.get();
    }

    /** pending_delete images purged. */
    public long purged() {
        return purged.get();
    }

    /** Upload leases taken back after their expiry. */
    public long leasesExpired() {
        return leasesExpired.get();
    }

    /** Unreferenced chunks deleted from this node. */
    public long orphansDeleted() {
        return orphansDeleted.get();
    }

    public long orphanBytes() {
        return orphanBytes.get();
    }

    public long tmpRemoved() {
        return tmpRemoved.get();
    }

    public long quarantineRemoved() {
        return quarantineRemoved.get();
    }

    /** Registry reads and proposals that failed or timed out (the work waits for a later pass). */
    public long registryFailures() {
        return registryFailures.get();
    }
}
