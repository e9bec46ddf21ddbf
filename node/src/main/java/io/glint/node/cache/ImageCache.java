package io.glint.node.cache;

import com.fasterxml.jackson.core.type.TypeReference;
import io.glint.node.chunk.ChunkStore;
import io.glint.node.cluster.Replicator;
import io.glint.node.http.Json;
import io.glint.registry.RegistryClient;
import io.glint.registry.model.ChunkInfo;
import io.glint.registry.model.ChunkManifest;
import io.glint.registry.model.Image;
import io.glint.registry.model.ImageStatus;
import io.glint.registry.model.Result;
import io.glint.registry.query.Query;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Glance's image cache (spec §4.19) on a Glint node: "cached" means every chunk of the image is on
 * this node's own volume, so that downloads from this node never wait for a peer. Queuing an image
 * pulls its missing chunks from the replicas (verified, throttled); a cached image's chunks are
 * pinned, so that the replicator does not hand them off although this node is not one of their
 * replicas. The cache list survives restarts ({@code <dataDir>/cache.json}); hit counts are kept in
 * memory and saved with the next change.
 *
 * <p>Bounds: at most {@link #QUEUE_MAX} images queued, {@link #ENTRIES_MAX} cached, one prefetch at
 * a time at the replicator's byte rate; {@code maxBytes} is the size {@link #prune} shrinks the cache to.
 */
public final class ImageCache {
    private static final Logger LOG = LoggerFactory.getLogger(ImageCache.class);
    public static final int QUEUE_MAX = 1_000;
    public static final int ENTRIES_MAX = 10_000;
    private static final long REGISTRY_TIMEOUT_MILLIS = 30_000;

    /** One cached image as the API shows it; {@code chunkIds} are what it pins. */
    public record Entry(String imageId, long sizeBytes, long hits, long lastAccessedMillis, long lastModifiedMillis,
                        List<String> chunkIds) {
        Entry hit(long nowMillis) {
            return new Entry(imageId, sizeBytes, hits + 1, nowMillis, lastModifiedMillis, chunkIds);
        }
    }

    /** Whether an image may be queued: absent, not active, or fine. */
    public enum QueueOutcome { QUEUED, NOT_FOUND, NOT_ACTIVE, QUEUE_FULL }

    public record PruneResult(long filesPruned, long bytesPruned) {}

    private final RegistryClient registry;
    private final ChunkStore store;
    private final RemoteChunks remote;
    private final ExecutorService worker;
    private final Replicator.Throttle throttle;
    private final Path stateFile;
    private final long maxBytes;
    private final Clock clock;

    private final Map<String, Entry> cached = new LinkedHashMap<>();
    private final Set<String> queued = new LinkedHashSet<>();
    /** chunk id -> how many cached images list it */
    private final ConcurrentHashMap<String, Integer> pins = new ConcurrentHashMap<>();

    private final AtomicLong prefetched = new AtomicLong();
    private final AtomicLong prefetchFailures = new AtomicLong();
    private final AtomicLong chunksPulled = new AtomicLong();
    private final AtomicLong bytesPulled = new AtomicLong();

    /** Where a chunk this node lacks comes from (the cluster's replicas, verified). */
    public interface RemoteChunks {
        byte[] fetch(ChunkInfo info) throws IOException;
    }

    public ImageCache(RegistryClient registry, ChunkStore store, RemoteChunks remote, ExecutorService worker,
                      Replicator.Throttle throttle, Path stateFile, long maxBytes, Clock clock) throws IOException {
        this.registry = registry;
        this.store = store;
        this.remote = remote;
        this.worker = worker;
        this.throttle = throttle;
        this.stateFile = stateFile;
        this.maxBytes = maxBytes;
        this.clock = clock;
        load();
    }

    // --- what the API and the replicator ask -------------------------------------------------------

    /** Whether a cached image lists this chunk: the replicator must not hand it off. */
    public boolean isPinned(String chunkId) {
        return pins.containsKey(chunkId);
    }

    public synchronized List<Entry> cachedImages() {
        return new ArrayList<>(cached.values());
    }

    public synchronized List<String> queuedImages() {
        return new ArrayList<>(queued);
    }

    public synchronized boolean isCached(String imageId) {
        return cached.containsKey(imageId);
    }

    /** A download of the image from this node: counts a hit if it is cached. */
    public synchronized void recordHit(String imageId) {
        Entry e = cached.get(imageId);
        if (e != null) cached.put(imageId, e.hit(clock.millis()));
    }

    /** Whether the registry knows the image (and it is not deleted). */
    public boolean imageExists(String imageId) {
        Image image = imageRecord(imageId);
        return image != null && !image.status().isGone();
    }

    /** Queues an active image for prefetch onto this node. */
    public QueueOutcome queue(String imageId) {
        Image image = imageRecord(imageId);
        if (image == null || image.status().isGone()) return QueueOutcome.NOT_FOUND;
        if (image.status() != ImageStatus.ACTIVE) return QueueOutcome.NOT_ACTIVE;
        synchronized (this) {
            if (cached.containsKey(imageId) || queued.contains(imageId)) return QueueOutcome.QUEUED;
            if (queued.size() >= QUEUE_MAX) return QueueOutcome.QUEUE_FULL;
            queued.add(imageId);
            save();
        }
        try {
            worker.execute(() -> prefetch(imageId));
        } catch (RejectedExecutionException e) {
            synchronized (this) {
                queued.remove(imageId);
            }
            return QueueOutcome.QUEUE_FULL;
        }
        return QueueOutcome.QUEUED;
    }

    /** Removes an image from the cache and the queue; false when neither had it. */
    public synchronized boolean evict(String imageId) {
        boolean was = queued.remove(imageId);
        Entry e = cached.remove(imageId);
        if (e != null) unpin(e);
        if (e != null || was) save();
        return e != null || was;
    }

    /** {@code DELETE /v2/cache}: empties the cache, the queue, or both. */
    public synchronized void clear(boolean cache, boolean queue) {
        if (queue) queued.clear();
        if (cache) {
            for (Entry e : cached.values()) unpin(e);
            cached.clear();
        }
        save();
    }

    /**
     * {@code POST /v2/cache/clean}: drops entries whose image is no longer active or whose chunks
     * are no longer all here. Returns how many were dropped.
     */
    public int clean() {
        List<Entry> entries = cachedImages();
        int dropped = 0;
        for (Entry e : entries) {
            Image image = imageRecord(e.imageId());
            boolean valid = image != null && image.status() == ImageStatus.ACTIVE && e.chunkIds().stream().allMatch(store::has);
            if (!valid) {
                synchronized (this) {
                    Entry removed = cached.remove(e.imageId());
                    if (removed != null) {
                        unpin(removed);
                        dropped++;
                    }
                }
            }
        }
        if (dropped > 0) {
            synchronized (this) {
                save();
            }
        }
        return dropped;
    }

    /** {@code POST /v2/cache/prune}: evicts the least recently used images until the cache fits {@code maxBytes}. */
    public synchronized PruneResult prune() {
        long total = cached.values().stream().mapToLong(Entry::sizeBytes).sum();
        List<Entry> byAge = new ArrayList<>(cached.values());
        byAge.sort(Comparator.comparingLong(Entry::lastAccessedMillis));
        long files = 0;
        long bytes = 0;
        for (Entry e : byAge) {
            if (total <= maxBytes) break;
            cached.remove(e.imageId());
            unpin(e);
            total -= e.sizeBytes();
            files++;
            bytes += e.sizeBytes();
        }
        if (files > 0) save();
        return new PruneResult(files, bytes);
    }

    // --- prefetch ----------------------------------------------------------------------------------

    private void prefetch(String imageId) {
        synchronized (this) {
            if (!queued.contains(imageId)) return; // evicted or cleared while it waited
        }
        List<String> pinnedHere = List.of();
        try {
            Result r = registry.read(new Query.GetManifest(imageId)).get(REGISTRY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            if (!r.isOk()) throw new IOException("no manifest: " + r.message());
            ChunkManifest m = r.value(ChunkManifest.class);
            Set<String> ids = new LinkedHashSet<>();
            long size = 0;
            for (ChunkInfo c : m.chunks()) {
                size += c.lengthBytes();
                ids.add(c.id());
            }
            // Pinned before the first chunk arrives: the replicator would otherwise hand a pulled
            // chunk straight back off (this node is not its replica).
            pinnedHere = List.copyOf(ids);
            for (String id : pinnedHere) pins.merge(id, 1, Integer::sum);
            Set<String> pulled = new HashSet<>();
            for (ChunkInfo c : m.chunks()) {
                if (!pulled.add(c.id()) || store.has(c.id())) continue;
                synchronized (this) {
                    if (!queued.contains(imageId)) throw new IOException("evicted while it was being pulled");
                }
                byte[] bytes = remote.fetch(c);
                throttle.acquire(bytes.length);
                store.put(c, bytes, 0);
                chunksPulled.incrementAndGet();
                bytesPulled.addAndGet(bytes.length);
            }
            synchronized (this) {
                if (!queued.remove(imageId)) throw new IOException("evicted while it was being pulled");
                if (cached.size() >= ENTRIES_MAX) throw new IOException("the cache holds " + ENTRIES_MAX + " images already");
                long now = clock.millis();
                cached.put(imageId, new Entry(imageId, size, 0, now, now, pinnedHere)); // its pins are now the entry's
                pinnedHere = List.of();
                save();
            }
            prefetched.incrementAndGet();
            LOG.info("image {} cached on this node ({} bytes)", imageId, size);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            prefetchFailures.incrementAndGet();
            LOG.warn("prefetch of image {} failed: {}", imageId, e.toString());
            synchronized (this) {
                queued.remove(imageId);
                save();
            }
        } finally {
            for (String id : pinnedHere) pins.computeIfPresent(id, (k, n) -> n <= 1 ? null : n - 1);
        }
    }

    private Image imageRecord(String imageId) {
        try {
            Result r = registry.read(new Query.GetImageRecord(imageId)).get(REGISTRY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            return r.isOk() ? r.value(Image.class) : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        } catch (Exception e) {
            throw new IllegalStateException("the registry did not answer: " + e.getMessage(), e);
        }
    }

    private void unpin(Entry e) {
        for (String id : e.chunkIds()) pins.computeIfPresent(id, (k, n) -> n <= 1 ? null : n - 1);
    }

    // --- persistence -------------------------------------------------------------------------------

    private record State(List<Entry> cached, List<String> queued) {}

    private void save() {
        try {
            Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
            Json.MAPPER.writeValue(tmp.toFile(), new State(new ArrayList<>(cached.values()), new ArrayList<>(queued)));
            Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("saving the cache list to {}: {}", stateFile, e.toString());
        }
    }

    private synchronized void load() throws IOException {
        if (!Files.exists(stateFile)) return;
        State s = Json.MAPPER.readValue(stateFile.toFile(), new TypeReference<State>() {});
        if (s.cached() != null) {
            for (Entry e : s.cached()) {
                cached.put(e.imageId(), e);
                for (String id : e.chunkIds()) pins.merge(id, 1, Integer::sum);
            }
        }
        // Queued prefetches did not survive the restart: they are queued again.
        Collection<String> again = s.queued() == null ? List.of() : s.queued();
        for (String id : again) {
            if (queued.size() >= QUEUE_MAX) break;
            queued.add(id);
            try {
                worker.execute(() -> prefetch(id));
            } catch (RejectedExecutionException e) {
                queued.remove(id);
            }
        }
    }

    /** For the status page. */
    public synchronized Map<String, Object> counters() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("images_cached", imagesCached());
        m.put("images_queued", imagesQueued());
        m.put("bytes_cached", bytesCached());
        m.put("prefetched", prefetched.get());
        m.put("prefetch_failures", prefetchFailures.get());
        m.put("chunks_pulled", chunksPulled.get());
        m.put("bytes_pulled", bytesPulled.get());
        return m;
    }

    /** Images whose every chunk is on this node's volume. */
    public synchronized long imagesCached() {
        return cached.size();
    }

    /** Images waiting for their missing chunks to be pulled here. */
    public synchronized long imagesQueued() {
        return queued.size();
    }

    /** The size of the cached images together. */
    public synchronized long bytesCached() {
        return cached.values().stream().mapToLong(Entry::sizeBytes).sum();
    }

    public long prefetched() {
        return prefetched.get();
    }

    public long prefetchFailures() {
        return prefetchFailures.get();
    }

    public long chunksPulled() {
        return chunksPulled.get();
    }

    public long bytesPulled() {
        return bytesPulled.get();
    }
}
